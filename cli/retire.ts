import { resourceRefOf, retireResource, unretireResource } from '../shared/monitoring/retire.js';
import { markCommand } from './mark-command.js';
import { awsOperatorDeps, type OperatorDeps } from './operator-context.js';

const usage = `usage: backup-hub retire RESOURCE --reason TEXT [--by NAME]    stop counting it against its RPO target
       backup-hub retire RESOURCE --undo [--by NAME]             count it again

A resource that no longer exists (a decommissioned volume, a dropped database) would keep its
source's RPO alarm firing: retire it. Its recovery points and vault copies stay; a new recovery
point of it counts it again. RESOURCE is <kind>/<account>/<region>/<resource id>, e.g.
ebs-snapshot/111111111111/eu-west-1/vol-0123456789abcdef0. Recorded in the audit log with --by
(default: your AWS identity). Run it with vault credentials that assumed the backup-hub-legal-hold
role (it changes catalog items and appends to the audit log, nothing else).

  --accounts DIR   the account files (default: accounts/ of this repository)`;

const retire = markCommand({
  name: 'retire',
  usage,
  takeOff: 'undo',
  target: 'resource',
  role: 'backup-hub-legal-hold',
  async put(ctx, target, reason, by) {
    await retireResource(ctx, resourceRefOf(target), { reason, by });
    return `${target} retired by ${by}: no longer counted against its RPO target; its recovery points stay`;
  },
  async takeOffFrom(ctx, target, by) {
    await unretireResource(ctx, resourceRefOf(target), by);
    return `${target} counts against its RPO target again (by ${by})`;
  },
});

/** `backup-hub retire`: takes a resource out of the RPO count, or puts it back. */
export const run = (argv: string[], deps: OperatorDeps = awsOperatorDeps): Promise<number> => retire(argv, deps);
