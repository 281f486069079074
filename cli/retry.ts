import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { stsClient } from '../shared/aws/clients.js';
import type { RecoveryPoint } from '../shared/catalog/recovery-point.js';
import { failedPointsOf, reopenPoint } from '../shared/pipeline/reopen.js';
import { pointKeyOf } from '../shared/restore/restore-request.js';
import type { HubContext } from '../shared/runtime/hub-context.js';
import { parseCommandLine } from './command-line.js';
import { awsOperatorDeps, explain, type OperatorDeps, operatorConfig } from './operator-context.js';

const usage = `usage: backup-hub retry --point POINT [--by NAME]
       backup-hub retry --account ID [--since TIME] [--by NAME]

Reopens failed recovery points: each becomes pending again, on its next attempt, and the reconciler
copies it within minutes (see backup-hub audit). With --account, every failed point of that source
account, or only those that failed at or after --since (an ISO 8601 time, e.g. 2026-01-31T00:00Z).
POINT is <kind>/<account>/<region>/<source id> (e.g. ebs-snapshot/111111111111/eu-west-1/snap-0123…)
or its catalog key. Fix the cause first (a key policy, a role, a quota): a retry that meets it again
fails again. Recorded in the audit log with --by (default: your AWS identity). Run it with vault
credentials that assumed the backup-hub-retry role.

  --accounts DIR   the account files (default: accounts/ of this repository)`;

/** `backup-hub retry`: reopens one failed recovery point, or a source account's. */
export async function run(argv: string[], deps: OperatorDeps = awsOperatorDeps): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      options: {
        point: { type: 'string' },
        account: { type: 'string' },
        since: { type: 'string' },
        by: { type: 'string' },
        accounts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const { values: args } = parsed;
  const since = args.since === undefined ? undefined : new Date(args.since);
  const problem =
    Boolean(args.point) === Boolean(args.account)
      ? 'give either --point POINT or --account ID'
      : args.point && args.since !== undefined
        ? '--since goes with --account'
        : since && Number.isNaN(since.getTime())
          ? `--since ${args.since} is not a time (write e.g. 2026-01-31T00:00Z)`
          : undefined;
  if (problem) {
    deps.error(`${problem}\n\n${usage}`);
    return 2;
  }
  try {
    const ctx = deps.context(operatorConfig(deps.accounts(args.accounts)));
    const by = args.by ?? (await stsClient(ctx.aws, ctx.config.vaultRegion).send(new GetCallerIdentityCommand({}))).Arn!;
    const failed = args.point ? await onePoint(ctx, pointKeyOf(args.point)) : await failedPointsOf(ctx, args.account!, since);
    if (failed.length === 0) {
      deps.print(
        args.point ? `no recovery point ${pointKeyOf(args.point)} in the catalog` : `no failed recovery point of ${args.account} to retry`,
      );
      return args.point ? 1 : 0;
    }
    let refused = 0;
    for (const point of failed) {
      const result = await reopenPoint(point, { trigger: 'operator', by }, ctx);
      if ('reopened' in result)
        deps.print(
          `${point.pk}: reopened (attempt ${result.reopened.attempt}); it had failed: ${point.failureReason ?? 'no reason recorded'}`,
        );
      else {
        refused += 1;
        deps.error(`${point.pk}: not reopened: ${result.refused}`);
      }
    }
    deps.print(`${failed.length - refused} of ${failed.length} reopened by ${by}; the reconciler copies them within minutes`);
    return refused === 0 ? 0 : 1;
  } catch (error) {
    const explained = explain(error, 'backup-hub-retry');
    if (explained === undefined) throw error;
    deps.error(`backup-hub retry: ${explained}`);
    return 1;
  }
}

async function onePoint(ctx: HubContext, pk: string): Promise<RecoveryPoint[]> {
  const point = await ctx.catalog.get(pk);
  return point ? [point] : [];
}
