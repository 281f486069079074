import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CONFIG_PREFIX, ssmStoreBucket } from '../../accounts/stack/names.js';
import type { VaultFacts } from '../kinds/common/artifact-kind.js';
import { type ConfigDocument, parseConfigDocument } from './document.js';

/*
 * Captures live in the vault's immutable store (the S3 bucket with versioning and Object Lock that
 * holds the SSM parameter versions, under the vault key) beside the parameter versions, under their
 * own prefix (CONFIG_PREFIX): `config/<account>/<region>/<capturedAt>.json`. An ISO time sorts as it
 * reads, so the newest capture as of a time is the last key at or before it.
 */

export const captureKey = (doc: Pick<ConfigDocument, 'account' | 'region' | 'capturedAt'>) =>
  `${CONFIG_PREFIX}${doc.account}/${doc.region}/${doc.capturedAt}.json`;

/** What reading the store takes: the vault's account and region (S3 decrypts with the vault key for whoever its key policy lets). */
export type StoreFacts = Pick<VaultFacts, 'account' | 'region'>;

/** A capture in the store: where it is and when it was taken. */
export interface StoredCapture {
  key: string;
  versionId: string;
  capturedAt: string;
}

/** `s3://bucket/key?versionId=…`, as the catalog and the audit log name a stored object. */
export const captureUri = (vault: VaultFacts, stored: StoredCapture) =>
  `s3://${ssmStoreBucket(vault.account, vault.region)}/${stored.key}?versionId=${stored.versionId}`;

/** Writes a capture once (`If-None-Match: *`: a second capture in the same millisecond is refused, never written over). */
export async function storeCapture(s3: S3Client, vault: VaultFacts, doc: ConfigDocument): Promise<StoredCapture> {
  const key = captureKey(doc);
  const { VersionId } = await s3.send(
    new PutObjectCommand({
      Bucket: ssmStoreBucket(vault.account, vault.region),
      Key: key,
      Body: JSON.stringify(doc),
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: vault.keyArn,
      IfNoneMatch: '*',
      ExpectedBucketOwner: vault.account,
    }),
  );
  return { key, versionId: VersionId!, capturedAt: doc.capturedAt };
}

/** Every capture of a source region, oldest first; with `since`, only those taken after it (the listing starts there). */
export async function listCaptures(
  s3: S3Client,
  vault: StoreFacts,
  account: string,
  region: string,
  since?: Date,
): Promise<StoredCapture[]> {
  const prefix = `${CONFIG_PREFIX}${account}/${region}/`;
  const found: StoredCapture[] = [];
  let keyMarker: string | undefined = since ? `${prefix}${since.toISOString()}` : undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: ssmStoreBucket(vault.account, vault.region),
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
        ExpectedBucketOwner: vault.account,
      }),
    );
    for (const v of page.Versions ?? [])
      if (v.IsLatest && v.Key?.endsWith('.json'))
        found.push({ key: v.Key, versionId: v.VersionId!, capturedAt: v.Key.slice(prefix.length, -'.json'.length) });
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (versionIdMarker);
  return found.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt));
}

/** No capture answers the question: the message says what to do. */
export class CaptureNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureNotFound';
  }
}

/**
 * The newest capture taken at or before `asOf`.
 * @throws CaptureNotFound saying what to do when there is none
 */
export async function captureAsOf(s3: S3Client, vault: StoreFacts, account: string, region: string, asOf: Date): Promise<StoredCapture> {
  const captures = await listCaptures(s3, vault, account, region);
  const before = captures.filter((c) => c.capturedAt <= asOf.toISOString());
  const chosen = before[before.length - 1];
  if (!chosen)
    throw new CaptureNotFound(
      captures.length === 0
        ? `the vault holds no configuration capture of ${account} in ${region}: check that its config reader role is deployed and the capture ran (the capture's log)`
        : `the oldest configuration capture of ${account} in ${region} is of ${captures[0]!.capturedAt}, after ${asOf.toISOString()}: give a later --as-of`,
    );
  return chosen;
}

/** A stored capture's document, checked against the schema. */
export async function readCapture(s3: S3Client, vault: StoreFacts, stored: StoredCapture): Promise<ConfigDocument> {
  const { Body } = await s3.send(
    new GetObjectCommand({
      Bucket: ssmStoreBucket(vault.account, vault.region),
      Key: stored.key,
      VersionId: stored.versionId,
      ExpectedBucketOwner: vault.account,
    }),
  );
  return parseConfigDocument(await Body!.transformToString('utf8'), stored.key);
}
