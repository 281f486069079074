import type { AuditReport } from '../../shared/report/audit-report.js';
import { hoursBetween } from '../../shared/report/audited-point.js';
import { age, count, target } from './units.js';

/**
 * The retention and lock table as every human-readable format shows it: one place to change
 * when the retention rules grow (keep-last, the vault lock of accounts/vault.yml).
 *
 * @example
 * const { headers, rows, notes } = retentionView(report);
 */
export function retentionView(report: AuditReport): { headers: string[]; rows: string[][]; notes: string[] } {
  const until = new Date(report.scope.until);
  return {
    headers: [
      'account',
      'kind',
      'retention',
      'keep last',
      'available',
      'oldest',
      'overdue',
      'held',
      'pruned',
      ...(report.lock ? ['locked'] : []),
    ],
    rows: report.retention.map((r) => [
      r.account,
      r.kind,
      target(r.retentionDays, 'd'),
      r.keepLast === undefined ? '–' : count(r.keepLast),
      count(r.available),
      r.oldestAvailableAt === undefined ? '–' : age(hoursBetween(r.oldestAvailableAt, until)),
      count(r.pastRetention),
      count(r.legalHolds),
      count(r.pruned),
      ...(r.locked === undefined ? [] : [count(r.locked)]),
    ]),
    notes: [
      'overdue: copies the pruner would delete now (past retention, not among the newest "keep last", not locked, not held); held: on legal hold.',
      lockNote(report.lock),
    ],
  };
}

function lockNote(lock: AuditReport['lock']): string {
  if (!lock) return 'Vault lock: not configured.';
  const standing = lock.since
    ? `in force since ${lock.since.slice(0, 10)}`
    : 'asked for by accounts/vault.yml, not yet in force (the pruner sets it on its next run)';
  const asked =
    lock.requestedDays === undefined
      ? ''
      : ` The account file asks for ${target(lock.requestedDays, 'd')}${lock.requestedDays < lock.minRetentionDays ? ', which is refused: a lock in force only grows' : ''}.`;
  return `Vault lock: no copy can be deleted before it is ${target(lock.minRetentionDays, 'd')} old, ${standing} (locked: copies still inside it).${asked}`;
}
