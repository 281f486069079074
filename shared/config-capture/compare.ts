import type { S3Client } from '@aws-sdk/client-s3';
import type { VaultFacts } from '../kinds/common/artifact-kind.js';
import { type ConfigChange, diffCaptures } from './diff.js';
import type { ConfigDocument } from './document.js';
import { CaptureNotFound, captureAsOf, listCaptures, readCapture, type StoredCapture } from './store.js';

/** Two captures of a source region, what `backup-hub config diff` compares, and what changed from the first to the second. */
export interface CaptureComparison {
  from: StoredCapture;
  to: StoredCapture;
  before: ConfigDocument;
  after: ConfigDocument;
  changes: ConfigChange[];
}

/**
 * The capture as of `to`, compared with the one as of `from` (by default the capture before it):
 * what `backup-hub config diff` prints, and what the drill reports of its configuration changes.
 * @throws CaptureNotFound saying what to do when either capture is missing
 */
export async function compareCaptures(
  s3: S3Client,
  vault: VaultFacts,
  source: { account: string; region: string },
  times: { from?: Date; to: Date },
): Promise<CaptureComparison> {
  const { account, region } = source;
  const to = await captureAsOf(s3, vault, account, region, times.to);
  const from = times.from
    ? await captureAsOf(s3, vault, account, region, times.from)
    : (await listCaptures(s3, vault, account, region)).filter((c) => c.capturedAt < to.capturedAt).pop();
  if (!from)
    throw new CaptureNotFound(`there is no capture of ${account} in ${region} before ${to.capturedAt} to compare it with: give --from`);
  const before = await readCapture(s3, vault, from);
  const after = await readCapture(s3, vault, to);
  return { from, to, before, after, changes: diffCaptures(before, after) };
}
