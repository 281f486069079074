import { pointKeyOf } from '../shared/restore/restore-request.js';
import { liftLegalHold, placeLegalHold } from '../shared/retention/legal-hold.js';
import { markCommand } from './mark-command.js';
import { awsOperatorDeps, type OperatorDeps } from './operator-context.js';

const usage = `usage: backup-hub hold POINT --reason TEXT [--by NAME]    set a legal hold
       backup-hub hold POINT --lift [--by NAME]             lift it

A recovery point under a legal hold is never pruned, whatever its retention, until the hold is
lifted. POINT is <kind>/<account>/<region>/<source id>[#<life>] (e.g. ebs-snapshot/111111111111/eu-west-1/snap-0123…)
or its catalog key. Both are recorded in the audit log with --by (default: your AWS identity).
Run it with vault credentials that assumed the backup-hub-legal-hold role.

  --accounts DIR   the account files (default: accounts/ of this repository)`;

const hold = markCommand({
  name: 'hold',
  usage,
  takeOff: 'lift',
  target: 'recovery point',
  role: 'backup-hub-legal-hold',
  async put(ctx, target, reason, by) {
    const pk = pointKeyOf(target);
    const point = await placeLegalHold(ctx, pk, { reason, by });
    return `legal hold set on ${pk} (vault copy ${point.vaultCopyId ?? 'not made yet'}) by ${by}: ${reason}`;
  },
  async takeOffFrom(ctx, target, by) {
    const pk = pointKeyOf(target);
    await liftLegalHold(ctx, pk, by);
    return `legal hold lifted from ${pk} by ${by}; the pruner treats it by its retention again`;
  },
});

/** `backup-hub hold`: sets or lifts the legal hold of one recovery point. */
export const run = (argv: string[], deps: OperatorDeps = awsOperatorDeps): Promise<number> => hold(argv, deps);
