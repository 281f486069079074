import { createHash, randomBytes } from 'node:crypto';
import { AwsError } from '../../core/errors.js';
import type { PolicyDocument } from '../../policy/resource-policy.js';

export type VersioningStatus = 'Unversioned' | 'Enabled' | 'Suspended';
export type RetentionMode = 'GOVERNANCE' | 'COMPLIANCE';

/** A retention period on one object version: locked until `until` (ms since epoch). */
export interface Retention {
  mode: RetentionMode;
  until: number;
}

/** The default retention a bucket applies to new object versions (`Days` or `Years`). */
export interface DefaultRetention {
  mode: RetentionMode;
  days?: number;
  years?: number;
}

/** How an object version is encrypted at rest. */
export type StoredEncryption = { algorithm: 'AES256' } | { algorithm: 'aws:kms'; keyArn: string };

/** One version of an object, or a delete marker. The body of an SSE-KMS object is held only as simulated KMS ciphertext. */
export interface ObjectVersion {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  body: Buffer;
  size: number;
  etag: string;
  lastModified: number;
  contentType?: string;
  metadata: Record<string, string>;
  encryption?: StoredEncryption;
  retention?: Retention;
  legalHold: boolean;
}

/** What `put` stores; the bucket assigns the version id, the ETag and the default retention. */
export type NewVersion = Omit<ObjectVersion, 'versionId' | 'etag' | 'size' | 'retention' | 'legalHold'> & {
  retention?: Retention;
  legalHold?: boolean;
  /** The plaintext size (the body may be ciphertext). */
  size: number;
  /** MD5 of the plaintext, S3's ETag for a single-part upload. */
  plaintextMd5: string;
};

const DAY_MS = 86_400_000;
/** S3 Object Lock counts a year as 365 days. */
const YEAR_DAYS = 365;

/**
 * A bucket: its settings and every version of every object. Versioning and Object Lock follow the
 * S3 user guide: once enabled, versioning can be suspended but never turned off, and not even
 * suspended while Object Lock is enabled; Object Lock can be enabled on a versioned bucket but
 * never disabled.
 */
export class SimBucket {
  versioning: VersioningStatus = 'Unversioned';
  objectLockEnabled = false;
  defaultRetention: DefaultRetention | undefined;
  /** The default encryption: SSE-S3 unless configured (S3 encrypts every new object since January 2023). */
  encryption: { algorithm: 'AES256' } | { algorithm: 'aws:kms'; keyId?: string } = { algorithm: 'AES256' };
  policy: PolicyDocument | undefined;
  /** Versions per key, oldest first. */
  readonly #objects = new Map<string, ObjectVersion[]>();

  constructor(
    readonly name: string,
    readonly account: string,
    readonly region: string,
    readonly createdAt: number,
  ) {}

  get arn(): string {
    return `arn:aws:s3:::${this.name}`;
  }

  objectArn(key: string): string {
    return `${this.arn}/${key}`;
  }

  /**
   * @throws AwsError InvalidBucketState when Object Lock is enabled and versioning would be suspended
   */
  setVersioning(status: 'Enabled' | 'Suspended'): void {
    if (status === 'Suspended' && this.objectLockEnabled)
      throw new AwsError(
        'InvalidBucketState',
        'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
        409,
      );
    this.versioning = status;
  }

  /**
   * Enables Object Lock (on a versioned bucket) and sets or clears its default retention.
   * @throws AwsError InvalidBucketState when versioning is not enabled; InvalidArgument for a bad default
   */
  setObjectLock(defaultRetention: DefaultRetention | undefined): void {
    if (this.versioning !== 'Enabled')
      throw new AwsError('InvalidBucketState', 'Versioning must be enabled on the bucket to apply an Object Lock configuration.', 409);
    if (defaultRetention) checkDefaultRetention(defaultRetention);
    this.objectLockEnabled = true;
    this.defaultRetention = defaultRetention;
  }

  /** Every version of every key: keys in ascending order, each key's versions newest first (ListObjectVersions order). */
  listVersions(prefix = ''): ObjectVersion[] {
    return [...this.#objects.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort(byBinaryOrder)
      .flatMap((key) => [...this.#objects.get(key)!].reverse());
  }

  /** The current version of a key (possibly a delete marker), if any. */
  latest(key: string): ObjectVersion | undefined {
    const versions = this.#objects.get(key);
    return versions?.[versions.length - 1];
  }

  /**
   * A version by id, or the current one.
   * @throws AwsError NoSuchKey, NoSuchVersion
   */
  version(key: string, versionId: string | undefined): ObjectVersion {
    const versions = this.#objects.get(key) ?? [];
    if (versionId === undefined) {
      const current = versions[versions.length - 1];
      if (!current || current.deleteMarker) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
      return current;
    }
    const found = versions.find((v) => v.versionId === versionId);
    if (!found) throw new AwsError('NoSuchVersion', 'The specified version does not exist.', 404);
    return found;
  }

  /**
   * Stores a new version: a new id in a versioned bucket, the `null` version otherwise (replacing
   * it, which Object Lock forbids while it is locked). The bucket's default retention applies when
   * the request sets none.
   */
  put(next: NewVersion, now: number): ObjectVersion {
    const { plaintextMd5, retention, legalHold, ...rest } = next;
    const version: ObjectVersion = {
      ...rest,
      versionId: this.versioning === 'Enabled' ? newVersionId() : 'null',
      etag: `"${plaintextMd5}"`,
      retention: retention ?? (this.defaultRetention && !next.deleteMarker ? retentionFrom(this.defaultRetention, now) : undefined),
      legalHold: legalHold ?? false,
    };
    const versions = this.#objects.get(next.key) ?? [];
    const replaced = version.versionId === 'null' ? versions.findIndex((v) => v.versionId === 'null') : -1;
    if (replaced >= 0) versions.splice(replaced, 1);
    versions.push(version);
    this.#objects.set(next.key, versions);
    return version;
  }

  /** Removes one version for good (the caller has checked the lock). */
  remove(key: string, versionId: string): void {
    const versions = (this.#objects.get(key) ?? []).filter((v) => v.versionId !== versionId);
    if (versions.length) this.#objects.set(key, versions);
    else this.#objects.delete(key);
  }
}

/** Why a version may not be deleted or its retention shortened now, or undefined when it may. */
export function lockedBecause(version: ObjectVersion, now: number, bypassGovernance: boolean): string | undefined {
  if (version.legalHold) return 'it is under a legal hold';
  const retention = version.retention;
  if (!retention || retention.until <= now) return undefined;
  if (retention.mode === 'COMPLIANCE') return `it is locked in compliance mode until ${new Date(retention.until).toISOString()}`;
  return bypassGovernance ? undefined : `it is locked in governance mode until ${new Date(retention.until).toISOString()}`;
}

/**
 * Whether a retention may replace another without bypassing governance mode: only one that keeps
 * the version locked at least as long, in compliance mode or the same mode. A compliance-mode
 * retention can never be shortened, removed or changed to governance, whoever asks.
 * @returns 'allowed', 'needs-bypass' (governance) or 'refused' (compliance)
 */
export function retentionChange(
  current: Retention | undefined,
  next: Retention | undefined,
  now: number,
): 'allowed' | 'needs-bypass' | 'refused' {
  if (!current || current.until <= now) return 'allowed';
  const extends_ = next !== undefined && next.until >= current.until && (next.mode === current.mode || next.mode === 'COMPLIANCE');
  if (extends_) return 'allowed';
  return current.mode === 'COMPLIANCE' ? 'refused' : 'needs-bypass';
}

export function retentionFrom(rule: DefaultRetention, now: number): Retention {
  const days = rule.days ?? (rule.years ?? 0) * YEAR_DAYS;
  return { mode: rule.mode, until: now + days * DAY_MS };
}

/** MD5 hex of a body, S3's ETag for a single-part upload. */
export const md5Hex = (body: Buffer): string => createHash('md5').update(body).digest('hex');

function checkDefaultRetention(rule: DefaultRetention): void {
  const given = [rule.days, rule.years].filter((n) => n !== undefined);
  if (given.length !== 1 || !Number.isInteger(given[0]) || given[0]! < 1)
    throw new AwsError('MalformedXML', 'A default retention needs either Days or Years, a positive whole number (not both).');
}

/** S3 lists keys in UTF-8 binary order. */
function byBinaryOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const newVersionId = () => randomBytes(24).toString('base64url').slice(0, 32);
