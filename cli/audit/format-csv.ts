import type { AuditReport } from '../../shared/report/audit-report.js';
import { regionsText } from './labels.js';

/** The tables `--format csv` can write, one per run (a spreadsheet takes one table). */
export const CSV_TABLES = [
  'resources',
  'coverage',
  'rpo',
  'unprotected',
  'pending',
  'lost',
  'failures',
  'rejections',
  'retention',
  'config-changes',
] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

type Cell = string | number | undefined;

/**
 * One table of the report as RFC 4180 CSV, every row, with a header row. Hours and days stay
 * numbers (the column names carry the unit) so that a spreadsheet can compute with them.
 *
 * @example
 * formatCsv(report, 'resources'); // 'account,region,kind,resource,newest_available_at,age_hours,rpo_hours,status,…\r\n…'
 */
export function formatCsv(report: AuditReport, table: CsvTable): string {
  const [header, rows] = tables[table](report);
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

const tables: Record<CsvTable, (r: AuditReport) => [string[], Cell[][]]> = {
  resources: (r) => [
    [
      'account',
      'region',
      'kind',
      'resource',
      'newest_available_at',
      'age_hours',
      'rpo_hours',
      'status',
      'available',
      'pending',
      'failed',
      'pruned',
      'lost',
      'last_failure',
      // With a DR region: the RPO standing there (its own target) and where the newest point's DR copy stands.
      ...(r.drRpo
        ? ['dr_newest_available_at', 'dr_age_hours', 'dr_rpo_hours', 'dr_status', 'dr_copy_behind', 'dr_behind_hours', 'regions']
        : []),
    ],
    r.resources.map((x) => [
      x.account,
      x.region,
      x.kind,
      x.resourceId,
      x.newestAvailableAt,
      round(x.ageHours),
      x.rpoHours,
      x.status,
      x.points.available,
      x.points.pending,
      x.points.failed,
      x.points.pruned,
      x.points.lost,
      x.lastFailure,
      ...(r.drRpo
        ? [
            x.dr?.newestAvailableAt,
            round(x.dr?.ageHours),
            x.dr?.rpoHours,
            x.dr?.status,
            x.dr?.behind?.state,
            round(x.dr?.behind?.hours),
            regionsText(x),
          ]
        : []),
    ]),
  ],
  coverage: (r) => [
    [
      'account',
      'region',
      'kind',
      'resources',
      'protected',
      'never_copied',
      'pruned_only',
      'lost_only',
      'available',
      'pending',
      'failed',
      'pruned',
      'lost',
    ],
    r.coverage.map((c) => [
      c.account,
      c.region,
      c.kind,
      c.resources,
      c.protected,
      c.neverCopied,
      c.noLongerProtected,
      c.lost,
      c.points.available,
      c.points.pending,
      c.points.failed,
      c.points.pruned,
      c.points.lost,
    ]),
  ],
  rpo: (r) => [
    ['account', 'resources', 'met', 'breached', 'no_copy', 'no_target', 'compliance_percent', 'worst_age_hours'],
    r.rpo.map((a) => [a.account, a.resources, a.met, a.breached, a.noCopy, a.noTarget, round(a.compliancePercent), round(a.worstAgeHours)]),
  ],
  unprotected: (r) => [
    ['account', 'region', 'kind', 'resource', 'tags', 'newest_age_hours', 'rpo_hours', 'why'],
    r.unprotected.map((u) => [
      u.account,
      u.region,
      u.kind,
      u.resourceId,
      JSON.stringify(u.tags),
      round(u.newestAgeHours),
      u.rpoHours,
      u.why,
    ]),
  ],
  // Empty (the header only) when the captures were not read: the table format says why.
  'config-changes': (r) => [
    ['account', 'region', 'list', 'resource', 'change', 'fields', 'captured_after', 'captured_before'],
    (r.configChanges ?? []).map((c) => [c.account, c.region, c.list, c.resource, c.change, c.fields?.join(' '), c.after, c.before]),
  ],
  lost: (r) => [
    ['lost_at', 'account', 'region', 'kind', 'resource', 'source', 'vault_copy', 'reason'],
    r.lost.map((l) => [l.lostAt, l.account, l.region, l.kind, l.resourceId, l.sourceId, l.vaultCopyId, l.reason]),
  ],
  pending: (r) => [
    ['account', 'region', 'kind', 'source', 'resource', 'stage', 'waiting_for', 'recorded_at', 'pending_hours'],
    r.pending.map((p) => [
      p.account,
      p.region,
      p.kind,
      p.sourceId,
      p.resourceId,
      p.stage,
      p.waitingFor,
      p.recordedAt,
      round(p.pendingHours),
    ]),
  ],
  failures: (r) => decisionTable(r.failures),
  rejections: (r) => decisionTable(r.rejections),
  retention: (r) => [
    [
      'account',
      'kind',
      'retention_days',
      'keep_last',
      'available',
      'oldest_available_at',
      'past_retention',
      'legal_holds',
      'pruned',
      'locked',
    ],
    r.retention.map((x) => [
      x.account,
      x.kind,
      x.retentionDays,
      x.keepLast,
      x.available,
      x.oldestAvailableAt,
      x.pastRetention,
      x.legalHolds,
      x.pruned,
      x.locked,
    ]),
  ],
};

function decisionTable(rows: AuditReport['failures']): [string[], Cell[][]] {
  return [
    ['seq', 'at', 'account', 'region', 'kind', 'event', 'source', 'reason'],
    rows.map((d) => [d.seq, d.at, d.account, d.region, d.kind, d.eventId, d.sourceId, d.reason]),
  ];
}

const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n * 100) / 100);

/**
 * Quotes what needs quoting, and defuses text a spreadsheet would run as a formula (reasons can
 * quote what an event said): such a cell is prefixed with an apostrophe, as OWASP advises.
 */
function csvCell(value: Cell): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
