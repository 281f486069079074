import { NAMES } from '../accounts/stack/names.js';
import { type AccountsConfig, sweepSettings } from '../shared/config/accounts.js';
import { type SourceSweep, sweep } from '../shared/sweep/inventory-sweep.js';
import { type RunClock, realClock } from '../shared/sweep/pacer.js';
import { budgetOf } from '../shared/sweep/sweep-settings.js';
import { parseCommandLine } from './command-line.js';
import { awsOperatorDeps, explain, type OperatorDeps, operatorConfig } from './operator-context.js';

const usage = `usage: backup-hub sweep --account ID|NAME [--region REGION] [--dry-run]

Lists a source account's artifacts and resources now, as the scheduled inventory sweep does, and
protects what no event announced and the retention would keep: it hands each to its kind's queue,
where the handlers verify and copy it (audited with trigger sweep). The first sweep of a source is
its backfill. Paced by the account's budget (sweep.callsPerSecond in its account file, 1 call a
second by default); progress goes to standard error.

  --account ID|NAME  the source account: its id or account file name
  --region REGION    only this one of its regions (default: all of them)
  --dry-run          print what it would protect; change nothing
  --accounts DIR     the account files (default: accounts/ of this repository)
  --quiet            no progress lines

Run it with vault credentials that assumed the backup-hub-sweep role (the standard AWS chain:
AWS_PROFILE with role_arn, environment, SSO). It exits 0 when every region was listed to the end,
1 when one could not be, 2 for a bad command line.`;

/** An on-demand sweep waits by the wall clock; a test passes the simulated cloud's. */
export type SweepDeps = OperatorDeps & { runClock?: () => RunClock };

/** A run on demand has the operator's patience, not a function's fifteen minutes. */
const ON_DEMAND_MS = 24 * 3_600_000;

/** `backup-hub sweep`: the inventory sweep of one source account, on demand. */
export async function run(argv: string[], deps: SweepDeps = awsOperatorDeps): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      options: {
        account: { type: 'string' },
        region: { type: 'string' },
        'dry-run': { type: 'boolean' },
        accounts: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  if (!args.account) {
    deps.error(`say which source account to sweep: --account <id or account file name>\n\n${usage}`);
    return 2;
  }
  try {
    const accounts = deps.accounts(args.accounts);
    const source = sourceAccount(accounts, args.account);
    if (args.region !== undefined && !source.regions.includes(args.region)) {
      deps.error(`backup-hub sweep: ${source.file} lists regions ${source.regions.join(', ')}; ${args.region} is not one of them`);
      return 2;
    }
    const settings = sweepSettings(accounts);
    const dryRun = args['dry-run'] === true;
    // As the scheduled sweep does: through each kind's role, named in CloudTrail as the operator's sweep.
    const config = { ...operatorConfig(accounts), kindRolePrefix: `${NAMES.service}-`, functionName: `${NAMES.sweepRole}-operator` };
    const report = await sweep(deps.context(config), {
      settings,
      clock: deps.runClock ?? (() => realClock),
      runMs: ON_DEMAND_MS,
      only: { account: source.id, region: args.region },
      force: true,
      dryRun,
      progress: args.quiet ? undefined : (line) => deps.error(line),
    });
    deps.print(
      `sweep of ${source.id} (${source.file}) at most ${budgetOf(settings, source.sweep && { sweepCallsPerSecond: source.sweep.callsPerSecond })} calls a second${dryRun ? ', dry run' : ''}`,
    );
    for (const result of report.sources) for (const line of describe(result, dryRun)) deps.print(line);
    if (dryRun) deps.print('\ndry run: nothing was queued or recorded. Run it without --dry-run to protect the above.');
    return report.sources.every((s) => s.status === 'finished') ? 0 : 1;
  } catch (error) {
    const explained = error instanceof SweepRequestError ? error.message : explain(error, 'backup-hub-sweep');
    if (explained === undefined) throw error;
    deps.error(`backup-hub sweep: ${explained}`);
    return 1;
  }
}

function sourceAccount(accounts: AccountsConfig, given: string) {
  const found = accounts.sources.find((a) => a.id === given || a.name === given);
  if (found) return found;
  throw new SweepRequestError(
    `${given} is no source account of ${accounts.dir} (${accounts.sources.map((a) => `${a.name} ${a.id}`).join(', ')}): name one of them`,
  );
}

/** What the operator reads of one source region's run. */
function describe(result: SourceSweep, dryRun: boolean): string[] {
  const status =
    result.status === 'finished'
      ? `listed to the end${result.backfill ? ' (its backfill: the first pass in this source)' : ''}`
      : `${result.status}: ${result.why ?? ''}`;
  const verb = dryRun ? 'would protect' : 'protecting';
  return [
    '',
    `${result.account}/${result.region}: ${status}`,
    `  ${result.calls} API calls (${result.throttled} throttled); ${result.listed.artifacts} artifacts and ${result.listed.resources} resources listed`,
    `  ${verb} ${result.protect.length}${dryRun ? '' : ' (queued: the handlers copy them)'}${result.beyondRetention ? `; ${result.beyondRetention} older than the retention keeps` : ''}${result.deferred ? `; ${result.deferred} left to the next pass (their kind's queue is busy with events)` : ''}`,
    ...result.protect.map((a) => `    ${a.kind.padEnd(20)} ${a.sourceId}  ${a.resourceId}  taken ${a.createdAt}`),
  ];
}

/** The account asked for is no source. */
export class SweepRequestError extends Error {
  override name = 'SweepRequestError';
}
