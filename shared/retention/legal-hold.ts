import { pointFacts } from '../audit/audit-entry.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { HubContext } from '../runtime/hub-context.js';

/**
 * Puts a legal hold on a recovery point: the pruner never deletes its vault copy until the hold is
 * lifted. Kept as an insert-only hold record (see HoldLedger), copied onto the point, and recorded in
 * the audit log with who set it and why.
 * @throws LegalHoldRefused when the point does not exist or its copy is already pruned
 *
 * @example
 * await placeLegalHold(ctx, 'ART#ebs-snapshot#111111111111#eu-west-1#snap-0123', { reason: 'case 2026-17', by: 'legal@example.com' });
 */
export async function placeLegalHold(ctx: HubContext, pk: string, hold: { reason: string; by: string }): Promise<RecoveryPoint> {
  const at = ctx.now().toISOString();
  // The record first: a pruner that claimed the point before it sees the hold after its claim and lets the point go; one that claimed it after fails the catalog's write below.
  if (await ctx.catalog.get(pk)) await ctx.holds.record(pk, { action: 'set', by: hold.by, at, reason: hold.reason });
  const point = await ctx.catalog.setLegalHold(pk, { reason: hold.reason, setBy: hold.by, setAt: at });
  await record(ctx, point, 'held', `legal hold set by ${hold.by}: ${hold.reason}`);
  return point;
}

/**
 * Lifts a legal hold, by a record that says who lifted it; the copy is pruned again when its policy lets it go.
 * @throws LegalHoldRefused when the point holds no legal hold
 */
export async function liftLegalHold(ctx: HubContext, pk: string, by: string): Promise<RecoveryPoint> {
  const before = await ctx.catalog.get(pk);
  if (await ctx.holds.held(pk)) await ctx.holds.record(pk, { action: 'lift', by, at: ctx.now().toISOString() });
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
