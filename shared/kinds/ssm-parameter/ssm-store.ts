import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ssmStoreBucket } from '../../../accounts/stack/names.js';
import { describeError, isAwsError, isDeterministicAwsError } from '../../aws/aws-errors.js';
import type { RecoveryPoint } from '../../catalog/recovery-point.js';
import { PermanentFailure } from '../../core/errors.js';
import type { VaultFacts } from '../common/artifact-kind.js';

/**
 * The vault's store of SSM parameter versions: an S3 bucket with versioning and Object Lock, each
 * source version its own object under the vault key, written once and never replaced, so nothing
 * evicts a version (a parameter keeps only 100). The bucket's default retention (governance mode,
 * the vault lock's days) locks every object; the pruner deletes one version once that has passed.
 */
export interface StoredVersion {
  bucket: string;
  key: string;
  versionId: string;
}

/** What an object says about the source version it holds (S3 user metadata; never the value). */
const META = { sourceVersion: 'source-version', sourceModified: 'source-modified' } as const;

/**
 * `<account>/<region><name>/<life>/<version>`: a name is one path in the store, each life a folder,
 * each version an object. A one-level name gets a `/` like a hierarchical one. Every valid name fits
 * S3's 1,024 bytes: the name counts with its ARN prefix (1,011 with `arn:aws:ssm:<region>:<account>:parameter/`),
 * so account and region cost nothing extra, and 24 for the life leaves 9 digits for the version.
 */
export function storeKey(point: Pick<RecoveryPoint, 'account' | 'region' | 'resourceId'>, life: string, version: number): string {
  const name = point.resourceId.startsWith('/') ? point.resourceId : `/${point.resourceId}`;
  return `${point.account}/${point.region}${name}/${life}/${version}`;
}

/** The folder of a parameter's every life and version: a stored key without its `<life>/<version>`. */
export function parameterPrefix(key: string): string {
  return key.slice(0, key.lastIndexOf('/', key.lastIndexOf('/') - 1) + 1);
}

/** A vault copy's id, as the catalog records it: `s3://<bucket>/<key>?versionId=<S3 version id>`. */
export const storedCopyId = ({ bucket, key, versionId }: StoredVersion) => `s3://${bucket}/${key}?versionId=${versionId}`;

/** Whether a vault copy id names a stored version (and not a vault parameter of an earlier release). */
export const isStored = (vaultCopyId: string) => vaultCopyId.startsWith('s3://');

/**
 * The stored version a vault copy id names.
 * @throws PermanentFailure for an id that is not one (a point copied before the store, not migrated yet)
 */
export function storedVersionOf(vaultCopyId: string): StoredVersion {
  const match = /^s3:\/\/([^/]+)\/(.+)\?versionId=([^?]+)$/.exec(vaultCopyId);
  if (!match)
    throw new PermanentFailure(
      `${vaultCopyId} is not in the vault's S3 store (a vault parameter from before it): the reconciler migrates it on its next runs`,
    );
  return { bucket: match[1]!, key: match[2]!, versionId: match[3]! };
}

export const storeBucketOf = (vault: VaultFacts) => ssmStoreBucket(vault.account, vault.region);

/**
 * Writes a source version once (`If-None-Match: *`) under the vault key. A second write of the key
 * finds the first: the version an earlier attempt wrote, unless the key holds another source version,
 * which is refused for good rather than taken for this one.
 * @throws PermanentFailure when S3 or KMS refuses for good, or the key holds another version
 */
export async function storeVersion(
  s3: S3Client,
  vault: VaultFacts,
  copy: { key: string; value: string; version: number; sourceModified: string },
): Promise<StoredVersion> {
  const bucket = storeBucketOf(vault);
  try {
    const { VersionId } = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: copy.key,
        Body: copy.value,
        ContentType: 'text/plain; charset=utf-8',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: vault.keyArn,
        Metadata: { [META.sourceVersion]: String(copy.version), [META.sourceModified]: copy.sourceModified },
        IfNoneMatch: '*',
        ExpectedBucketOwner: vault.account,
      }),
    );
    return { bucket, key: copy.key, versionId: VersionId! };
  } catch (error) {
    if (isAwsError(error, 'PreconditionFailed')) {
      const found = await findStoredVersion(s3, vault, copy.key, copy.sourceModified);
      if (found) return found;
    }
    throw permanentIfDeterministic(error, `cannot write ${copy.key} in the vault store ${bucket}`);
  }
}

/**
 * The stored version of a source version written at `sourceModified`, if an earlier attempt wrote it.
 * @throws PermanentFailure when the key holds another source version (never taken for this one)
 */
export async function findStoredVersion(
  s3: S3Client,
  vault: VaultFacts,
  key: string,
  sourceModified: string,
): Promise<StoredVersion | undefined> {
  const bucket = storeBucketOf(vault);
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: vault.account }));
    const holds = head.Metadata?.[META.sourceModified];
    if (holds !== sourceModified)
      throw new PermanentFailure(
        `the vault store's ${key} holds the source version written at ${holds ?? 'an unknown time'}, not the one written at ${sourceModified}`,
      );
    return { bucket, key, versionId: head.VersionId! };
  } catch (error) {
    if (isAwsError(error, 'NotFound', 'NoSuchKey')) return undefined;
    throw permanentIfDeterministic(error, `cannot look for ${key} in the vault store ${bucket}`);
  }
}

/**
 * The value a stored version holds, decrypted under the vault key.
 * @throws PermanentFailure when it is gone or may not be read
 */
export async function readStoredVersion(s3: S3Client, vault: VaultFacts, stored: StoredVersion): Promise<string> {
  try {
    const { Body } = await s3.send(
      new GetObjectCommand({ Bucket: stored.bucket, Key: stored.key, VersionId: stored.versionId, ExpectedBucketOwner: vault.account }),
    );
    return await Body!.transformToString('utf8');
  } catch (error) {
    if (isAwsError(error, 'NoSuchKey', 'NoSuchVersion'))
      throw new PermanentFailure(`the vault store no longer holds ${storedCopyId(stored)}`, { cause: error });
    throw permanentIfDeterministic(error, `cannot read ${storedCopyId(stored)}`);
  }
}

/**
 * Locks one stored version in compliance mode until at least `until`: a retention that lasts longer
 * (the bucket's default, from the vault lock) is kept, since compliance mode refuses to shorten one.
 */
export async function lockStoredVersion(s3: S3Client, vault: VaultFacts, stored: StoredVersion, until: Date): Promise<Date> {
  const version = { Bucket: stored.bucket, Key: stored.key, VersionId: stored.versionId, ExpectedBucketOwner: vault.account };
  const held = await s3
    .send(new GetObjectRetentionCommand(version))
    .then((r) => r.Retention?.RetainUntilDate)
    .catch((error: unknown) => {
      if (isAwsError(error, 'NoSuchObjectLockConfiguration')) return undefined;
      throw error;
    });
  if (held && held >= until) return held;
  await s3.send(new PutObjectRetentionCommand({ ...version, Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until } }));
  return until;
}

/**
 * Deletes one stored version for good. Object Lock refuses while the version is locked or held:
 * that error is thrown, and the pruner tries again on a later run.
 */
export async function deleteStoredVersion(s3: S3Client, vault: VaultFacts, stored: StoredVersion): Promise<void> {
  await s3.send(
    new DeleteObjectCommand({ Bucket: stored.bucket, Key: stored.key, VersionId: stored.versionId, ExpectedBucketOwner: vault.account }),
  );
}

function permanentIfDeterministic(error: unknown, what: string): unknown {
  if (error instanceof PermanentFailure || !isDeterministicAwsError(error)) return error;
  return new PermanentFailure(`${what}: ${describeError(error)}`, { cause: error });
}

/** The S3 version ids the store holds under a prefix (delete markers are no versions of a value). */
export async function storedVersionIds(s3: S3Client, vault: VaultFacts, prefix: string): Promise<Set<string>> {
  const bucket = storeBucketOf(vault);
  const held = new Set<string>();
  let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, ExpectedBucketOwner: vault.account, ...markers }),
    );
    for (const version of page.Versions ?? []) held.add(version.VersionId!);
    if (!page.IsTruncated) return held;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}
