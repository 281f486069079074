import { entryHash } from './audit-log.js';
import type { AuditEntry } from './audit-entry.js';

export type ChainProblem = 'edited' | 'removed' | 'reordered';

export type ChainVerdict = { ok: true; entries: number } | { ok: false; entries: number; seq: number; problem: ChainProblem; detail: string };

/**
 * Walks the audit log in order and names the first entry that was edited, removed or
 * reordered. An edit breaks the entry's own hash; a removal leaves a gap in the sequence; a
 * reordering leaves intact entries whose previous-hash links point elsewhere.
 *
 * @example
 * const verdict = await verifyChain(audit.entries());
 * if (!verdict.ok) console.error(`audit log broken at #${verdict.seq}: ${verdict.problem}`);
 */
export async function verifyChain(entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>): Promise<ChainVerdict> {
  let previous: AuditEntry | undefined;
  let count = 0;
  for await (const entry of entries) {
    count += 1;
    const expectedSeq = (previous?.seq ?? 0) + 1;
    const { hash, ...content } = entry;
    if (entryHash(content) !== hash) return { ok: false, entries: count, seq: entry.seq, problem: 'edited', detail: `entry #${entry.seq} does not match its hash` };
    if (entry.seq > expectedSeq) return { ok: false, entries: count, seq: expectedSeq, problem: 'removed', detail: `entries #${expectedSeq}..#${entry.seq - 1} are missing` };
    if (previous && entry.prevHash !== previous.hash) {
      return { ok: false, entries: count, seq: entry.seq, problem: 'reordered', detail: `entry #${entry.seq} does not follow #${previous.seq}` };
    }
    previous = entry;
  }
  return { ok: true, entries: count };
}
