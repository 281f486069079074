import type { KMSClient } from '@aws-sdk/client-kms';
import { type AnchorStore, anchorProblem, anchorVerifier, signAnchor } from './anchor.js';
import type { AuditEntry } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';
import { verifyChain } from './verify-chain.js';

export type AnchorOutcome =
  | { anchored: true; seq: number; hash: string; object: string; checked: number }
  | { anchored: false; reason: string };

/** The audit log does not hold up (or its newest anchor does not): nothing is signed, a person must look. */
export class AnchorRefusedError extends Error {
  override name = 'AnchorRefusedError';
}

/**
 * The audit anchor's run: signs the audit log's head and stores it in the Object Lock bucket, but
 * only after proving what it signs: the newest anchor's signature, then every entry from that
 * anchor to the head. So each anchor vouches for the whole log up to it, and a verify that
 * resumes from the newest anchor stands on every earlier one.
 *
 * @example
 * await anchorAuditHead({ audit, anchors, kms, keyId: 'alias/backup-hub-audit-anchor', vault: '999999999999', now });
 * @throws AnchorRefusedError when the newest anchor or the chain since it does not hold
 */
export async function anchorAuditHead(deps: {
  audit: AuditLog;
  anchors: AnchorStore;
  kms: KMSClient;
  keyId: string;
  vault: string;
  now: () => Date;
}): Promise<AnchorOutcome> {
  const { audit, anchors, kms, keyId, vault, now } = deps;
  const previous = await anchors.newest();
  if (previous) {
    const problem = anchorProblem(previous, await anchorVerifier(kms, keyId));
    if (problem) throw new AnchorRefusedError(`not signing the audit log's head: ${problem}`);
  }
  const from = previous ? { seq: previous.seq, hash: previous.hash } : undefined;
  let last: AuditEntry | undefined;
  const remembered = async function* (entries: AsyncIterable<AuditEntry>) {
    for await (const entry of entries) {
      last = entry;
      yield entry;
    }
  };
  const verdict = await verifyChain(remembered(from ? audit.entriesFrom(from.seq) : audit.entries()), from ? { from } : {});
  if (!verdict.ok)
    throw new AnchorRefusedError(
      `not signing the audit log's head: broken at entry #${verdict.seq} (${verdict.problem}): ${verdict.detail}`,
    );
  const head = last;
  if (!head) return { anchored: false, reason: 'the audit log is empty' };
  if (previous && head.seq === previous.seq) return { anchored: false, reason: `no entry since anchor #${previous.seq}` };
  const anchor = await signAnchor(kms, keyId, { vault, seq: head.seq, hash: head.hash, at: head.at, signedAt: now().toISOString() });
  const key = await anchors.put(anchor);
  return { anchored: true, seq: head.seq, hash: head.hash, object: `s3://${anchors.bucket}/${key}`, checked: verdict.entries };
}
