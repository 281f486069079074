import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { stsClient } from '../shared/aws/clients.js';
import { RetireRefused, resourceRefOf, retireResource, unretireResource } from '../shared/monitoring/retire.js';
import { parseCommandLine } from './command-line.js';
import { awsOperatorDeps, explain, type OperatorDeps, operatorConfig } from './operator-context.js';

const usage = `usage: backup-hub retire RESOURCE --reason TEXT [--by NAME]    stop counting it against its RPO target
       backup-hub retire RESOURCE --undo [--by NAME]             count it again

A resource that no longer exists (a decommissioned volume, a dropped database) would keep its
source's RPO alarm firing: retire it. Its recovery points and vault copies stay; a new recovery
point of it counts it again. RESOURCE is <kind>/<account>/<region>/<resource id>, e.g.
ebs-snapshot/111111111111/eu-west-1/vol-0123456789abcdef0. Recorded in the audit log with --by
(default: your AWS identity). Run it with vault credentials that assumed the backup-hub-legal-hold
role (it changes catalog items and appends to the audit log, nothing else).

  --accounts DIR   the account files (default: accounts/ of this repository)`;

/** `backup-hub retire`: takes a resource out of the RPO count, or puts it back. */
export async function run(argv: string[], deps: OperatorDeps = awsOperatorDeps): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        reason: { type: 'string' },
        undo: { type: 'boolean' },
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
  if (positionals.length !== 1 || Boolean(args.undo) === Boolean(args.reason?.trim())) {
    deps.error(`${positionals.length !== 1 ? 'name one resource' : 'give either --reason TEXT (to retire it) or --undo'}\n\n${usage}`);
    return 2;
  }
  try {
    const ref = resourceRefOf(positionals[0]!);
    const ctx = deps.context(operatorConfig(deps.accounts(args.accounts)));
    const by = args.by ?? (await stsClient(ctx.aws, ctx.config.vaultRegion).send(new GetCallerIdentityCommand({}))).Arn!;
    if (args.undo) {
      await unretireResource(ctx, ref, by);
      deps.print(`${positionals[0]} counts against its RPO target again (by ${by})`);
    } else {
      await retireResource(ctx, ref, { reason: args.reason!.trim(), by });
      deps.print(`${positionals[0]} retired by ${by}: no longer counted against its RPO target; its recovery points stay`);
    }
    return 0;
  } catch (error) {
    if (error instanceof RetireRefused) {
      deps.error(`backup-hub retire: ${error.message}`);
      return 1;
    }
    const explained = explain(error, 'backup-hub-legal-hold');
    if (explained === undefined) throw error;
    deps.error(`backup-hub retire: ${explained}`);
    return 1;
  }
}
