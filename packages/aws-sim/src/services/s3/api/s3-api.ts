import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, RestRequest, RestResponse, SimService } from '../../../core/service.js';
import { toXml } from '../../../protocol/query.js';
import type { DefaultRetention, ObjectVersion, Retention, RetentionMode } from '../bucket.js';
import type { ListedVersion, PutObjectRequest, S3Caller, S3ConditionKeys, S3Sim } from '../s3.js';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, removeNSPrefix: true });

/** A decoded S3 request: the operation's bucket and key, and what came with it. */
interface S3Input {
  bucket: string;
  key?: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string>;
  body: Buffer;
}

type Operation = (s3: S3Sim, input: S3Input, caller: S3Caller) => RestResponse;

/**
 * The S3 API in its REST-XML protocol, as the SDK's S3 client speaks it: the operation is named by
 * the method, whether the path names a key, and the sub-resource in the query (`?versions`,
 * `?retention`, …); the bucket by the virtual host (`<bucket>.s3.<region>.amazonaws.com`) or the
 * first path segment. Each operation is authorized as the IAM actions S3 documents for it, with the
 * condition keys its request supplies.
 */
export function s3Api(s3: S3Sim): SimService {
  return {
    name: 's3',
    protocol: 'rest-xml',
    xmlns: XMLNS,
    rest: {
      decode: (request) => {
        const input = decodeTarget(request);
        return { action: operationOf(request.method, input), input: input as unknown as Record<string, unknown> };
      },
      encode: (_action, result, requestId) => {
        const response = result as RestResponse;
        return { ...response, headers: { 'x-amz-request-id': requestId, ...response.headers } };
      },
      encodeError: (error, request, requestId) => ({
        status: error.status,
        headers: { 'x-amz-request-id': requestId, 'content-type': 'application/xml' },
        // A HEAD response has no body: the SDK names the error by its status alone.
        body: request.method === 'HEAD' ? undefined : toXml('Error', { Code: error.code, Message: error.message, RequestId: requestId }),
      }),
    },
    authorization(action, raw, ctx) {
      const input = raw as unknown as S3Input;
      return iamActionsOf(action, input).map((a) =>
        s3.request(input.bucket, a, {
          ...(input.key === undefined ? {} : { key: input.key }),
          context: conditionKeysOf(action, a, input, s3.cloud.clock.nowMs()),
          callerAccount: ctx.account,
          creating: action === 'CreateBucket',
        }),
      );
    },
    call(action, raw, ctx: CallContext) {
      const run = operations[action];
      if (!run) throw new AwsError('NotImplemented', `The operation ${action} is not supported by the simulation.`, 501);
      const input = raw as unknown as S3Input;
      const expectedOwner = input.headers['x-amz-expected-bucket-owner'];
      return run(s3, input, { principal: ctx.caller, region: ctx.region, ...(expectedOwner ? { expectedOwner } : {}) });
    },
  };
}

/** The bucket and key a request names, virtual-hosted or path style. */
function decodeTarget(request: RestRequest): S3Input {
  const segments = request.path.replace(/^\//, '').split('/');
  const virtualHost = /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(request.hostname)?.[1];
  const bucket = virtualHost ?? decodeURIComponent(segments.shift() ?? '');
  const key = segments.map(decodeURIComponent).join('/');
  if (!bucket) throw new AwsError('NotImplemented', 'The simulation serves bucket operations only (no ListBuckets).', 501);
  return { bucket, ...(key ? { key } : {}), query: request.query, headers: request.headers, body: request.body };
}

const SUBRESOURCES = ['versions', 'versioning', 'object-lock', 'policy', 'retention', 'legal-hold'] as const;

function operationOf(method: string, input: S3Input): string {
  const sub = SUBRESOURCES.find((s) => s in input.query) ?? '';
  const onObject = input.key !== undefined;
  const table: Record<string, string> = onObject
    ? {
        'PUT ': input.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject',
        'GET ': 'GetObject',
        'HEAD ': 'HeadObject',
        'DELETE ': 'DeleteObject',
        'PUT retention': 'PutObjectRetention',
        'GET retention': 'GetObjectRetention',
        'PUT legal-hold': 'PutObjectLegalHold',
        'GET legal-hold': 'GetObjectLegalHold',
      }
    : {
        'PUT ': 'CreateBucket',
        'HEAD ': 'HeadBucket',
        'GET versions': 'ListObjectVersions',
        'PUT versioning': 'PutBucketVersioning',
        'GET versioning': 'GetBucketVersioning',
        'PUT object-lock': 'PutObjectLockConfiguration',
        'GET object-lock': 'GetObjectLockConfiguration',
        'PUT policy': 'PutBucketPolicy',
        'GET policy': 'GetBucketPolicy',
      };
  return table[`${method} ${sub}`] ?? `${method} ${onObject ? 'object' : 'bucket'}${sub ? `?${sub}` : ''}`;
}

/** The IAM actions S3 authorizes an operation as (Service Authorization Reference, Amazon S3 actions). */
function iamActionsOf(action: string, input: S3Input): string[] {
  const versioned = input.query.versionId !== undefined;
  const h = input.headers;
  switch (action) {
    case 'PutObject':
      return [
        's3:PutObject',
        ...(h['x-amz-object-lock-mode'] || h['x-amz-object-lock-retain-until-date'] ? ['s3:PutObjectRetention'] : []),
        ...(h['x-amz-object-lock-legal-hold'] ? ['s3:PutObjectLegalHold'] : []),
      ];
    case 'GetObject':
    case 'HeadObject':
      return [versioned ? 's3:GetObjectVersion' : 's3:GetObject'];
    case 'DeleteObject':
      return [versioned ? 's3:DeleteObjectVersion' : 's3:DeleteObject'];
    case 'ListObjectVersions':
      return ['s3:ListBucketVersions'];
    case 'HeadBucket':
      return ['s3:ListBucket'];
    case 'CreateBucket':
      return [
        's3:CreateBucket',
        ...(h['x-amz-bucket-object-lock-enabled'] === 'true' ? ['s3:PutBucketObjectLockConfiguration', 's3:PutBucketVersioning'] : []),
      ];
    case 'PutObjectLockConfiguration':
      return ['s3:PutBucketObjectLockConfiguration'];
    case 'GetObjectLockConfiguration':
      return ['s3:GetBucketObjectLockConfiguration'];
    default:
      return [`s3:${action}`];
  }
}

const DAY_MS = 86_400_000;

/**
 * The S3 condition keys a request supplies for an action (Service Authorization Reference, Amazon S3
 * condition keys): the encryption and Object Lock it asks for (in PutObject's headers, or the body of
 * PutObjectRetention and PutObjectLegalHold), a version id, a listing's prefix.
 */
function conditionKeysOf(operation: string, action: string, input: S3Input, now: number): S3ConditionKeys {
  const h = input.headers;
  const lock = (mode: string | undefined, until: string | undefined): S3ConditionKeys =>
    until === undefined
      ? {}
      : {
          's3:object-lock-mode': mode,
          's3:object-lock-retain-until-date': until,
          's3:object-lock-remaining-retention-days': String(Math.max(0, Math.ceil((Date.parse(until) - now) / DAY_MS))),
        };
  switch (action) {
    case 's3:PutObject':
      return {
        's3:x-amz-server-side-encryption': h['x-amz-server-side-encryption'],
        's3:x-amz-server-side-encryption-aws-kms-key-id': h['x-amz-server-side-encryption-aws-kms-key-id'],
        's3:if-none-match': h['if-none-match'],
        's3:object-lock-legal-hold': h['x-amz-object-lock-legal-hold'],
        ...lock(h['x-amz-object-lock-mode'], h['x-amz-object-lock-retain-until-date']),
      };
    case 's3:PutObjectRetention': {
      if (operation === 'PutObject') return lock(h['x-amz-object-lock-mode'], h['x-amz-object-lock-retain-until-date']);
      const retention = parseXml(input.body)?.Retention as { Mode?: string; RetainUntilDate?: string } | undefined;
      return lock(retention?.Mode, retention?.RetainUntilDate);
    }
    case 's3:PutObjectLegalHold': {
      if (operation === 'PutObject') return { 's3:object-lock-legal-hold': h['x-amz-object-lock-legal-hold'] };
      return { 's3:object-lock-legal-hold': (parseXml(input.body)?.LegalHold as { Status?: string } | undefined)?.Status };
    }
    case 's3:GetObjectVersion':
    case 's3:DeleteObjectVersion':
      return { 's3:versionid': input.query.versionId };
    case 's3:ListBucketVersions':
    case 's3:ListBucket':
      return { 's3:prefix': input.query.prefix, 's3:max-keys': input.query['max-keys'] };
    default:
      return {};
  }
}

const ok = (headers: Record<string, string> = {}, body?: string, status = 200): RestResponse => ({
  status,
  headers: body === undefined ? headers : { 'content-type': 'application/xml', ...headers },
  body,
});
const xml = (root: string, body: Record<string, unknown>) => ok({}, toXml(root, body, XMLNS));

const operations: Record<string, Operation> = {
  CreateBucket(s3, input, caller) {
    const config = parseXml(input.body)?.CreateBucketConfiguration as { LocationConstraint?: string } | undefined;
    const location = config?.LocationConstraint || 'us-east-1';
    if (location !== caller.region)
      throw new AwsError(
        'IllegalLocationConstraintException',
        `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      );
    s3.createBucket(caller.principal.account, caller.region, input.bucket, {
      objectLockEnabled: input.headers['x-amz-bucket-object-lock-enabled'] === 'true',
    });
    return ok({ location: `/${input.bucket}` });
  },

  HeadBucket(s3, input, caller) {
    const bucket = s3.bucketFor(input.bucket, caller);
    return ok({ 'x-amz-bucket-region': bucket.region });
  },

  PutBucketVersioning(s3, input, caller) {
    const status = (parseXml(input.body)?.VersioningConfiguration as { Status?: string } | undefined)?.Status;
    if (status !== 'Enabled' && status !== 'Suspended') throw new AwsError('MalformedXML', 'Status must be Enabled or Suspended.');
    s3.putBucketVersioning(caller, input.bucket, status);
    return ok();
  },

  GetBucketVersioning(s3, input, caller) {
    const bucket = s3.bucketFor(input.bucket, caller);
    return xml('VersioningConfiguration', bucket.versioning === 'Unversioned' ? {} : { Status: bucket.versioning });
  },

  PutObjectLockConfiguration(s3, input, caller) {
    const config = parseXml(input.body)?.ObjectLockConfiguration as
      | { ObjectLockEnabled?: string; Rule?: { DefaultRetention?: { Mode?: string; Days?: string; Years?: string } } }
      | undefined;
    if (config?.ObjectLockEnabled !== 'Enabled') throw new AwsError('MalformedXML', 'ObjectLockEnabled must be Enabled.');
    const rule = config.Rule?.DefaultRetention;
    s3.putObjectLockConfiguration(caller, input.bucket, rule ? defaultRetention(rule) : undefined);
    return ok();
  },

  GetObjectLockConfiguration(s3, input, caller) {
    const bucket = s3.bucketFor(input.bucket, caller);
    if (!bucket.objectLockEnabled)
      throw new AwsError('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', 404);
    const rule = bucket.defaultRetention;
    return xml('ObjectLockConfiguration', {
      ObjectLockEnabled: 'Enabled',
      ...(rule ? { Rule: { DefaultRetention: { Mode: rule.mode, Days: rule.days, Years: rule.years } } } : {}),
    });
  },

  PutBucketPolicy(s3, input, caller) {
    s3.putBucketPolicy(caller, input.bucket, input.body.toString('utf8'));
    return ok({}, undefined, 204);
  },

  GetBucketPolicy(s3, input, caller) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(s3.bucketPolicy(caller, input.bucket)) };
  },

  PutObject(s3, input, caller) {
    const h = input.headers;
    const version = s3.putObject(caller, {
      bucket: input.bucket,
      key: input.key!,
      body: input.body,
      contentType: h['content-type'],
      metadata: Object.fromEntries(
        Object.entries(h)
          .filter(([k]) => k.startsWith('x-amz-meta-'))
          .map(([k, v]) => [k.slice(11), v]),
      ),
      encryption: encryptionHeader(h),
      retention: retentionHeaders(h),
      ...(h['x-amz-object-lock-legal-hold'] ? { legalHold: h['x-amz-object-lock-legal-hold'] === 'ON' } : {}),
      ifNoneMatch: ifNoneMatch(h['if-none-match']),
    });
    return ok({ etag: version.etag, ...versionHeader(version), ...encryptionHeaders(version) });
  },

  GetObject(s3, input, caller) {
    const { version, body } = s3.getObject(caller, input.bucket, input.key!, input.query.versionId);
    return { status: 200, headers: objectHeaders(version), body, stream: true };
  },

  HeadObject(s3, input, caller) {
    return ok(objectHeaders(s3.headObject(caller, input.bucket, input.key!, input.query.versionId)));
  },

  DeleteObject(s3, input, caller) {
    const { versionId, deleteMarker } = s3.deleteObject(caller, input.bucket, input.key!, {
      versionId: input.query.versionId,
      bypassGovernance: input.headers['x-amz-bypass-governance-retention'] === 'true',
    });
    return ok(
      { ...(versionId ? { 'x-amz-version-id': versionId } : {}), ...(deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}) },
      undefined,
      204,
    );
  },

  ListObjectVersions(s3, input, caller) {
    const q = input.query;
    if (q.delimiter !== undefined) throw new AwsError('NotImplemented', 'ListObjectVersions with a delimiter is not simulated.', 501);
    const maxKeys = q['max-keys'] === undefined ? undefined : Number(q['max-keys']);
    const page = s3.listObjectVersions(caller, {
      bucket: input.bucket,
      prefix: q.prefix,
      keyMarker: q['key-marker'],
      versionIdMarker: q['version-id-marker'],
      maxKeys,
    });
    const entry = (v: ListedVersion) => ({
      Key: v.key,
      VersionId: v.versionId,
      IsLatest: v.isLatest,
      LastModified: new Date(v.lastModified).toISOString(),
      ...(v.deleteMarker ? {} : { ETag: v.etag, Size: v.size, StorageClass: 'STANDARD' }),
    });
    return xml('ListVersionsResult', {
      Name: input.bucket,
      Prefix: q.prefix ?? '',
      KeyMarker: q['key-marker'] ?? '',
      VersionIdMarker: q['version-id-marker'] ?? '',
      MaxKeys: maxKeys ?? 1000,
      IsTruncated: page.isTruncated,
      ...(page.nextKeyMarker ? { NextKeyMarker: page.nextKeyMarker, NextVersionIdMarker: page.nextVersionIdMarker } : {}),
      Version: page.versions.filter((v) => !v.deleteMarker).map(entry),
      DeleteMarker: page.versions.filter((v) => v.deleteMarker).map(entry),
    });
  },

  PutObjectRetention(s3, input, caller) {
    const retention = parseXml(input.body)?.Retention as { Mode?: string; RetainUntilDate?: string } | undefined;
    s3.putObjectRetention(caller, input.bucket, input.key!, {
      versionId: input.query.versionId,
      retention: retention?.Mode ? { mode: retentionMode(retention.Mode), until: Date.parse(retention.RetainUntilDate ?? '') } : undefined,
      bypassGovernance: input.headers['x-amz-bypass-governance-retention'] === 'true',
    });
    return ok();
  },

  GetObjectRetention(s3, input, caller) {
    const retention = s3.objectRetention(caller, input.bucket, input.key!, input.query.versionId);
    return xml('Retention', { Mode: retention.mode, RetainUntilDate: new Date(retention.until).toISOString() });
  },

  PutObjectLegalHold(s3, input, caller) {
    const status = (parseXml(input.body)?.LegalHold as { Status?: string } | undefined)?.Status;
    if (status !== 'ON' && status !== 'OFF') throw new AwsError('MalformedXML', 'Status must be ON or OFF.');
    s3.putObjectLegalHold(caller, input.bucket, input.key!, status === 'ON', input.query.versionId);
    return ok();
  },

  GetObjectLegalHold(s3, input, caller) {
    return xml('LegalHold', { Status: s3.objectLegalHold(caller, input.bucket, input.key!, input.query.versionId) ? 'ON' : 'OFF' });
  },
};

function parseXml(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  try {
    return parser.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
}

function retentionMode(mode: string): RetentionMode {
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw new AwsError('MalformedXML', 'Mode must be GOVERNANCE or COMPLIANCE.');
  return mode;
}

function defaultRetention(rule: { Mode?: string; Days?: string; Years?: string }): DefaultRetention {
  return {
    mode: retentionMode(rule.Mode ?? ''),
    ...(rule.Days === undefined ? {} : { days: Number(rule.Days) }),
    ...(rule.Years === undefined ? {} : { years: Number(rule.Years) }),
  };
}

/** `x-amz-object-lock-mode` and `-retain-until-date` come together or not at all. */
function retentionHeaders(h: Record<string, string>): Retention | undefined {
  const mode = h['x-amz-object-lock-mode'];
  const until = h['x-amz-object-lock-retain-until-date'];
  if (mode === undefined && until === undefined) return undefined;
  if (mode === undefined || until === undefined || Number.isNaN(Date.parse(until)))
    throw new AwsError('InvalidArgument', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  return { mode: retentionMode(mode), until: Date.parse(until) };
}

function encryptionHeader(h: Record<string, string>): PutObjectRequest['encryption'] {
  const algorithm = h['x-amz-server-side-encryption'];
  if (algorithm === undefined) return undefined;
  if (algorithm === 'AES256') return { algorithm };
  if (algorithm === 'aws:kms') return { algorithm, keyId: h['x-amz-server-side-encryption-aws-kms-key-id'] };
  throw new AwsError('InvalidArgument', `Server-side encryption ${algorithm} is not simulated (AES256 and aws:kms are).`);
}

/** Conditional writes take `If-None-Match: *` only. */
function ifNoneMatch(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value !== '*')
    throw new AwsError(
      'NotImplemented',
      'A header you provided implies functionality that is not implemented (If-None-Match takes * only).',
      501,
    );
  return true;
}

const versionHeader = (v: ObjectVersion): Record<string, string> => (v.versionId === 'null' ? {} : { 'x-amz-version-id': v.versionId });

function encryptionHeaders(v: ObjectVersion): Record<string, string> {
  if (!v.encryption) return {};
  if (v.encryption.algorithm === 'AES256') return { 'x-amz-server-side-encryption': 'AES256' };
  return { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': v.encryption.keyArn };
}

function objectHeaders(v: ObjectVersion): Record<string, string> {
  return {
    'content-length': String(v.size),
    'content-type': v.contentType ?? 'binary/octet-stream',
    etag: v.etag,
    'last-modified': new Date(v.lastModified).toUTCString(),
    ...versionHeader(v),
    ...encryptionHeaders(v),
    ...Object.fromEntries(Object.entries(v.metadata).map(([k, value]) => [`x-amz-meta-${k}`, value])),
    ...(v.retention
      ? { 'x-amz-object-lock-mode': v.retention.mode, 'x-amz-object-lock-retain-until-date': new Date(v.retention.until).toISOString() }
      : {}),
    ...(v.legalHold ? { 'x-amz-object-lock-legal-hold': 'ON' } : {}),
  };
}
