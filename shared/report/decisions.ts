import type { AuditLog } from '../audit/audit-log.js';
import type { ArtifactKindName } from '../kinds/index.js';

/** A failure or rejection as the audit log recorded it. */
export interface DecisionRow {
  seq: number;
  at: string;
  account?: string;
  region?: string;
  kind?: ArtifactKindName;
  eventId?: string;
  sourceId?: string;
  reason: string;
}

/** How many failures or rejections share a cause. */
export interface ReasonCount {
  reason: string;
  count: number;
}

/**
 * The failures or rejections recorded in a time range, oldest first, through the audit log's
 * by-decision index (a Query).
 *
 * @example
 * await decisionsIn(audit, 'rejected', { from: '2026-01-01', to: '2026-02-01' }, { accounts: ['111111111111'] });
 */
export async function decisionsIn(
  audit: AuditLog,
  decision: 'failed' | 'rejected',
  range: { from?: string; to?: string },
  only: { accounts?: string[]; kinds?: ArtifactKindName[] },
): Promise<DecisionRow[]> {
  const rows: DecisionRow[] = [];
  for await (const e of audit.byDecision(decision, range, only)) {
    rows.push({
      seq: e.seq,
      at: e.at,
      account: e.account,
      region: e.region,
      kind: e.kind,
      eventId: e.eventId,
      sourceId: e.sourceId,
      reason: e.reason ?? '(no reason recorded)',
    });
  }
  return rows;
}

/**
 * Counts rows by cause: a reason starts with its code, a rejection's (`forged-ownership: …`) or a
 * failure's (`UnauthorizedOperation: …`, `copy-timeout: …`); any other reason counts as itself.
 *
 * @example
 * countByReason(rows); // [{ reason: 'forged-ownership', count: 3 }, { reason: 'unknown-account', count: 1 }]
 */
export function countByReason(rows: readonly DecisionRow[]): ReasonCount[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const code = /^([A-Za-z][\w.-]*):\s/.exec(row.reason)?.[1] ?? row.reason;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
