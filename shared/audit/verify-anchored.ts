import { AnchorFormatError, type AnchorStore, type AnchorVerifier, anchorProblem } from './anchor.js';
import type { AuditEntry } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';
import { broken, type ChainVerdict, verifyChain } from './verify-chain.js';

/** The signed anchor a verify went by, as an auditor reads it. */
export interface AnchorSummary {
  seq: number;
  hash: string;
  at: string;
  signedAt: string;
  object: string;
}

/**
 * A verify against the newest signed anchor: the chain's verdict, the anchor, and the entries
 * written after it (proven linked, not yet covered by a signature).
 */
export type AnchoredVerdict = ChainVerdict & {
  /** `since-anchor`: the anchor's entry and those after it; `full`: every entry, and the anchor's entry unchanged. */
  walked: 'since-anchor' | 'full';
  anchor?: AnchorSummary;
  unanchored?: { entries: number; from?: number; to?: number };
};

/**
 * Verifies the audit log against the newest signed anchor on its own: the anchor's signature
 * (with the anchor key's public key), then the anchor's entry and every entry after it; with
 * `full`, every entry from the first. Without an anchor yet, the whole chain is walked.
 *
 * @example
 * const verdict = await verifyAnchored({ audit, anchors, verifier: await anchorVerifier(kms, keyAlias) });
 */
export async function verifyAnchored(options: {
  audit: AuditLog;
  anchors: AnchorStore;
  verifier: AnchorVerifier;
  full?: boolean;
  /** Wraps the entries read (a progress counter, say). */
  read?: (entries: AsyncIterable<AuditEntry>) => AsyncIterable<AuditEntry>;
}): Promise<AnchoredVerdict> {
  const { audit, anchors, verifier, full = false, read = (entries) => entries } = options;
  const walked = full ? 'full' : 'since-anchor';
  let anchor: Awaited<ReturnType<AnchorStore['newest']>>;
  try {
    anchor = await anchors.newest();
  } catch (error) {
    if (!(error instanceof AnchorFormatError)) throw error;
    return { ...broken(0, 0, 'forged-anchor', error.message), walked };
  }
  if (!anchor) {
    const verdict = await verifyChain(read(audit.entries()));
    return { ...verdict, walked: 'full', ...(verdict.ok ? { unanchored: span(verdict.entries, 1, verdict.head?.seq) } : {}) };
  }
  const summary: AnchorSummary = { seq: anchor.seq, hash: anchor.hash, at: anchor.at, signedAt: anchor.signedAt, object: anchor.object };
  const problem = anchorProblem(anchor, verifier);
  if (problem) return { ...broken(0, anchor.seq, 'forged-anchor', problem), walked, anchor: summary };
  const head = { seq: anchor.seq, hash: anchor.hash };
  const verdict = full
    ? await verifyChain(read(audit.entries()), { anchor: head })
    : await verifyChain(read(audit.entriesFrom(anchor.seq)), { from: head });
  if (!verdict.ok) return { ...verdict, walked, anchor: summary };
  const last = verdict.head?.seq ?? anchor.seq;
  return { ...verdict, walked, anchor: summary, unanchored: span(last - anchor.seq, anchor.seq + 1, last) };
}

const span = (entries: number, from: number, to: number | undefined) =>
  entries > 0 && to !== undefined ? { entries, from, to } : { entries: 0 };
