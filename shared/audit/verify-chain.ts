import type { AuditEntry } from './audit-entry.js';
import { entryHash, GENESIS_HASH } from './audit-log.js';

/**
 * - `edited`: an entry does not match its own hash.
 * - `removed`: sequence numbers are missing (or the log ends before a recorded anchor).
 * - `reordered`: an entry stands at another place than the one it was written at.
 * - `rewritten`: every hash checks out but a link does not, and no entry explains it: an entry
 *   was edited and its hash recomputed, or entries were removed and the rest renumbered. A plain
 *   SHA-256 chain cannot tell these apart; an anchor (a head recorded earlier) catches both.
 * - `forged-anchor`: the newest signed anchor does not hold (its signature, its key or its form):
 *   someone other than the audit anchor role wrote it, or edited it.
 */
export type ChainProblem = 'edited' | 'removed' | 'reordered' | 'rewritten' | 'forged-anchor';

/** The last entry of the log, as an auditor records it to check later that nothing before it changed. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type ChainVerdict =
  | { ok: true; entries: number; head?: ChainHead }
  | { ok: false; entries: number; seq: number; problem: ChainProblem; detail: string };

type Broken = Extract<ChainVerdict, { ok: false }>;

/** What is kept of the entries after the first failing one: enough to see where entries went. */
type Link = Pick<AuditEntry, 'seq' | 'hash' | 'prevHash'>;

/**
 * Walks the audit log in order and names the first entry that was edited, removed or
 * reordered. With an `anchor` (a head printed by an earlier verify) it also detects entries
 * removed from the end and a log rewritten consistently up to the anchor. With `from` (a head
 * already proven, such as a signed anchor's) the walk resumes there: the entries start with that
 * head's own entry, which must still hash to what was proven, and go on from it.
 *
 * @example
 * const verdict = await verifyChain(audit.entries(), { anchor: { seq: 1200, hash: '9f2c…' } });
 * if (!verdict.ok) console.error(`audit log broken at #${verdict.seq}: ${verdict.detail}`);
 */
export async function verifyChain(
  entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>,
  options: { anchor?: ChainHead; from?: ChainHead } = {},
): Promise<ChainVerdict> {
  const seen = new Map<string, number>([[GENESIS_HASH, 0]]);
  let previous: AuditEntry | undefined;
  let count = 0;
  let suspect: { entry: AuditEntry; previous: AuditEntry | undefined; count: number } | undefined;
  const later: Link[] = [];
  const from = options.from;
  for await (const entry of entries) {
    count += 1;
    if (from && count === 1) {
      const startBroken = checkStart(entry, from);
      if (startBroken) return startBroken;
      seen.set(entry.hash, entry.seq);
      previous = entry;
      continue;
    }
    if (suspect) {
      later.push({ seq: entry.seq, hash: entry.hash, prevHash: entry.prevHash });
      continue;
    }
    const expectedSeq = (previous?.seq ?? 0) + 1;
    if (entry.seq > expectedSeq)
      return broken(
        count,
        expectedSeq,
        'removed',
        entry.seq - 1 === expectedSeq ? `entry #${expectedSeq} is missing` : `entries #${expectedSeq}..#${entry.seq - 1} are missing`,
      );
    const { hash, ...content } = entry;
    if (entryHash(content) !== hash || entry.seq < expectedSeq || entry.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      suspect = { entry, previous, count };
      continue;
    }
    const anchorBroken = checkAnchor(entry, options.anchor, count);
    if (anchorBroken) return anchorBroken;
    seen.set(hash, entry.seq);
    previous = entry;
  }
  if (from && count === 0) return broken(0, from.seq, 'removed', `entry #${from.seq}, the one the anchor signed, is no longer in the log`);
  if (suspect) return explain(suspect.entry, suspect.previous, suspect.count, seen, later);
  const anchor = options.anchor;
  if (anchor && (previous?.seq ?? 0) < anchor.seq) {
    return broken(
      count,
      (previous?.seq ?? 0) + 1,
      'removed',
      `the log ends at #${previous?.seq ?? 0}, but the anchor recorded #${anchor.seq}: entries #${(previous?.seq ?? 0) + 1}..#${anchor.seq} were removed`,
    );
  }
  return { ok: true, entries: count, ...(previous ? { head: { seq: previous.seq, hash: previous.hash } } : {}) };
}

/** The first entry of a resumed walk: the proven head's own entry, unchanged. */
function checkStart(entry: AuditEntry, from: ChainHead): Broken | undefined {
  if (entry.seq !== from.seq)
    return broken(1, from.seq, 'removed', `entry #${from.seq}, the one the anchor signed, is missing (the log goes on at #${entry.seq})`);
  const { hash, ...content } = entry;
  if (entryHash(content) !== hash)
    return broken(1, entry.seq, 'edited', `entry #${entry.seq}, the one the anchor signed, does not match its hash`);
  if (hash !== from.hash)
    return broken(
      1,
      entry.seq,
      'rewritten',
      `entry #${entry.seq} no longer has the hash the anchor signed (${from.hash.slice(0, 16)}…): the log was rewritten at or before #${entry.seq}`,
    );
  return undefined;
}

function checkAnchor(entry: AuditEntry, anchor: ChainHead | undefined, count: number): Broken | undefined {
  if (!anchor || entry.seq !== anchor.seq || entry.hash.startsWith(anchor.hash)) return undefined;
  return broken(
    count,
    entry.seq,
    'rewritten',
    `entry #${entry.seq} no longer has the hash the anchor recorded (${anchor.hash.slice(0, 16)}…): the log was rewritten at or before #${entry.seq}`,
  );
}

/** Names what happened at the first entry that fails, with the rest of the log at hand to see where entries went. */
function explain(entry: AuditEntry, previous: AuditEntry | undefined, count: number, seen: Map<string, number>, later: Link[]): Broken {
  const { hash, ...content } = entry;
  if (entryHash(content) !== hash) {
    const writtenAs = originalSeq(
      entry,
      later.reduce((max, e) => Math.max(max, e.seq), entry.seq),
    );
    if (writtenAs !== undefined)
      return broken(count, entry.seq, 'reordered', `entry #${entry.seq} was written as #${writtenAs}: entries were moved`);
    return broken(count, entry.seq, 'edited', `entry #${entry.seq} does not match its hash`);
  }
  const after = previous ? `#${previous.seq}` : 'the start of the log';
  if (entry.seq < (previous?.seq ?? 0) + 1) return broken(count, entry.seq, 'reordered', `entry #${entry.seq} comes after ${after}`);
  const expectedPrev = previous?.hash ?? GENESIS_HASH;
  const follows = seen.get(entry.prevHash) ?? later.find((e) => e.hash === entry.prevHash)?.seq;
  if (follows !== undefined)
    return broken(count, entry.seq, 'reordered', `entry #${entry.seq} was written after #${follows}, not after ${after}`);
  const successor = later.find((e) => e.prevHash === expectedPrev);
  if (successor) return broken(count, entry.seq, 'reordered', `the entry written after ${after} is now #${successor.seq}`);
  return broken(
    count,
    entry.seq,
    'rewritten',
    `entry #${entry.seq} does not follow ${after}, and no entry does: ${previous ? `#${previous.seq} was edited and its hash recomputed, or ` : ''}entries were removed and the rest renumbered`,
  );
}

/** The sequence number under which an entry's hash was computed, if it was moved unchanged. */
function originalSeq(entry: AuditEntry, maxSeq: number): number | undefined {
  const { hash, ...content } = entry;
  for (let seq = 1; seq <= maxSeq + 1; seq++) if (seq !== entry.seq && entryHash({ ...content, seq }) === hash) return seq;
  return undefined;
}

export function broken(entries: number, seq: number, problem: ChainProblem, detail: string): Broken {
  return { ok: false, entries, seq, problem, detail };
}
