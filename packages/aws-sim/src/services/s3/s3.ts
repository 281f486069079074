import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { AuthorizationRequest } from '../../iam/authorizer.js';
import { NO_POLICY, type PolicyDocument, parsePolicy } from '../../policy/resource-policy.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import {
  type DefaultRetention,
  lockedBecause,
  md5Hex,
  type ObjectVersion,
  type Retention,
  retentionChange,
  SimBucket,
  type StoredEncryption,
} from './bucket.js';

/** A bucket as CreateBucket and the bucket configuration calls (or AWS::S3::Bucket) set it up. */
export interface CreateBucketOptions {
  objectLockEnabled?: boolean;
  versioning?: 'Enabled' | 'Suspended';
  defaultRetention?: DefaultRetention;
  encryption?: { algorithm: 'AES256' } | { algorithm: 'aws:kms'; keyId?: string };
  policy?: string | PolicyDocument;
}

/** Who asks, in which region they signed the request, and which account they expect to own the bucket. */
export interface S3Caller {
  principal: Principal;
  region: string;
  /** `x-amz-expected-bucket-owner`: a bucket of another account answers 403. */
  expectedOwner?: string;
}

export interface PutObjectRequest {
  bucket: string;
  key: string;
  body: Buffer;
  contentType?: string;
  metadata?: Record<string, string>;
  /** Server-side encryption asked for; the bucket's default when absent. */
  encryption?: { algorithm: 'AES256' } | { algorithm: 'aws:kms'; keyId?: string };
  retention?: Retention;
  legalHold?: boolean;
  /** `If-None-Match: *`: write only if the key has no current version. */
  ifNoneMatch?: boolean;
}

/** An object version as GetObject returns it: the plaintext, whatever it is stored as. */
export interface ReadVersion {
  version: ObjectVersion;
  body: Buffer;
}

export interface ListVersionsRequest {
  bucket: string;
  prefix?: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys?: number;
}

/** A listed version, and whether it is its key's current one. */
export type ListedVersion = ObjectVersion & { isLatest: boolean };

export interface ListVersionsResult {
  versions: ListedVersion[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

/** S3 bucket names (general purpose buckets): 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Object keys are at most 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/** ListObjectVersions returns at most 1,000 entries a page. */
const MAX_KEYS = 1000;

/** What a request supplies for S3's condition keys (`s3:versionid`, `s3:object-lock-mode`, …). */
export type S3ConditionKeys = Record<string, string | undefined>;

/**
 * Simulated S3 (general purpose buckets): versioning, Object Lock (retention in governance and
 * compliance mode, legal holds), bucket policies and server-side encryption. Bucket names are
 * global across accounts; a bucket answers only in its own region. Every call is authorized before
 * it runs ({@link S3Sim.request}: the caller's IAM and the bucket policy). SSE-KMS encrypts through the
 * simulated KMS on the caller's behalf (`kms:GenerateDataKey` to write, `kms:Decrypt` to read, with
 * `kms:ViaService` `s3.<region>.amazonaws.com` and the encryption context `aws:s3:arn`), so a
 * caller the key does not admit can neither write nor read the object.
 */
export class S3Sim {
  readonly #buckets = new Map<string, SimBucket>();

  constructor(
    readonly cloud: CloudCore,
    readonly kms: KmsSim,
  ) {}

  /**
   * Creates a bucket as its account's administrator would (CreateBucket, then the configuration calls).
   * @throws AwsError InvalidBucketName, BucketAlreadyExists, BucketAlreadyOwnedByYou, InvalidBucketState, MalformedPolicy
   */
  createBucket(account: string, region: string, name: string, options: CreateBucketOptions = {}): SimBucket {
    if (!BUCKET_NAME.test(name) || name.includes('..')) throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.');
    const existing = this.#buckets.get(name);
    if (existing)
      throw existing.account === account
        ? new AwsError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409)
        : new AwsError('BucketAlreadyExists', 'The requested bucket name is not available. Select a different name and try again.', 409);
    const bucket = new SimBucket(name, account, region, this.cloud.clock.nowMs());
    // "When you create a bucket with Object Lock enabled, Amazon S3 automatically enables versioning for the bucket."
    if (options.versioning || options.objectLockEnabled) bucket.setVersioning('Enabled');
    if (options.objectLockEnabled) bucket.setObjectLock(options.defaultRetention);
    else if (options.defaultRetention)
      throw new AwsError('InvalidBucketState', 'A default retention needs Object Lock enabled on the bucket.', 409);
    if (options.versioning === 'Suspended') bucket.setVersioning('Suspended'); // refused under Object Lock
    if (options.encryption) bucket.encryption = options.encryption;
    if (options.policy !== undefined) bucket.policy = checkedPolicy(options.policy);
    this.#buckets.set(name, bucket);
    return bucket;
  }

  /**
   * Sets a bucket's policy as its account's administrator (an AWS::S3::BucketPolicy).
   * @throws AwsError NoSuchBucket, MalformedPolicy
   */
  setBucketPolicy(account: string, name: string, policy: string | PolicyDocument): void {
    const bucket = this.#buckets.get(name);
    if (!bucket || bucket.account !== account)
      throw new AwsError('NoSuchBucket', `The specified bucket ${name} does not exist in ${account}.`, 404);
    bucket.policy = checkedPolicy(policy);
  }

  /** A bucket by name, if it exists (tests and reports). */
  bucket(name: string): SimBucket | undefined {
    return this.#buckets.get(name);
  }

  /** The buckets of an account. */
  buckets(account: string): SimBucket[] {
    return [...this.#buckets.values()].filter((b) => b.account === account);
  }

  /**
   * The bucket a request names, as seen from the region it was signed for, owned by the expected owner.
   * @throws AwsError NoSuchBucket, AccessDenied, PermanentRedirect
   */
  bucketFor(name: string, caller: S3Caller): SimBucket {
    const bucket = this.#buckets.get(name);
    if (!bucket) throw new AwsError('NoSuchBucket', 'The specified bucket does not exist.', 404);
    if (caller.expectedOwner !== undefined && caller.expectedOwner !== bucket.account)
      throw new AwsError('AccessDenied', 'Access Denied: the bucket is not owned by the expected bucket owner.', 403);
    if (bucket.region !== caller.region)
      throw new AwsError(
        'PermanentRedirect',
        `The bucket you are attempting to access must be addressed using the specified endpoint: it is in ${bucket.region}.`,
        301,
      );
    return bucket;
  }

  /**
   * What S3 authorizes for an action on a bucket or one of its objects: the caller's IAM and the
   * bucket policy (another account needs both; an explicit Deny stops anyone, the account root
   * too), with `s3:ResourceAccount` and the condition keys the request supplies. A bucket that does
   * not exist, or is being created, is judged by the caller's IAM alone, in the caller's account.
   */
  request(
    name: string,
    action: string,
    options: { key?: string; context?: S3ConditionKeys; callerAccount: string; creating?: boolean },
  ): AuthorizationRequest {
    const bucket = options.creating ? undefined : this.#buckets.get(name);
    const account = bucket?.account ?? options.callerAccount;
    return {
      action,
      resource: options.key === undefined ? `arn:aws:s3:::${name}` : `arn:aws:s3:::${name}/${options.key}`,
      resourceAccount: account,
      ...(bucket ? { resourcePolicy: { type: 'bucket policy' as const, owner: bucket.arn, document: bucket.policy ?? NO_POLICY } } : {}),
      context: { 's3:ResourceAccount': account, ...options.context },
    };
  }

  /**
   * PutBucketVersioning.
   * @throws AwsError as {@link bucketFor}, AccessDenied, InvalidBucketState
   */
  putBucketVersioning(caller: S3Caller, name: string, status: 'Enabled' | 'Suspended'): void {
    const bucket = this.#owned(caller, name);
    bucket.setVersioning(status);
  }

  /**
   * PutObjectLockConfiguration: enables Object Lock on a versioned bucket, with or without a default retention.
   * @throws AwsError as {@link bucketFor}, AccessDenied, InvalidBucketState, MalformedXML
   */
  putObjectLockConfiguration(caller: S3Caller, name: string, defaultRetention: DefaultRetention | undefined): void {
    this.#owned(caller, name).setObjectLock(defaultRetention);
  }

  /** @throws AwsError as {@link bucketFor}, AccessDenied, MalformedPolicy */
  putBucketPolicy(caller: S3Caller, name: string, policy: string): void {
    this.#owned(caller, name).policy = checkedPolicy(policy);
  }

  /** @throws AwsError as {@link bucketFor}, AccessDenied, NoSuchBucketPolicy */
  bucketPolicy(caller: S3Caller, name: string): PolicyDocument {
    const { policy } = this.#owned(caller, name);
    if (!policy) throw new AwsError('NoSuchBucketPolicy', 'The bucket policy does not exist.', 404);
    return policy;
  }

  /**
   * PutObject. A locked or held version needs Object Lock on the bucket; SSE-KMS checks the key.
   * @throws AwsError as {@link bucketFor}, AccessDenied, PreconditionFailed, InvalidRequest, KeyTooLongError, and KMS's errors
   */
  putObject(caller: S3Caller, request: PutObjectRequest): ObjectVersion {
    const bucket = this.bucketFor(request.bucket, caller);
    if (Buffer.byteLength(request.key, 'utf8') > MAX_KEY_BYTES) throw new AwsError('KeyTooLongError', 'Your key is too long.');
    if ((request.retention || request.legalHold !== undefined) && !bucket.objectLockEnabled)
      throw new AwsError('InvalidRequest', 'Bucket is missing Object Lock Configuration.');
    if (request.retention && request.retention.until <= this.cloud.clock.nowMs())
      throw new AwsError('InvalidArgument', 'The retain until date must be in the future!');
    const current = bucket.latest(request.key);
    if (request.ifNoneMatch && current && !current.deleteMarker)
      throw new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', 412);
    const { body, encryption } = this.#encrypt(bucket, caller.principal, request);
    return bucket.put(
      {
        key: request.key,
        deleteMarker: false,
        body,
        size: request.body.length,
        plaintextMd5: md5Hex(request.body),
        lastModified: this.cloud.clock.nowMs(),
        contentType: request.contentType,
        metadata: request.metadata ?? {},
        encryption,
        retention: request.retention,
        legalHold: request.legalHold,
      },
      this.cloud.clock.nowMs(),
    );
  }

  /**
   * GetObject: the version's plaintext, decrypted for the caller.
   * @throws AwsError as {@link bucketFor}, AccessDenied, NoSuchKey, NoSuchVersion, MethodNotAllowed, and KMS's errors
   */
  getObject(caller: S3Caller, name: string, key: string, versionId?: string): ReadVersion {
    const version = this.headObject(caller, name, key, versionId);
    const bucket = this.#buckets.get(name)!;
    if (version.encryption?.algorithm !== 'aws:kms') return { version, body: version.body };
    const { plaintext } = throughS3(() =>
      this.kms.decrypt(version.body, caller.principal, { encryptionContext: contextOf(bucket, key), via: viaS3(bucket.region) }),
    );
    return { version, body: plaintext };
  }

  /**
   * HeadObject: a version's metadata (no KMS call). A key that does not exist is told only to a
   * caller allowed s3:ListBucket on the bucket; anyone else gets 403 ("If you don't have the
   * s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error", GetObject).
   * @throws AwsError as {@link bucketFor}, AccessDenied, NoSuchKey, NoSuchVersion, MethodNotAllowed
   */
  headObject(caller: S3Caller, name: string, key: string, versionId?: string): ObjectVersion {
    const bucket = this.bucketFor(name, caller);
    if (versionId === undefined && !bucket.latest(key)) {
      const list = this.request(name, 's3:ListBucket', { callerAccount: caller.principal.account });
      this.cloud.authorize(caller.principal, [list], bucket.region);
    }
    const version = bucket.version(key, versionId);
    if (version.deleteMarker) throw new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
    return version;
  }

  /**
   * ListObjectVersions, one page: keys in binary order, each key's versions newest first, after the markers.
   * @throws AwsError as {@link bucketFor}, AccessDenied, InvalidArgument
   */
  listObjectVersions(caller: S3Caller, request: ListVersionsRequest): ListVersionsResult {
    const bucket = this.bucketFor(request.bucket, caller);
    const maxKeys = request.maxKeys ?? MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new AwsError('InvalidArgument', 'max-keys must be a non-negative integer.');
    const all = bucket.listVersions(request.prefix ?? '');
    const start = startAfter(all, request.keyMarker, request.versionIdMarker);
    const page = all.slice(start, start + Math.min(maxKeys, MAX_KEYS));
    const isTruncated = start + page.length < all.length;
    const last = page[page.length - 1];
    return {
      versions: page.map((v) => ({ ...v, isLatest: bucket.latest(v.key) === v })),
      isTruncated,
      ...(isTruncated && last ? { nextKeyMarker: last.key, nextVersionIdMarker: last.versionId } : {}),
    };
  }

  /**
   * DeleteObject. Without a version id a versioned bucket gets a delete marker (nothing is lost);
   * with one, that version is deleted for good, unless Object Lock protects it: a legal hold or a
   * compliance-mode retention stop everyone, the account's root included; governance mode gives way
   * only to `x-amz-bypass-governance-retention` from a caller allowed s3:BypassGovernanceRetention.
   * @throws AwsError as {@link bucketFor}, AccessDenied
   */
  deleteObject(
    caller: S3Caller,
    name: string,
    key: string,
    options: { versionId?: string; bypassGovernance?: boolean } = {},
  ): { versionId?: string; deleteMarker: boolean } {
    const { versionId } = options;
    const bucket = this.bucketFor(name, caller);
    if (versionId === undefined) {
      if (bucket.versioning === 'Unversioned') {
        const current = bucket.latest(key);
        if (current) bucket.remove(key, current.versionId);
        return { deleteMarker: false };
      }
      const marker = bucket.put(
        {
          key,
          deleteMarker: true,
          body: Buffer.alloc(0),
          size: 0,
          plaintextMd5: md5Hex(Buffer.alloc(0)),
          lastModified: this.cloud.clock.nowMs(),
          metadata: {},
        },
        this.cloud.clock.nowMs(),
      );
      return { versionId: marker.versionId, deleteMarker: true };
    }
    let version: ObjectVersion;
    try {
      version = bucket.version(key, versionId);
    } catch {
      return { versionId, deleteMarker: false }; // deleting a version that is gone succeeds
    }
    const now = this.cloud.clock.nowMs();
    const why =
      lockedBecause(version, now, true) ?? lockedBecause(version, now, this.#mayBypass(caller, bucket, key, options.bypassGovernance));
    if (why) throw objectLocked(`version ${versionId} of ${key} cannot be deleted: ${why}`);
    bucket.remove(key, versionId);
    return { versionId, deleteMarker: version.deleteMarker };
  }

  /**
   * PutObjectRetention: sets, extends, shortens or removes a version's retention, as Object Lock allows.
   * @throws AwsError as {@link bucketFor}, AccessDenied, InvalidRequest, InvalidArgument, NoSuchKey, NoSuchVersion
   */
  putObjectRetention(
    caller: S3Caller,
    name: string,
    key: string,
    options: { versionId?: string; retention?: Retention; bypassGovernance?: boolean },
  ): void {
    const bucket = this.bucketFor(name, caller);
    if (!bucket.objectLockEnabled) throw new AwsError('InvalidRequest', 'Bucket is missing Object Lock Configuration.');
    const version = bucket.version(key, options.versionId);
    const now = this.cloud.clock.nowMs();
    if (options.retention && options.retention.until <= now)
      throw new AwsError('InvalidArgument', 'The retain until date must be in the future!');
    const change = retentionChange(version.retention, options.retention, now);
    if (change === 'refused') throw objectLocked(`the compliance-mode retention of ${key} cannot be shortened, removed or changed`);
    if (change === 'needs-bypass' && !this.#mayBypass(caller, bucket, key, options.bypassGovernance))
      throw objectLocked(`the governance-mode retention of ${key} can only be shortened or removed with s3:BypassGovernanceRetention`);
    version.retention = options.retention;
  }

  /** @throws AwsError as {@link bucketFor}, AccessDenied, InvalidRequest, NoSuchKey, NoSuchVersion, NoSuchObjectLockConfiguration */
  objectRetention(caller: S3Caller, name: string, key: string, versionId?: string): Retention {
    const version = this.#lockable(caller, name, key, versionId);
    if (!version.retention)
      throw new AwsError('NoSuchObjectLockConfiguration', 'The specified object does not have a ObjectLock configuration', 404);
    return version.retention;
  }

  /** PutObjectLegalHold: anyone allowed s3:PutObjectLegalHold may place or lift it. */
  putObjectLegalHold(caller: S3Caller, name: string, key: string, on: boolean, versionId?: string): void {
    this.#lockable(caller, name, key, versionId).legalHold = on;
  }

  objectLegalHold(caller: S3Caller, name: string, key: string, versionId?: string): boolean {
    return this.#lockable(caller, name, key, versionId).legalHold;
  }

  /** Forgets an account's buckets (disaster drills). */
  removeAccount(account: string): void {
    for (const [name, bucket] of this.#buckets) if (bucket.account === account) this.#buckets.delete(name);
  }

  #lockable(caller: S3Caller, name: string, key: string, versionId: string | undefined): ObjectVersion {
    const bucket = this.bucketFor(name, caller);
    if (!bucket.objectLockEnabled) throw new AwsError('InvalidRequest', 'Bucket is missing Object Lock Configuration.');
    return bucket.version(key, versionId);
  }

  /** A bucket configuration call: only the owner's principals, whatever a bucket policy allows another account. */
  #owned(caller: S3Caller, name: string): SimBucket {
    const bucket = this.bucketFor(name, caller);
    if (bucket.account !== caller.principal.account)
      throw new AwsError('AccessDenied', `Access Denied: only principals of ${bucket.account}, its owner, configure ${name}.`, 403);
    return bucket;
  }

  /**
   * Governance mode gives way only when the request asks to bypass it and the caller may
   * (s3:BypassGovernanceRetention, decided on the call like its other authorizations).
   */
  #mayBypass(caller: S3Caller, bucket: SimBucket, key: string, asked: boolean | undefined): boolean {
    if (asked !== true) return false;
    const request = this.request(bucket.name, 's3:BypassGovernanceRetention', { key, callerAccount: caller.principal.account });
    return this.cloud.decide(caller.principal, [request], bucket.region)[0]!.allowed;
  }

  #encrypt(bucket: SimBucket, principal: Principal, request: PutObjectRequest): { body: Buffer; encryption: StoredEncryption } {
    const asked = request.encryption ?? bucket.encryption;
    if (asked.algorithm === 'AES256') return { body: request.body, encryption: { algorithm: 'AES256' } };
    if (asked.keyId === undefined)
      throw new AwsError('NotImplemented', 'SSE-KMS under the AWS managed aws/s3 key is not simulated: name the KMS key.', 501);
    const keyId = asked.keyId;
    return throughS3(() => {
      const key = this.kms.resolveKey(keyId, bucket.account, bucket.region);
      const body = this.kms.encrypt(key.arn, principal, request.body, {
        encryptionContext: contextOf(bucket, request.key),
        via: viaS3(bucket.region),
        as: 'GenerateDataKey',
      });
      return { body, encryption: { algorithm: 'aws:kms' as const, keyArn: key.arn } };
    });
  }
}

/** Where a ListObjectVersions page starts: after the version the markers name (after every version of the key marker alone). */
function startAfter(all: ObjectVersion[], keyMarker: string | undefined, versionIdMarker: string | undefined): number {
  if (keyMarker === undefined) return 0;
  if (versionIdMarker !== undefined) {
    const at = all.findIndex((v) => v.key === keyMarker && v.versionId === versionIdMarker);
    if (at >= 0) return at + 1;
  }
  const after = all.findIndex((v) => Buffer.compare(Buffer.from(v.key), Buffer.from(keyMarker)) > 0);
  return after < 0 ? all.length : after;
}

function checkedPolicy(policy: string | PolicyDocument): PolicyDocument {
  try {
    return parsePolicy(policy);
  } catch (error) {
    throw new AwsError('MalformedPolicy', `Policy has invalid resource or action: ${(error as Error).message}`);
  }
}

/** S3 refuses what Object Lock protects with a plain 403 AccessDenied. */
function objectLocked(why: string): AwsError {
  return new AwsError('AccessDenied', `Access Denied because object protected by object lock: ${why}`, 403);
}

/**
 * A KMS call S3 makes for the caller: a refusal comes back as S3's 403 AccessDenied naming the KMS
 * action, other KMS errors as `KMS.<code>`.
 */
function throughS3<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    if (error.code === 'AccessDeniedException') throw new AwsError('AccessDenied', error.message, 403);
    throw new AwsError(`KMS.${error.code}`, error.message, error.status);
  }
}

/** SSE-KMS encrypts each object under the encryption context `aws:s3:arn` = the object's ARN (no S3 Bucket Key). */
const contextOf = (bucket: SimBucket, key: string) => ({ 'aws:s3:arn': bucket.objectArn(key) });
const viaS3 = (region: string) => ({ viaService: `s3.${region}.amazonaws.com` });
