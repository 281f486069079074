import { formatChanges } from '../shared/config-capture/diff.js';
import { headedTable as table } from '../shared/report/text-table.js';
import type { DrillReport } from './drill-report.js';
import { formatGameDay } from './game-day-summary.js';

/** A plain-text table of left-aligned columns padded to their widest cell (none is cut: reasons are shortened before). */

const MAX_REASON = 140;
const short = (text: string) => (text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text);

/** The end-of-drill summary a DR engineer reads: counts first, then every event that needs a look, then the artifacts. */
export function formatSummary(report: DrillReport): string {
  const t = report.totals;
  const parts = [
    `\n== backup-hub drill: ${report.drill}`,
    table(
      [
        'events in',
        'copied',
        'skipped',
        'rejected',
        'failed',
        'pending',
        'in DLQ',
        'vault copies',
        'by the sweep',
        'lost',
        'source leftovers',
      ],
      [
        [t.events, t.copied, t.skipped, t.rejected, t.failed, t.pending, t.dlq, t.vaultCopies, t.swept, t.lost, t.sourceLeftovers].map(
          String,
        ),
      ],
    ),
  ];
  const notable = report.events.filter((e) => e.outcome !== 'copied');
  if (notable.length) {
    parts.push(
      `\n-- events not copied (${notable.length})`,
      table(
        ['event', 'account', 'outcome', 'reason'],
        notable.map((e) => [e.id, e.account ?? '-', e.outcome + (e.dlq ? ' (DLQ)' : ''), short(e.reason ?? '')]),
      ),
    );
  }
  parts.push(
    `\n-- artifacts (${report.artifacts.length})`,
    table(
      ['kind', 'account', 'region', 'source', 'encryption', 'state', 'vault copy', 'reason'],
      report.artifacts.map((a) => [
        a.kind,
        a.account,
        a.region,
        a.sourceId,
        a.sourceEncryption,
        a.state,
        a.vaultCopyId ?? '-',
        short(a.failureReason ?? ''),
      ]),
    ),
    ...unprotectedLines(report),
    ...lostLines(report),
    '\n(full reasons in the --report JSON)',
    `vault key: ${report.vault.keyArn}`,
    auditLogLine(report.auditLog),
    refusedCallsLine(report.refusedCalls),
    ...quotaLines(report.quotaExceeded),
    `simulated time: ${report.simulatedMinutes} minutes`,
    ...alarmLines(report.alarms),
    ...doctorLines(report.doctor),
    ...configChangeLines(report.configChanges),
    ...formatGameDay(report.restore),
    ...attackLines(report),
  );
  return parts.join('\n');
}

/** The ransomware game day: per principal what was refused, every attempt that succeeded, and what survived. */
function attackLines(report: DrillReport): string[] {
  if (report.attacks.length === 0) return [];
  const principals = [...new Set(report.attacks.map((a) => a.as))];
  const after = report.afterAttacks;
  return [
    `\n-- attacks: ${report.attacks.length} destructive attempts, ${report.attacks.filter((a) => a.outcome === 'refused').length} refused (attacks in the --report JSON)`,
    table(
      ['as', 'attempts', 'refused', 'succeeded'],
      principals.map((as) => {
        const mine = report.attacks.filter((a) => a.as === as);
        const succeeded = mine.filter((a) => a.outcome === 'succeeded');
        return [
          as,
          String(mine.length),
          String(mine.length - succeeded.length),
          succeeded.map((a) => `${a.action} ${a.target}`).join('; ') || '-',
        ];
      }),
    ),
    after
      ? `survived: ${after.survived.snapshots} vault snapshots, ${after.survived.images} AMIs, ${after.survived.storedVersions} stored parameter versions, ${after.survived.recycleBinRules} locked Recycle Bin rules, ${after.survived.points} available recovery points; ${after.lost.length === 0 ? 'nothing the vault held before the attacks is gone' : `LOST: ${after.lost.join('; ')}`}`
      : '',
  ];
}

/** What the sources hold that nothing protects: what a DR engineer looks at first after the events. */
function unprotectedLines(report: DrillReport): string[] {
  if (report.unprotected.length === 0) return ['\n-- unprotected resources: none (every resource the sweep saw has a copy within its RPO)'];
  return [
    `\n-- unprotected resources (${report.unprotected.length}): the sources hold them, nothing protects them within their RPO`,
    table(
      ['kind', 'account', 'region', 'resource', 'newest copy', 'why'],
      report.unprotected.map((u) => [
        u.kind,
        u.account,
        u.region,
        u.resourceId,
        u.newestAgeHours === undefined ? '-' : `${u.newestAgeHours.toFixed(1)} h old`,
        u.why,
      ]),
    ),
  ];
}

function lostLines(report: DrillReport): string[] {
  if (report.lost.length === 0) return [];
  return [
    `\n-- lost copies (${report.lost.length}): the integrity sweep found them gone; they protect nothing`,
    table(
      ['kind', 'account', 'source', 'reason'],
      report.lost.map((l) => [l.kind, l.account, l.sourceId, short(l.reason)]),
    ),
  ];
}

/** Quotas the stacks exceed: the drill ran, but AWS would refuse the deployment. */
function quotaLines(exceeded: DrillReport['quotaExceeded']): string[] {
  if (exceeded.length === 0) return ['AWS quotas: every stack fits'];
  return [
    `AWS quotas: ${exceeded.length} exceeded; AWS would refuse these stacks (the simulation let them through so the drill could run):`,
    ...exceeded.map((q) => `  ${q.quota}: ${q.value.toLocaleString('en-US')} of ${q.limit.toLocaleString('en-US')} for ${q.subject}`),
  ];
}

/** The alarms that fired, in full: what the on-call was paged with. */
function alarmLines(alarms: DrillReport['alarms']): string[] {
  const firing = alarms.filter((a) => a.state === 'ALARM');
  const ok = alarms.filter((a) => a.state === 'OK').length;
  const header = `alarms: ${firing.length} in ALARM, ${ok} OK, ${alarms.length - firing.length - ok} without data (alarms in the --report JSON)`;
  return [
    header,
    ...firing.map(
      (a) => `  ALARM since ${a.since}: ${a.name}
    ${a.reason}`,
    ),
  ];
}

/** Calls a policy refused: none when the deployed stacks grant what the hub does. */
function refusedCallsLine(calls: DrillReport['refusedCalls']): string {
  if (calls.length === 0) return 'refused calls: none (every call the hub made was allowed by the deployed policies)';
  const byCall = new Map<string, number>();
  for (const c of calls) byCall.set(`${c.call} by ${c.principal}`, (byCall.get(`${c.call} by ${c.principal}`) ?? 0) + 1);
  return `refused calls: ${calls.length}, a policy allowed none of them (refusedCalls in the --report JSON):\n${[...byCall].map(([call, n]) => `  ${n} × ${call}`).join('\n')}`;
}

/** What the drill's doctor steps found: a count when all is well, each ✗ with its fix otherwise. */
function doctorLines(findings: DrillReport['doctor']): string[] {
  if (findings.length === 0) return [];
  const failed = findings.filter((f) => !f.ok);
  if (failed.length === 0) return [`doctor: ${findings.length} checks, all ✓`];
  return [
    `doctor: ${failed.length} of ${findings.length} checks ✗ (doctor in the --report JSON):`,
    ...failed.map((f) => `  ✗ ${f.account} ${f.region}: ${short(f.check)}\n      fix: ${f.fix}`),
  ];
}

/** Each changeConfig step: what it made, and what `backup-hub config diff` lists between the captures around it. */
function configChangeLines(steps: DrillReport['configChanges']): string[] {
  return steps.flatMap((step) => [
    `\n-- configuration change of ${step.account} ${step.region} at ${step.startedAt}: ${step.made.length} change(s) made; ${
      step.to
        ? `config diff from the capture of ${step.from!.capturedAt} to that of ${step.to.capturedAt}: ${step.changes.length} change(s)`
        : `no diff (${step.reason})`
    }`,
    ...(step.to ? [formatChanges(step.changes)] : []),
  ]);
}

/** The chain's verdict, and the signed anchor it was checked against. */
function auditLogLine(log: DrillReport['auditLog']): string {
  if (!log.intact) return `audit log: ${log.entries} entries, BROKEN: ${log.problem}`;
  const anchor = log.anchor
    ? `, signed anchor #${log.anchor.seq} (signed ${log.anchor.signedAt}) holds${afterAnchor(log.unanchored)}`
    : ', no signed anchor yet';
  return `audit log: ${log.entries} entries, hash chain intact${anchor}`;
}

function afterAnchor(unanchored: DrillReport['auditLog']['unanchored']): string {
  if (!unanchored?.entries) return '; nothing came after it';
  return unanchored.entries === 1
    ? `; entry #${unanchored.from} came after it`
    : `; entries #${unanchored.from}..#${unanchored.to} came after it`;
}
