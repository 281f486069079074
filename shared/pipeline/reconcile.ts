import { describeError } from '../aws/aws-errors.js';
import { artifactKind } from '../kinds/registry.js';
import type { HubContext } from '../runtime/hub-context.js';
import { advance, type AdvanceResult } from './advance.js';
import { Deferral } from './outcomes.js';

export type ReconcileSummary = Record<AdvanceResult | 'deferred' | 'error', number>;

/**
 * Pushes every pending recovery point as far as it can go: re-encrypted source copies that
 * are ready get copied, finished vault copies are completed and their source leftovers
 * cleaned up. It covers any completion event that was missed. One point's error never stops
 * the others; it is logged and retried on the next run.
 */
export async function reconcile(ctx: HubContext): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { reencrypting: 0, copying: 0, available: 0, failed: 0, busy: 0, deferred: 0, error: 0 };
  for await (const point of ctx.catalog.byState('pending')) {
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
