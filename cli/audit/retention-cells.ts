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
    headers: ['account', 'kind', 'retention', 'available', 'oldest', 'overdue', 'held', 'pruned', ...(report.lock ? ['locked'] : [])],
    rows: report.retention.map((r) => [
      r.account,
      r.kind,
      target(r.retentionDays, 'd'),
      count(r.available),
      r.oldestAvailableAt === undefined ? '–' : age(hoursBetween(r.oldestAvailableAt, until)),
      count(r.pastRetention),
      count(r.legalHolds),
      count(r.pruned),
      ...(r.locked === undefined ? [] : [count(r.locked)]),
    ]),
    notes: [
      'overdue: older than the retention period and not on legal hold; held: on legal hold.',
      report.lock ? `Vault lock: no copy can be deleted before it is ${target(report.lock.minRetentionDays, 'd')} old (locked: copies still inside it).` : 'Vault lock: not configured.',
    ],
  };
}
