import { pointFacts } from '../audit/audit-entry.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { ArtifactKind } from '../kinds/common/artifact-kind.js';
import type { HubContext } from '../runtime/hub-context.js';
import { releaseSource } from './release.js';

/** Who takes a failed point up again: a later event or sweep of the same artifact, or an operator. */
export interface Reopening {
  trigger: NonNullable<RecoveryPoint['reopened']>['trigger'];
  /** The event's id, the sweep run, or the operator's identity, as the audit log records it. */
  by: string;
  /** The event that now causes the point (its copy's provenance names it); the point keeps its own when absent. */
  eventId?: string;
}

export type ReopenResult = { reopened: RecoveryPoint } | { refused: string };

/**
 * Takes a failed recovery point up again, audited: pending, on its next attempt, pushed by whoever
 * reopened it (the event's message) or by the reconciler. A later event or sweep reopens only a
 * failure that did not lie in the artifact itself (a key, a role, a quota, a share that had not
 * propagated); an operator may reopen any. Something still left in the source is removed first by
 * an event or sweep, which pass their `kind`; an operator, who cannot reach the sources, is asked to
 * wait for the reconciler.
 *
 * @example
 * const result = await reopenPoint(point, { trigger: 'operator', by: 'arn:aws:sts::999999999999:assumed-role/…' }, ctx);
 */
export async function reopenPoint(point: RecoveryPoint, reopening: Reopening, ctx: HubContext, kind?: ArtifactKind): Promise<ReopenResult> {
  if (point.state !== 'failed') return { refused: `${point.pk} is ${point.state}, not failed` };
  if (point.failureAboutArtifact && reopening.trigger !== 'operator')
    return {
      refused: `its failure lies in the artifact itself (${point.failureReason ?? 'no reason recorded'}): backup-hub retry reopens it anyway`,
    };
  let failed = point;
  if (failed.residue) {
    if (kind === undefined)
      return {
        refused: `${point.pk} still has something in its source that the reconciler is removing (it runs every few minutes): retry it afterwards`,
      };
    failed = await releaseSource(failed, kind, ctx, 'failed');
  }
  const at = ctx.now().toISOString();
  const reopened = await ctx.catalog.reopen(
    failed,
    { trigger: reopening.trigger, by: reopening.by, at },
    reopening.eventId ?? point.eventId,
  );
  if (!reopened) return { refused: `${point.pk} changed meanwhile (reopened by someone else, or its cleanup started)` };
  await ctx.audit.append({
    decision: 'reopened',
    reason: `attempt ${reopened.attempt} by ${reopening.trigger} ${reopening.by}; it had failed: ${point.failureReason ?? 'no reason recorded'}`,
    ...pointFacts(reopened),
  });
  return { reopened };
}

/** An account's failed points (those whose cleanup still runs are listed as residue), failed at or after `since`. */
export async function failedPointsOf(ctx: HubContext, account: string, since?: Date): Promise<RecoveryPoint[]> {
  const out: RecoveryPoint[] = [];
  for (const state of ['failed', 'residue'] as const) {
    for await (const point of ctx.catalog.byState(state)) {
      const recent = since === undefined || Date.parse(point.updatedAt) >= since.getTime();
      if (point.account === account && point.state === 'failed' && recent) out.push(point);
    }
  }
  return out;
}
