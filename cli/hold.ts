import { pointKeyOf } from '../shared/restore/restore-request.js';
import { liftLegalHold, placeLegalHold } from '../shared/retention/legal-hold.js';
import { parseCommandLine } from './command-line.js';
import { awsOperatorDeps, explain, type OperatorDeps, operatorConfig, operatorName } from './operator-context.js';

const usage = `usage: backup-hub hold POINT --reason TEXT [--by NAME]    set a legal hold
       backup-hub hold POINT --lift [--by NAME]             lift it

A recovery point under a legal hold is never pruned, whatever its retention, until the hold is
lifted. POINT is <kind>/<account>/<region>/<source id>[#<life>] (e.g. ebs-snapshot/111111111111/eu-west-1/snap-0123…)
or its catalog key. Both are recorded in the audit log with --by (default: your AWS identity).
Run it with vault credentials that assumed the backup-hub-legal-hold role.

  --accounts DIR   the account files (default: accounts/ of this repository)`;

/** `backup-hub hold`: sets or lifts the legal hold of one recovery point. */
export async function run(argv: string[], deps: OperatorDeps = awsOperatorDeps): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        reason: { type: 'string' },
        lift: { type: 'boolean' },
        by: { type: 'string' },
        accounts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const { values: args, positionals } = parsed;
  if (positionals.length !== 1 || Boolean(args.lift) === Boolean(args.reason?.trim())) {
    deps.error(
      `${positionals.length !== 1 ? 'name one recovery point' : 'give either --reason TEXT (to set a hold) or --lift'}\n\n${usage}`,
    );
    return 2;
  }
  try {
    const pk = pointKeyOf(positionals[0]!);
    const ctx = deps.context(operatorConfig(deps.accounts(args.accounts)));
    const by = await operatorName(ctx, args.by);
    if (args.lift) {
      await liftLegalHold(ctx, pk, by);
      deps.print(`legal hold lifted from ${pk} by ${by}; the pruner treats it by its retention again`);
    } else {
      const point = await placeLegalHold(ctx, pk, { reason: args.reason!.trim(), by });
      deps.print(`legal hold set on ${pk} (vault copy ${point.vaultCopyId ?? 'not made yet'}) by ${by}: ${args.reason!.trim()}`);
    }
    return 0;
  } catch (error) {
    const explained = explain(error, 'backup-hub-legal-hold');
    if (explained === undefined) throw error;
    deps.error(`backup-hub hold: ${explained}`);
    return 1;
  }
}
