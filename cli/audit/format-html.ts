import type { AuditReport } from '../../shared/report/audit-report.js';
import type { DecisionRow } from '../../shared/report/decisions.js';
import { escapeHtml, htmlTable } from './html.js';
import { drShortfalls, pendingText, regionsText, rpoStatusText, tagsText } from './labels.js';
import { type ReportContext, scopeLines, verdictLines } from './report-context.js';
import { retentionView } from './retention-cells.js';
import { rpoChart } from './rpo-chart.js';
import { age, count, percent, target, time } from './units.js';

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; max-width: 72rem; }
h1 { margin-bottom: .25rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
.scope { list-style: none; padding: 0; color: #444; } .scope li { margin: .1rem 0; }
.verdict { padding: .75rem 1rem; border-radius: 4px; margin: 1rem 0; } .verdict p { margin: .2rem 0; overflow-wrap: anywhere; }
.verdict.ok { background: #e8f5e9; border: 1px solid #2e7d32; } .verdict.broken { background: #ffebee; border: 2px solid #c62828; font-weight: bold; }
.figures { display: flex; flex-wrap: wrap; gap: .75rem; }
.figure { border: 1px solid #ccc; border-radius: 4px; padding: .5rem .9rem; min-width: 7rem; }
.figure .value { display: block; font-size: 1.6rem; font-weight: bold; } .figure .label { color: #555; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; } .more { color: #555; font-style: italic; }
@media print { body { margin: 0; } }`;

/**
 * The report as one self-contained HTML page (inline CSS and SVG, no script, nothing fetched;
 * its Content-Security-Policy forbids loading anything): the audit log's verdict, the key
 * numbers, RPO compliance per account as a chart, coverage, and the lists. Every value is escaped.
 *
 * @example
 * await writeFile('report.html', formatHtml(report, context));
 */
export function formatHtml(report: AuditReport, context: ReportContext): string {
  const t = report.totals;
  const verdict = report.auditLog;
  const notMet = report.resources.filter((r) => r.status === 'breached' || r.status === 'no-copy');
  const retention = retentionView(report);
  const figures: [string, string, string][] = [
    ['recoveryPoints', count(t.recoveryPoints), 'recovery points'],
    ['resources', count(t.resources), 'resources'],
    ['protected', count(t.protected), 'protected'],
    ['neverCopied', count(t.neverCopied), 'never copied'],
    ['unprotected', count(t.unprotected), 'unprotected in the sources'],
    ['lost', count(t.lost), 'lost copies'],
    ['rpoMet', count(t.rpoMet), 'RPO met'],
    ['rpoBreached', count(t.rpoBreached), 'RPO breached'],
    ...(report.drRpo
      ? ([
          ['protectedInBothRegions', count(t.protectedInBothRegions ?? 0), `protected in both regions (DR: ${report.drRpo.region})`],
          ['drRpoMet', count(t.drRpoMet ?? 0), 'RPO met in the DR region'],
          ['drRpoBreached', count(t.drRpoBreached ?? 0), 'RPO breached in the DR region'],
        ] as [string, string, string][])
      : []),
    ['pending', count(t.pending), 'pending copies'],
    ['failures', count(t.failures), 'failures'],
    ['rejections', count(t.rejections), 'rejections'],
  ];
  const body = [
    `<header><h1>backup-hub audit</h1><ul class="scope">${scopeLines(report, context)
      .map((l) => `<li>${escapeHtml(l)}</li>`)
      .join('')}</ul></header>`,
    `<section id="verdict" class="verdict ${verdict.ok ? 'ok' : 'broken'}" data-ok="${verdict.ok}">${verdictLines(verdict, context.anchor)
      .map((l) => `<p>${escapeHtml(l)}</p>`)
      .join('')}</section>`,
    `<section id="summary"><h2>Key numbers</h2><div class="figures">${figures.map(([key, value, label]) => `<div class="figure" data-figure="${key}"><span class="value">${escapeHtml(value)}</span><span class="label">${escapeHtml(label)}</span></div>`).join('')}</div></section>`,
    `<section id="rpo"><h2>RPO compliance per account</h2>`,
    report.rpo.length ? rpoChart(report.rpo) : '<p>No resources.</p>',
    htmlTable(
      ['account', 'resources', 'met', 'breached', 'no copy', 'no target', 'compliant', 'worst age'],
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
      [1, 2, 3, 4, 5, 6, 7],
    ),
    `</section>`,
    `<section id="coverage"><h2>Coverage per account, region and kind</h2>`,
    htmlTable(
      [
        'account',
        'region',
        'kind',
        'resources',
        'protected',
        'never copied',
        'pruned only',
        'lost',
        'available copies',
        'pending',
        'failed',
        'pruned',
        'lost copies',
      ],
      report.coverage.map((c) => [
        c.account,
        c.region,
        c.kind,
        count(c.resources),
        count(c.protected),
        count(c.neverCopied),
        count(c.noLongerProtected),
        count(c.lost),
        count(c.points.available),
        count(c.points.pending),
        count(c.points.failed),
        count(c.points.pruned),
        count(c.points.lost),
      ]),
      [3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    ),
    `</section>`,
    list(
      'unprotected',
      'Unprotected resources: the sources hold them, nothing protects them within their RPO',
      report.unprotected,
      context.limit,
      ['account', 'region', 'kind', 'resource', 'tags', 'newest copy', 'target', 'why'],
      [5, 6],
      (u) => [u.account, u.region, u.kind, u.resourceId, tagsText(u.tags), age(u.newestAgeHours), target(u.rpoHours, 'h'), u.why],
      '<p>As the inventory sweep last listed the sources.</p>',
    ),
    list(
      'not-met',
      'Resources not meeting their RPO',
      notMet,
      context.limit,
      ['account', 'region', 'kind', 'resource', 'newest copy', 'age', 'target', 'status'],
      [5, 6],
      (r) => [
        r.account,
        r.region,
        r.kind,
        r.resourceId,
        time(r.newestAvailableAt),
        age(r.ageHours),
        target(r.rpoHours, 'h'),
        rpoStatusText(r),
      ],
    ),
    ...(report.drRpo
      ? [
          list(
            'dr',
            `Resources not protected in both regions, or not meeting their RPO in the DR region ${report.drRpo.region}`,
            drShortfalls(report),
            context.limit,
            ['account', 'region', 'kind', 'resource', 'newest DR copy', 'DR age', 'target', 'DR RPO', 'regions'],
            [5, 6],
            (r) => [
              r.account,
              r.region,
              r.kind,
              r.resourceId,
              time(r.dr!.newestAvailableAt),
              age(r.dr!.ageHours),
              target(r.dr!.rpoHours, 'h'),
              r.dr!.status === 'no-copy' ? 'no DR copy' : r.dr!.status,
              regionsText(r),
            ],
          ),
        ]
      : []),
    list(
      'pending',
      'Pending copies',
      report.pending,
      context.limit,
      ['account', 'region', 'kind', 'source', 'recorded', 'pending for', 'where it stands'],
      [5],
      (p) => [p.account, p.region, p.kind, p.sourceId, time(p.recordedAt), age(p.pendingHours), pendingText(p)],
    ),
    list(
      'lost',
      'Lost copies: found gone by the integrity sweep, they protect nothing',
      report.lost,
      context.limit,
      ['lost at', 'account', 'region', 'kind', 'resource', 'source', 'vault copy', 'reason'],
      [],
      (l) => [time(l.lostAt), l.account, l.region, l.kind, l.resourceId, l.sourceId, l.vaultCopyId ?? '–', l.reason],
    ),
    decisions('failures', 'Failures', report.failures, report.failureCauses, context.limit),
    decisions('rejections', 'Rejections', report.rejections, report.rejectionCauses, context.limit),
    `<section id="retention"><h2>Retention and lock</h2><p>${escapeHtml(retention.notes.join(' '))}</p>`,
    htmlTable(retention.headers, retention.rows, [2, 3, 4, 5, 6, 7, 8]),
    `</section>`,
    `<footer><h2>Targets from</h2><ul>${Object.entries(report.policies)
      .map(([account, from]) => `<li>${escapeHtml(`${account}: ${from}`)}</li>`)
      .join('')}</ul></footer>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`backup-hub audit as of ${time(report.scope.until)}`)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

function list<T>(
  id: string,
  title: string,
  rows: readonly T[],
  limit: number,
  headers: string[],
  numeric: number[],
  cells: (row: T) => (string | number)[],
  intro = '',
): string {
  const shown = limit === 0 ? rows : rows.slice(0, limit);
  const more = rows.length - shown.length;
  return [
    `<section id="${id}"><h2>${escapeHtml(`${title} (${count(rows.length)})`)}</h2>${intro}`,
    rows.length ? htmlTable(headers, shown.map(cells), numeric) : '<p>None.</p>',
    more > 0 ? `<p class="more">${escapeHtml(`… and ${count(more)} more: the CSV and JSON formats list all of them.`)}</p>` : '',
    '</section>',
  ].join('');
}

function decisions(id: string, title: string, rows: readonly DecisionRow[], causes: AuditReport['failureCauses'], limit: number): string {
  const byCause = causes.length ? `<p>By cause: ${causes.map((c) => escapeHtml(`${c.reason}: ${count(c.count)}`)).join('; ')}</p>` : '';
  const cells = (d: DecisionRow) => [
    time(d.at),
    d.account ?? '–',
    d.region ?? '–',
    d.kind ?? '–',
    d.eventId ?? '–',
    d.sourceId ?? '–',
    d.reason,
  ];
  return list(id, title, rows, limit, ['time', 'account', 'region', 'kind', 'event', 'artifact', 'reason'], [], cells, byCause);
}
