import type { AuditReport } from '../../shared/report/audit-report.js';
import type { DecisionRow } from '../../shared/report/decisions.js';
import { type Column, textTable, wrap } from '../../shared/report/text-table.js';
import { drShortfalls, pendingText, regionsText, rpoStatusText, tagsText } from './labels.js';
import { type ReportContext, scopeLines, verdictLines, verdictSummary } from './report-context.js';
import { retentionView } from './retention-cells.js';
import { age, count, percent, target, time } from './units.js';

/**
 * The report for a terminal, readable at 100 columns: what was queried, the key numbers, then
 * one table per question. Long lists stop at `context.limit` rows and say how many were left.
 *
 * @example
 * console.log(formatTable(report, { source: 'local drill state .backup-hub', generatedAt, limit: 20 }));
 */
export function formatTable(report: AuditReport, context: ReportContext): string {
  const t = report.totals;
  const notMet = report.resources.filter((r) => r.status === 'breached' || r.status === 'no-copy');
  const retention = retentionView(report);
  const lines = [
    '== backup-hub audit',
    ...scopeLines(report, context).flatMap((line) => wrap(line)),
    '',
    '-- summary',
    `recovery points  ${count(t.recoveryPoints)}`,
    `resources        ${count(t.resources)}: ${count(t.protected)} protected, ${count(t.neverCopied)} never copied, ${count(coverageLost(report))} lost every copy`,
    `unprotected      ${count(t.unprotected)} resources in the sources without a copy within their RPO (as the sweep saw them)`,
    `lost copies      ${count(t.lost)}`,
    `RPO              ${count(t.rpoMet)} met, ${count(t.rpoBreached)} breached, ${count(notMet.length - t.rpoBreached)} without a copy`,
    ...(report.drRpo
      ? wrap(
          `DR region        ${report.drRpo.region}: ${count(t.protectedInBothRegions ?? 0)} resources protected in both regions; RPO there ${count(t.drRpoMet ?? 0)} met, ${count(t.drRpoBreached ?? 0)} breached`,
        )
      : []),
    `pending copies   ${count(t.pending)}`,
    `failures         ${count(t.failures)}; rejections ${count(t.rejections)}`,
    `audit log        ${verdictSummary(report.auditLog)}`,
    '',
    '-- coverage per account, region and kind',
    report.coverage.length === 0
      ? '(no recovery points)'
      : textTable(
          [
            { header: 'account' },
            { header: 'region' },
            { header: 'kind' },
            ...['resources', 'protected', ...(report.drRpo ? ['in DR'] : []), 'never copied', 'pruned only', 'lost'].map(
              (header): Column => ({ header, align: 'right' }),
            ),
          ],
          report.coverage.map((c) => [
            c.account,
            c.region,
            c.kind,
            count(c.resources),
            count(c.protected),
            ...(report.drRpo ? [count(c.protectedInBothRegions ?? 0)] : []),
            count(c.neverCopied),
            count(c.noLongerProtected),
            count(c.lost),
          ]),
        ),
    '',
    '-- RPO compliance per account (age of the newest available copy against the target)',
    report.rpo.length === 0
      ? '(no resources)'
      : textTable(
          [
            { header: 'account' },
            ...['resources', 'met', 'breached', 'no copy', 'no target', 'compliant', 'worst age'].map(
              (header): Column => ({ header, align: 'right' }),
            ),
          ],
          report.rpo.map((a) => [
            a.account,
            count(a.resources),
            count(a.met),
            count(a.breached),
            count(a.noCopy),
            count(a.noTarget),
            percent(a.compliancePercent),
            age(a.worstAgeHours),
          ]),
        ),
    ...section(
      'resources not meeting their RPO',
      notMet,
      context.limit,
      [
        { header: 'account' },
        { header: 'region' },
        { header: 'kind' },
        { header: 'resource', shrinkTo: 20 },
        { header: 'age', align: 'right' },
        { header: 'target', align: 'right' },
        { header: 'status', shrinkTo: 12 },
      ],
      (r) => [r.account, r.region, r.kind, r.resourceId, age(r.ageHours), target(r.rpoHours, 'h'), rpoStatusText(r)],
    ),
    ...(report.drRpo
      ? section(
          `resources not yet copied to the DR region ${report.drRpo.region}, or past their RPO there`,
          drShortfalls(report),
          context.limit,
          [
            { header: 'account' },
            { header: 'region' },
            { header: 'kind' },
            { header: 'resource', shrinkTo: 20 },
            { header: 'DR age', align: 'right' },
            { header: 'target', align: 'right' },
            { header: 'where it stands', shrinkTo: 24 },
          ],
          (r) => [
            r.account,
            r.region,
            r.kind,
            r.resourceId,
            age(r.dr!.ageHours),
            target(r.dr!.rpoHours, 'h'),
            r.dr!.behind || r.status === 'no-copy' ? regionsText(r) : `DR RPO ${r.dr!.status}`,
          ],
        )
      : []),
    ...section(
      'unprotected resources (the sources hold them; nothing protects them within their RPO)',
      report.unprotected,
      context.limit,
      [
        { header: 'account' },
        { header: 'region' },
        { header: 'kind' },
        { header: 'resource', shrinkTo: 20 },
        { header: 'tags', shrinkTo: 12 },
        { header: 'newest copy', align: 'right' },
        { header: 'target', align: 'right' },
        { header: 'why', shrinkTo: 12 },
      ],
      (u) => [u.account, u.region, u.kind, u.resourceId, tagsText(u.tags), age(u.newestAgeHours), target(u.rpoHours, 'h'), u.why],
    ),
    ...section(
      'lost copies (found gone by the integrity sweep; they protect nothing)',
      report.lost,
      context.limit,
      [
        { header: 'lost at' },
        { header: 'account' },
        { header: 'kind' },
        { header: 'source', shrinkTo: 16 },
        { header: 'reason', shrinkTo: 16 },
      ],
      (l) => [time(l.lostAt), l.account, l.kind, l.sourceId, l.reason],
    ),
    ...section(
      'pending copies',
      report.pending,
      context.limit,
      [
        { header: 'account' },
        { header: 'kind' },
        { header: 'source', shrinkTo: 20 },
        { header: 'pending', align: 'right' },
        { header: 'where it stands', shrinkTo: 16 },
      ],
      (p) => [p.account, p.kind, p.sourceId, age(p.pendingHours), pendingText(p)],
    ),
    ...(report.configChangesUnread
      ? ['', `-- configuration changes: not read (${report.configChangesUnread})`]
      : report.configChanges
        ? section(
            'configuration: last change per resource, made between the two captures named',
            report.configChanges,
            context.limit,
            [
              { header: 'account' },
              { header: 'region' },
              { header: 'of' },
              { header: 'resource', shrinkTo: 20 },
              { header: 'change' },
              { header: 'captured after' },
              { header: 'captured before' },
            ],
            (c) => [
              c.account,
              c.region,
              c.list,
              c.resource,
              `${c.change}${c.fields ? ` ${c.fields.join(', ')}` : ''}`,
              time(c.after),
              time(c.before),
            ],
          )
        : []),
    ...decisionSection('failures', report.failures, report.failureCauses, context.limit),
    ...decisionSection('rejections', report.rejections, report.rejectionCauses, context.limit),
    '',
    '-- retention and lock',
    report.retention.length === 0
      ? '(no recovery points)'
      : textTable(
          retention.headers.map((header, i): Column => (i < 2 ? { header } : { header, align: 'right' })),
          retention.rows,
        ),
    ...retention.notes.flatMap((note) => wrap(note)),
    '',
    '-- targets from',
    ...Object.entries(report.policies).flatMap(([account, from]) => wrap(`${account}: ${from}`)),
    '',
    '-- audit log',
    ...verdictLines(report.auditLog, context.anchor).flatMap((line) => wrap(line)),
    '',
    "(a cell cut short ends in '…': --format csv or json gives every value whole)",
  ];
  return lines.join('\n');
}

const coverageLost = (report: AuditReport) => report.coverage.reduce((n, c) => n + c.lost, 0);

function section<T>(title: string, rows: readonly T[], limit: number, columns: Column[], cells: (row: T) => string[]): string[] {
  if (rows.length === 0) return ['', `-- ${title}: none`];
  const shown = limit === 0 ? rows : rows.slice(0, limit);
  const more = rows.length - shown.length;
  return [
    '',
    `-- ${title} (${count(rows.length)})`,
    textTable(columns, shown.map(cells)),
    ...(more > 0 ? [`… and ${count(more)} more (all of them: --limit 0, or --format csv / json)`] : []),
  ];
}

function decisionSection(
  title: 'failures' | 'rejections',
  rows: readonly DecisionRow[],
  causes: AuditReport['failureCauses'],
  limit: number,
): string[] {
  const [blank, heading, ...rest] = section(
    title,
    rows,
    limit,
    [
      { header: 'time' },
      { header: 'account' },
      { header: 'kind' },
      { header: 'event / artifact', shrinkTo: 16 },
      { header: 'reason', shrinkTo: 16 },
    ],
    (d) => [time(d.at), d.account ?? '–', d.kind ?? '–', d.sourceId ?? d.eventId ?? '–', d.reason],
  );
  const causeLine =
    causes.length > 1
      ? [`by cause: ${causes.map((c) => `${c.reason.length > 40 ? `${c.reason.slice(0, 39)}…` : c.reason} ${count(c.count)}`).join(', ')}`]
      : [];
  return [blank!, heading!, ...causeLine, ...rest];
}
