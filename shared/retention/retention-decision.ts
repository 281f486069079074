import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { longestProviderLock } from './provider-lock.js';
import type { RetentionPolicy } from './retention-settings.js';

const DAY_MS = 86_400_000;

/** Why a copy stays, or why it may go. */
export type RetentionVerdict =
  | { prune: false; keptBecause: 'legal hold' | 'vault lock' | 'retention' | 'keep last' | 'provider lock' }
  | { prune: true; reason: string };

export interface RetentionFacts {
  policy: RetentionPolicy;
  /** The vault lock in force, in days (0 without one). */
  lockDays: number;
  now: Date;
  /** The pks of the resource's newest `keepLast` available points. */
  newest: ReadonlySet<string>;
}

/**
 * Whether an available point's vault copy may be deleted. A copy is kept while any of these holds: a
 * legal hold, the vault lock, the retention period, being among the newest `keepLast` of its
 * resource, or the lock AWS holds on it (a retention shortened since it was set); it may go only when none does.
 *
 * @example
 * retentionVerdict(point, { policy: { retentionDays: 35, keepLast: 3 }, lockDays: 7, now, newest });
 * // { prune: true, reason: 'older than 35 days (created 2026-01-01T00:00:00.000Z) and not among the newest 3' }
 */
export function retentionVerdict(
  point: Pick<RecoveryPoint, 'pk' | 'createdAt' | 'legalHold' | 'providerLock' | 'copies'>,
  facts: RetentionFacts,
): RetentionVerdict {
  const ageDays = (facts.now.getTime() - Date.parse(point.createdAt)) / DAY_MS;
  if (point.legalHold) return { prune: false, keptBecause: 'legal hold' };
  if (ageDays < facts.lockDays) return { prune: false, keptBecause: 'vault lock' };
  if (ageDays < facts.policy.retentionDays) return { prune: false, keptBecause: 'retention' };
  if (facts.newest.has(point.pk)) return { prune: false, keptBecause: 'keep last' };
  const lock = longestProviderLock(point);
  if (lock && Date.parse(lock.until) > facts.now.getTime()) return { prune: false, keptBecause: 'provider lock' };
  const keepLast = facts.policy.keepLast ? ` and not among the newest ${facts.policy.keepLast}` : '';
  return { prune: true, reason: `older than ${facts.policy.retentionDays} days (created ${point.createdAt})${keepLast}` };
}
