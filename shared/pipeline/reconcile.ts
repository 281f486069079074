import { describeError } from '../aws/aws-errors.js';
import { artifactKind } from '../kinds/registry.js';
import type { HubContext } from '../runtime/hub-context.js';
import { advance, type AdvanceResult } from './advance.js';
import { Deferral } from './outcomes.js';

export type ReconcileSummary = Record<AdvanceResult | 'deferred' | 'error' | 'left-to-queue', number>;

/**
 * A claimed point belongs to its queue message while the queue may still retry it (visibility
 * timeout × maxReceiveCount, an hour by default); after that the reconciler takes it over, so
 * a message that went to the DLQ still gets its copy once the cause is gone.
 */
const QUEUE_OWNS_CLAIM_MS = 2 * 3_600_000;

/**
 * Pushes every pending recovery point as far as it can go: re-encrypted source copies that
 * are ready get copied, finished vault copies are completed and their source leftovers
 * cleaned up. It covers any completion event that was missed. One point's error never stops
 * the others; it is logged and retried on the next run.
 */
export async function reconcile(ctx: HubContext): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { reencrypting: 0, copying: 0, available: 0, failed: 0, busy: 0, deferred: 0, error: 0, 'left-to-queue': 0 };
  for await (const point of ctx.catalog.byState('pending')) {
    if (point.stage === 'claimed' && ctx.now().getTime() - Date.parse(point.updatedAt) < QUEUE_OWNS_CLAIM_MS) {
      summary['left-to-queue'] += 1;
      continue;
    }
    try {
      summary[await advance(point, artifactKind(point.kind), ctx)] += 1;
    } catch (error) {
      summary[error instanceof Deferral ? 'deferred' : 'error'] += 1;
      ctx.logger.warn('reconcile: will retry on the next run', { kind: point.kind, account: point.account, sourceId: point.sourceId, error: describeError(error) });
    }
  }
  ctx.logger.info('reconcile finished', { ...summary });
  return summary;
}
