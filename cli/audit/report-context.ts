import type { AnchoredVerdict } from '../../shared/audit/verify-anchored.js';
import type { ChainHead } from '../../shared/audit/verify-chain.js';
import type { AuditReport } from '../../shared/report/audit-report.js';
import { count, time } from './units.js';

/** What the formats say besides the report: where it was read and when. */
export interface ReportContext {
  /** Where the data comes from: the AWS tables and region, or the local drill folder. */
  source: string;
  /** Why the as-of time is what it is, when it was not given. */
  untilNote?: string;
  generatedAt: string;
  /** Rows per list (table and HTML); 0 for all. */
  limit: number;
  anchor?: ChainHead;
}

/**
 * The header lines every human-readable format starts with: what was queried.
 *
 * @example
 * scopeLines(report, context); // ['source: local drill state .backup-hub …', 'as of: 2026-01-01 01:20 UTC (the drill’s end) …', …]
 */
export function scopeLines(report: AuditReport, context: ReportContext): string[] {
  const { scope } = report;
  return [
    `source: ${context.source}`,
    `as of: ${time(scope.until)}${context.untilNote ? ` (${context.untilNote})` : ''}; failures and rejections from ${time(scope.since)}`,
    `accounts: ${scope.onlyTheseAccounts ? scope.accounts.join(', ') : `all ${count(scope.accounts.length)} sources (${scope.accounts.join(', ')})`}; kinds: ${scope.kinds?.join(', ') ?? 'all'}`,
    `generated: ${time(context.generatedAt)}`,
  ];
}

/** The verdict in a few words: `intact (41 entries)`, `BROKEN at #3 (edited)`. */
export const verdictSummary = (verdict: AuditReport['auditLog']): string =>
  verdict.ok ? `intact (${count(verdict.entries)} entries)` : `BROKEN at #${verdict.seq} (${verdict.problem})`;

/**
 * The audit log's verdict in words.
 *
 * @example
 * verdictLines({ ok: false, entries: 9, seq: 3, problem: 'edited', detail: 'entry #3 does not match its hash' });
 * // ['audit log BROKEN at entry #3 (edited): entry #3 does not match its hash', …]
 */
export function verdictLines(verdict: AuditReport['auditLog'], anchor?: ChainHead): string[] {
  if (!verdict.ok) {
    return [
      `audit log BROKEN at entry #${verdict.seq} (${verdict.problem}): ${verdict.detail}`,
      `${count(verdict.entries)} entries read; nothing from #${verdict.seq} on can be trusted`,
    ];
  }
  if (!verdict.head) return ['audit log intact: it is empty'];
  const { seq, hash } = verdict.head;
  return [
    `audit log intact: ${count(verdict.entries)} entries, every hash and link checks out${anchor ? `, and #${anchor.seq} still has the anchored hash` : ''}`,
    `head: #${seq} ${hash}`,
    `keep the head: this later proves that nothing up to #${seq} was removed or rewritten:`,
    `  backup-hub audit verify --anchor ${seq}:${hash}`,
  ];
}

/** An hourly anchor older than this means the anchor function stopped (or was stopped). */
const STALE_ANCHOR_HOURS = 3;

/**
 * A verify against the newest signed anchor, in words: the anchor, the verdict, and the entries
 * written after the anchor.
 *
 * @example
 * anchoredLines({ ok: true, entries: 3, walked: 'since-anchor', anchor: { seq: 60, … }, unanchored: { entries: 2, from: 61, to: 62 } });
 * // ['signed anchor: #60 …', 'audit log intact from the signed anchor: …', 'after the anchor: entries #61..#62 (2), linked but not yet signed']
 */
export function anchoredLines(verdict: AnchoredVerdict, now?: Date): string[] {
  const anchor = verdict.anchor;
  const ageHours = anchor && now ? (now.getTime() - Date.parse(anchor.signedAt)) / 3_600_000 : 0;
  const anchorLine = anchor
    ? [
        `signed anchor: #${anchor.seq} (written ${anchor.at}, signed ${anchor.signedAt}) in ${anchor.object}`,
        ...(ageHours > STALE_ANCHOR_HOURS
          ? [
              `WARNING: the newest anchor is ${Math.floor(ageHours)} hours old, but the audit anchor signs every hour: check its function's errors alarm (backup-hub-audit-anchor-errors) and its log group`,
            ]
          : []),
      ]
    : ['signed anchor: none yet (the audit anchor signs the head every hour): every entry was walked'];
  if (!verdict.ok) return [...anchorLine, ...verdictLines(verdict)];
  const walked =
    verdict.walked === 'full'
      ? `every entry (${count(verdict.entries)}) checks out${anchor ? `, and #${anchor.seq} still has the hash the anchor signed` : ''}`
      : `the anchor's signature holds, and #${anchor!.seq} and the ${count(verdict.entries - 1)} entries after it check out (--full walks them all)`;
  const after = verdict.unanchored?.entries
    ? `after the anchor: entries #${verdict.unanchored.from}..#${verdict.unanchored.to} (${count(verdict.unanchored.entries)}), linked but not yet signed`
    : 'after the anchor: nothing; the head is signed';
  return [...anchorLine, `audit log intact: ${walked}`, after];
}
