import { pointFacts } from '../audit/audit-entry.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { HubContext } from '../runtime/hub-context.js';

/**
 * Puts a legal hold on a recovery point: the pruner never deletes its vault copy until the hold is
 * lifted. Recorded in the audit log with who set it and why.
 * @throws LegalHoldRefused when the point does not exist or its copy is already pruned
 *
 * @example
 * await placeLegalHold(ctx, 'ART#ebs-snapshot#111111111111#eu-west-1#snap-0123', { reason: 'case 2026-17', by: 'legal@example.com' });
 */
export async function placeLegalHold(ctx: HubContext, pk: string, hold: { reason: string; by: string }): Promise<RecoveryPoint> {
  const point = await ctx.catalog.setLegalHold(pk, { reason: hold.reason, setBy: hold.by, setAt: ctx.now().toISOString() });
  await record(ctx, point, 'held', `legal hold set by ${hold.by}: ${hold.reason}`);
  return point;
}

/**
 * Lifts a legal hold; the copy is pruned again when its policy lets it go.
 * @throws LegalHoldRefused when the point holds no legal hold
 */
export async function liftLegalHold(ctx: HubContext, pk: string, by: string): Promise<RecoveryPoint> {
  const before = await ctx.catalog.get(pk);
  const point = await ctx.catalog.liftLegalHold(pk);
  await record(
    ctx,
    point,
    'released',
    `legal hold lifted by ${by}${before?.legalHold ? ` (was: ${before.legalHold.reason}, set by ${before.legalHold.setBy} at ${before.legalHold.setAt})` : ''}`,
  );
  return point;
}

function record(ctx: HubContext, point: RecoveryPoint, decision: 'held' | 'released', reason: string) {
  return ctx.audit.append({ decision, reason, ...pointFacts(point) });
}
