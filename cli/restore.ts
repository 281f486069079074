import { setTimeout as sleep } from 'node:timers/promises';
import { NAMES } from '../accounts/stack/names.js';
import type { AccountsConfig, RecoveryAccount } from '../shared/config/accounts.js';
import { rebuildAccount } from '../shared/rebuild/rebuild-account.js';
import { applyRestore } from '../shared/restore/apply-restore.js';
import { formatPlan, planRestore } from '../shared/restore/restore-plan.js';
import { pointKeyOf, type RestoreRequest, RestoreRequestError } from '../shared/restore/restore-request.js';
import { landingRegion, restoreRoleRegion } from '../shared/restore/restore-selection.js';
import { restoreTarget } from '../shared/restore/restore-target.js';
import { ACCOUNT_MISTAKE, isSourceAccount, parseCommandLine, timeOptions } from './command-line.js';
import { awsOperatorDeps, explain, type OperatorDeps, operatorConfig } from './operator-context.js';

const usage = `usage: backup-hub restore --to ACCOUNT (--account ID [--as-of TIME] [--rebuild] | --point POINT) [--from-region R] [--to-region Q] [--apply]

Makes recovery points usable in a recovery account. Each vault copy is copied in the vault,
re-encrypted under that account's restore key, and shared with it; SSM parameters are written back
through its backup-hub-recovery role. Without --apply it prints what it would do and changes nothing.

  --to ACCOUNT     the recovery account: its id or account file name (an account file with role: recovery)
  --account ID     restore every protected resource of this source account, each from its newest
                   recovery point created by --as-of
  --as-of TIME     ISO 8601, e.g. 2026-01-01T12:00:00Z (default: now)
  --point POINT    restore one recovery point: <kind>/<account>/<region>/<source id>[#<life>], or its catalog key
  --rebuild        then rebuild the account's systems there from its configuration captured as of
                   the restore's time: network, instances from the restored images with their volumes,
                   databases from the restored snapshots; waits until each runs or is available and
                   prints the RTO to running
  --from-region R  restore from the vault's copies in its DR region R (drRegion in the vault file), every
                   call made there; run it with the backup-hub-restore-dr role
  --to-region Q    land the restore in region Q instead of the region restored from: the other vault
                   region, or another region of the recovery account's file. Each vault copy is first
                   copied from there into Q, under the account's restore key in Q. Run it with the role
                   of Q when Q is a vault region (backup-hub-restore in the vault's region,
                   backup-hub-restore-dr in its DR region), else with that of the region restored from.
                   Not with --rebuild
  --apply          act (re-running it continues a restore, or a rebuild, that stopped)
  --accounts DIR   the account files (default: accounts/ of this repository)

Run it with vault credentials that assumed the backup-hub-restore role (the standard AWS chain:
AWS_PROFILE with role_arn, environment, SSO). It exits 0 when everything asked for is usable (or the
dry run could be planned), 1 when something could not be restored, 2 for a bad command line.`;

/** `backup-hub restore`: plans a restore, prints it, and with `--apply` carries it out. */
export async function run(
  argv: string[],
  deps: OperatorDeps & { wait?: (ms: number) => Promise<void> } = awsOperatorDeps,
): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      options: {
        to: { type: 'string' },
        account: { type: 'string' },
        'as-of': { type: 'string' },
        point: { type: 'string' },
        'from-region': { type: 'string' },
        'to-region': { type: 'string' },
        apply: { type: 'boolean' },
        rebuild: { type: 'boolean' },
        accounts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  const problem = commandLineProblem(args);
  if (problem) {
    deps.error(`${problem}\n\n${usage}`);
    return 2;
  }
  // The role to name when the vault refuses a call: the one of the region the restore lands in (set once known).
  let role: string = NAMES.restoreRole;
  try {
    const accounts = deps.accounts(args.accounts);
    const into = recoveryAccount(accounts, args.to!);
    const regions = { fromRegion: args['from-region'], toRegion: args['to-region'] };
    // The role, catalog and audit log of the vault region the restore lands in, or else restores from.
    const config = operatorConfig(accounts);
    const landing = landingRegion(regions, { config });
    const roleRegion = restoreRoleRegion(regions, { config });
    const primary = roleRegion === accounts.vault.regions[0];
    role = primary ? NAMES.restoreRole : NAMES.drRestoreRole;
    const ctx = deps.context(primary ? config : operatorConfig(accounts, { tablesRegion: roleRegion }));
    const request: RestoreRequest = {
      ...(args.point
        ? { point: pointKeyOf(args.point) }
        : { account: args.account!, asOf: args['as-of'] ? new Date(args['as-of']) : ctx.now() }),
      ...(regions.fromRegion ? { fromRegion: regions.fromRegion } : {}),
      ...(regions.toRegion ? { toRegion: regions.toRegion } : {}),
    };
    const target = await restoreTarget(into.id, NAMES, ctx, landing);
    const plan = await planRestore(request, target, ctx);
    for (const line of formatPlan(plan)) deps.print(line);
    const wait = deps.wait ?? ((ms: number) => sleep(ms));
    const asOf = 'asOf' in request ? request.asOf : ctx.now();
    if (!args.apply) {
      if (args.rebuild) await rebuildAccount(ctx, target, { plan, asOf }, { wait, log: deps.print });
      deps.print('\ndry run: nothing was changed. Add --apply to do the above.');
      return 0;
    }
    deps.print('');
    const result = await applyRestore(plan, ctx, { wait, log: deps.print });
    const restored = result.artifacts.every((a) => a.status === 'usable') && plan.unrestorable.length === 0;
    if (!args.rebuild) return restored ? 0 : 1;
    const rebuild = await rebuildAccount(ctx, target, { plan, asOf, result }, { wait, log: deps.print });
    deps.print(
      rebuild.rtoMinutes === undefined
        ? 'RTO to running: not reached (a system was not rebuilt; see above)'
        : `RTO to running: ${rebuild.rtoMinutes} min (${rebuild.rebuilt.length} system(s) running or available)`,
    );
    return restored && rebuild.rtoMinutes !== undefined ? 0 : 1;
  } catch (error) {
    const explained = explain(error, role);
    if (explained === undefined) throw error;
    deps.error(`backup-hub restore: ${explained}`);
    return 1;
  }
}

function commandLineProblem(args: {
  to?: string;
  'to-region'?: string;
  account?: string;
  point?: string;
  'as-of'?: string;
  rebuild?: boolean;
}): string | undefined {
  if (!args.to) return 'say where to restore: --to <recovery account>';
  if (args.rebuild && args.point) return '--rebuild rebuilds a whole account: give --account, not --point';
  if (args.rebuild && args['to-region'])
    return '--rebuild rebuilds in the source regions from a restore that lands there: leave out --to-region (or --rebuild)';
  if (!args.account === !args.point) return 'say what to restore: either --account <source account id> or --point <recovery point>';
  if (args.point) return args['as-of'] === undefined ? undefined : '--as-of goes with --account, not --point';
  const times = timeOptions(args, ['as-of'] as const);
  if (!isSourceAccount(args.account)) return ACCOUNT_MISTAKE;
  return typeof times === 'string' ? times : undefined;
}

function recoveryAccount(accounts: AccountsConfig, name: string): RecoveryAccount {
  const found = accounts.recovery.find((a) => a.id === name || a.name === name);
  if (found) return found;
  const other = accounts.all.find((a) => a.id === name || a.name === name);
  throw new RestoreRequestError(
    other
      ? `${name} is ${other.file} (role: ${other.role}), not a recovery account: restore into a clean account with an account file of role: recovery`
      : `${name} is no recovery account of ${accounts.dir} (${accounts.recovery.map((a) => `${a.name} ${a.id}`).join(', ') || 'there is none'}): add <name>.yml with role: recovery, deploy it, and redeploy the vault`,
  );
}
