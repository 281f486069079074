import type { AuditEntry } from '../shared/audit/audit-entry.js';

export type ReportedOutcome = 'copied' | 'skipped' | 'rejected' | 'failed' | 'pending';

export interface EventResult {
  outcome: ReportedOutcome;
  reason?: string;
}

/**
 * What became of one delivered event, from the audit entries that name it. A copy wins over
 * everything (a redelivery of a copied event is still a copied event); a failure or rejection
 * is reported with its reason; an event still waiting for re-encryption or quota is pending.
 */
export function eventResult(entries: AuditEntry[]): EventResult {
  const last = (...decisions: AuditEntry['decision'][]) => entries.filter((e) => decisions.includes(e.decision)).at(-1);
  if (last('copied', 'completed')) return { outcome: 'copied' };
  const failed = last('failed');
  if (failed) return { outcome: 'failed', reason: failed.reason };
  const rejected = last('rejected');
  if (rejected) return { outcome: 'rejected', reason: rejected.reason };
  const waiting = last('reencrypting', 'deferred');
  if (waiting) return { outcome: 'pending', reason: waiting.reason };
  const skipped = last('skipped');
  if (skipped) return { outcome: 'skipped', reason: skipped.reason };
  return { outcome: 'pending', reason: 'delivered, not handled yet' };
}
