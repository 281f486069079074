import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';
import { rootArn } from '../src/services/iam/iam.js';
import { allowing, trustedByNobody } from './policies.js';

const VAULT = '999999999999';
const OTHER = '222222222222';
const REGION = 'eu-west-1';
const BUCKET = 'backup-hub-store-999999999999-eu-west-1';
const DAY_MS = 86_400_000;

let cloud: SimCloud;

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  cloud.addAccount({ id: OTHER });
});

const s3As = (credentials = cloud.adminCredentials(VAULT), region = REGION) => new S3Client(cloud.clientConfig(credentials, region));
/** A role of the vault allowed exactly `actions`, and an S3 client with its credentials. */
function roleClient(name: string, actions: string[]) {
  const role = cloud.iam.putRole({ account: VAULT, name, trustPolicy: trustedByNobody, policies: allowing(...actions) });
  return { arn: role.arn, s3: s3As(cloud.roleCredentials(role.arn)) };
}
const put = (s3: S3Client, key: string, body: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...extra }));
const text = async (s3: S3Client, key: string, versionId?: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, VersionId: versionId }))).Body!.transformToString();
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
      message: error.message,
    }),
  );

describe('simulated S3: buckets and versions through the SDK', () => {
  it('keeps every version under Object Lock (versioning turned on), lists them newest first per key, pages, reads each back', async () => {
    const s3 = s3As();
    await s3.send(
      new CreateBucketCommand({
        Bucket: BUCKET,
        ObjectLockEnabledForBucket: true,
        CreateBucketConfiguration: { LocationConstraint: REGION },
      }),
    );
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
    const first = await put(s3, 'a/one', 'v1', { Metadata: { 'source-version': '1' } });
    const second = await put(s3, 'a/one', 'v2');
    await put(s3, 'a/two', 'w1');
    await put(s3, 'b/elsewhere', 'x');
    expect(first.VersionId).toBeTruthy();
    expect(first.VersionId).not.toBe(second.VersionId);

    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'a/' }));
    expect(listed.Versions!.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([
      ['a/one', second.VersionId, true],
      ['a/one', first.VersionId, false],
      ['a/two', expect.any(String), true],
    ]);
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'a/', MaxKeys: 2 }));
    expect(page).toMatchObject({ IsTruncated: true, NextKeyMarker: 'a/one', NextVersionIdMarker: first.VersionId });
    const rest = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: BUCKET,
        Prefix: 'a/',
        KeyMarker: page.NextKeyMarker,
        VersionIdMarker: page.NextVersionIdMarker,
      }),
    );
    expect(rest.Versions!.map((v) => v.Key)).toEqual(['a/two']);

    expect(await text(s3, 'a/one', first.VersionId)).toBe('v1');
    expect(await text(s3, 'a/one')).toBe('v2');
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a/one', VersionId: first.VersionId }));
    expect(head).toMatchObject({ VersionId: first.VersionId, ContentLength: 2, Metadata: { 'source-version': '1' } });
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a/none' })))).toMatchObject({ status: 404 });
  });

  it('writes once with If-None-Match: * (a second write of the key is refused with 412)', async () => {
    const s3 = s3As();
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { versioning: 'Enabled' });
    await put(s3, 'k', 'first', { IfNoneMatch: '*' });
    expect(await failure(put(s3, 'k', 'second', { IfNoneMatch: '*' }))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }))).Versions).toHaveLength(1);
  });

  it('names buckets globally, serves a bucket only in its own region, and only to callers expecting its owner', async () => {
    cloud.s3.createBucket(VAULT, REGION, BUCKET);
    expect(
      await failure(
        s3As(cloud.adminCredentials(OTHER)).send(
          new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }),
        ),
      ),
    ).toMatchObject({ name: 'BucketAlreadyExists', status: 409 });
    expect(await failure(put(s3As(cloud.adminCredentials(VAULT), 'eu-central-1'), 'k', 'v'))).toMatchObject({ status: 301 });
    expect(await failure(put(s3As(cloud.adminCredentials(OTHER)), 'k', 'v'))).toMatchObject({ name: 'AccessDenied', status: 403 });
    // The expected bucket owner: a bucket of another account of that name is never written to.
    expect(await failure(put(s3As(), 'k', 'v', { ExpectedBucketOwner: OTHER }))).toMatchObject({ name: 'AccessDenied', status: 403 });
    await put(s3As(), 'k', 'v', { ExpectedBucketOwner: VAULT });
  });

  it('refuses to suspend versioning under Object Lock, and Object Lock on an unversioned bucket', async () => {
    const s3 = s3As();
    cloud.s3.createBucket(VAULT, REGION, 'plain-bucket');
    expect(
      await failure(
        s3.send(
          new PutObjectLockConfigurationCommand({ Bucket: 'plain-bucket', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidBucketState' });
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { objectLockEnabled: true });
    expect(
      await failure(s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Suspended' } }))),
    ).toMatchObject({ name: 'InvalidBucketState' });
  });
});

describe('simulated S3: Object Lock', () => {
  const lockedBucket = (mode: 'GOVERNANCE' | 'COMPLIANCE', days = 7) =>
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { objectLockEnabled: true, defaultRetention: { mode, days } });

  it('compliance mode: nobody, the account root included, deletes a version or shortens its retention until it ends', async () => {
    lockedBucket('COMPLIANCE');
    const root = s3As();
    const { VersionId } = await put(root, 'k', 'kept');
    const retention = await root.send(new GetObjectRetentionCommand({ Bucket: BUCKET, Key: 'k', VersionId }));
    expect(retention.Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: new Date(cloud.clock.nowMs() + 7 * DAY_MS) });
    const del = () => root.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k', VersionId, BypassGovernanceRetention: true }));
    expect(await failure(del())).toMatchObject({ name: 'AccessDenied', status: 403 });
    const shorten = (mode: 'GOVERNANCE' | 'COMPLIANCE', days: number) =>
      root.send(
        new PutObjectRetentionCommand({
          Bucket: BUCKET,
          Key: 'k',
          VersionId,
          BypassGovernanceRetention: true,
          Retention: { Mode: mode, RetainUntilDate: new Date(cloud.clock.nowMs() + days * DAY_MS) },
        }),
      );
    expect(await failure(shorten('COMPLIANCE', 1))).toMatchObject({ name: 'AccessDenied' });
    expect(await failure(shorten('GOVERNANCE', 30))).toMatchObject({ name: 'AccessDenied' });
    await shorten('COMPLIANCE', 30); // extending is allowed
    // A delete without a version id only adds a delete marker: the locked version stays.
    await root.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k' }));
    expect(await text(root, 'k', VersionId)).toBe('kept');
    cloud.clock.advance(31 * DAY_MS);
    await del();
    expect(await failure(text(root, 'k', VersionId))).toMatchObject({ name: 'NoSuchVersion' });
  });

  it('governance mode: deleting or shortening needs the bypass header and s3:BypassGovernanceRetention', async () => {
    lockedBucket('GOVERNANCE');
    const { VersionId } = await put(s3As(), 'k', 'kept');
    const pruner = roleClient('pruner', ['s3:DeleteObjectVersion']);
    const admin = roleClient('admin', ['s3:DeleteObjectVersion', 's3:BypassGovernanceRetention']);
    const del = (s3: S3Client, bypass: boolean) =>
      s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k', VersionId, BypassGovernanceRetention: bypass }));
    expect(await failure(del(pruner.s3, true))).toMatchObject({ name: 'AccessDenied' });
    expect(await failure(del(admin.s3, false))).toMatchObject({ name: 'AccessDenied' });
    await del(admin.s3, true);
    expect(cloud.s3.bucket(BUCKET)!.listVersions()).toEqual([]);
  });

  it('a legal hold stops deletion whatever the retention, until it is lifted', async () => {
    lockedBucket('GOVERNANCE');
    const root = s3As();
    const { VersionId } = await put(root, 'k', 'held');
    await root.send(new PutObjectLegalHoldCommand({ Bucket: BUCKET, Key: 'k', VersionId, LegalHold: { Status: 'ON' } }));
    cloud.clock.advance(8 * DAY_MS); // the retention has ended
    const del = () => root.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k', VersionId, BypassGovernanceRetention: true }));
    expect(await failure(del())).toMatchObject({ name: 'AccessDenied' });
    await root.send(new PutObjectLegalHoldCommand({ Bucket: BUCKET, Key: 'k', VersionId, LegalHold: { Status: 'OFF' } }));
    await del();
  });

  it('a bucket policy Deny binds the account root too', async () => {
    lockedBucket('GOVERNANCE', 1);
    const root = s3As();
    const { VersionId } = await put(root, 'k', 'v');
    await root.send(
      new PutBucketPolicyCommand({
        Bucket: BUCKET,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObjectVersion', Resource: `arn:aws:s3:::${BUCKET}/*` }],
        }),
      }),
    );
    cloud.clock.advance(2 * DAY_MS);
    expect(await failure(root.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k', VersionId })))).toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('reports the Object Lock configuration it holds', async () => {
    lockedBucket('GOVERNANCE', 7);
    expect((await s3As().send(new GetObjectLockConfigurationCommand({ Bucket: BUCKET }))).ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } },
    });
  });
});

describe('simulated S3: every call decided by IAM and the bucket policy', () => {
  const policyOf = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

  it('in the bucket account either side allows; another account needs both its IAM and the bucket policy', async () => {
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { versioning: 'Enabled' });
    await put(s3As(), 'k', 'v');
    const reader = roleClient('reader', []); // no IAM permission at all
    const stranger = cloud.iam.putRole({
      account: OTHER,
      name: 'stranger',
      trustPolicy: trustedByNobody,
      policies: allowing('s3:GetObject'),
    });
    const strangerS3 = s3As(cloud.roleCredentials(stranger.arn));
    expect(await failure(text(reader.s3, 'k'))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect((await failure(text(strangerS3, 'k')))?.message).toMatch(/s3:GetObject.*resource-based policy/);
    cloud.s3.setBucketPolicy(
      VAULT,
      BUCKET,
      policyOf([
        { Effect: 'Allow', Principal: { AWS: [reader.arn, stranger.arn] }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
      ]),
    );
    expect(await text(reader.s3, 'k')).toBe('v');
    expect(await text(strangerS3, 'k')).toBe('v');
    expect(cloud.calls.at(-1)!.authorizations.map((a) => [a.action, a.resource, a.decisive.map((d) => d.type).sort()])).toEqual([
      ['s3:GetObject', `arn:aws:s3:::${BUCKET}/k`, ['bucket policy', 'identity']],
    ]);
  });

  it('tells a caller a key does not exist only when it may list the bucket (403 otherwise)', async () => {
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { versioning: 'Enabled' });
    const head = (s3: S3Client) => failure(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'missing' })));
    const reader = roleClient('reader', ['s3:GetObject']);
    expect(await head(reader.s3)).toMatchObject({ status: 403 });
    expect(await failure(text(reader.s3, 'missing'))).toMatchObject({ name: 'AccessDenied', status: 403 });
    const lister = roleClient('lister', ['s3:GetObject', 's3:ListBucket']);
    expect(await head(lister.s3)).toMatchObject({ name: 'NotFound', status: 404 });
    expect(await failure(text(lister.s3, 'missing'))).toMatchObject({ name: 'NoSuchKey', status: 404 });
  });

  it("supplies the request's condition keys: s3:if-none-match, the SSE-KMS key, s3:versionid", async () => {
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { versioning: 'Enabled' });
    const key = cloud.kms.createKey(VAULT, REGION).arn;
    const writer = cloud.iam.putRole({
      account: VAULT,
      name: 'writer',
      trustPolicy: trustedByNobody,
      policies: {
        write: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:PutObject',
              Resource: '*',
              Condition: { StringEquals: { 's3:if-none-match': '*', 's3:x-amz-server-side-encryption-aws-kms-key-id': key } },
            },
            { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: key },
            { Effect: 'Allow', Action: 's3:GetObjectVersion', Resource: '*', Condition: { StringEquals: { 's3:versionid': 'none' } } },
          ],
        },
      },
    });
    const s3 = s3As(cloud.roleCredentials(writer.arn));
    const kms = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key } as const;
    expect(await failure(put(s3, 'k', 'v', kms))).toMatchObject({ name: 'AccessDenied' });
    expect(await failure(put(s3, 'k', 'v', { IfNoneMatch: '*' }))).toMatchObject({ name: 'AccessDenied' });
    const { VersionId } = await put(s3, 'k', 'v', { ...kms, IfNoneMatch: '*' });
    expect((await failure(text(s3, 'k', VersionId)))?.message).toMatch(/s3:GetObjectVersion/);
  });
});

describe('simulated S3: SSE-KMS is checked against the key policy', () => {
  it('writes need kms:GenerateDataKey and reads kms:Decrypt, through S3 only (kms:ViaService)', async () => {
    const writer = roleClient('writer', ['s3:PutObject', 's3:GetObjectVersion']);
    const reader = roleClient('reader', ['s3:GetObjectVersion']);
    const stranger = roleClient('stranger', ['s3:PutObject', 's3:GetObjectVersion', 'kms:*']);
    const viaS3 = { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } };
    const key = cloud.kms.createKey(VAULT, REGION, {
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: rootArn(VAULT) }, Action: ['kms:Describe*', 'kms:PutKeyPolicy'], Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: writer.arn }, Action: 'kms:GenerateDataKey', Resource: '*', Condition: viaS3 },
          { Effect: 'Allow', Principal: { AWS: reader.arn }, Action: 'kms:Decrypt', Resource: '*', Condition: viaS3 },
        ],
      },
    });
    cloud.s3.createBucket(VAULT, REGION, BUCKET, { versioning: 'Enabled', encryption: { algorithm: 'aws:kms', keyId: key.arn } });

    const { VersionId, ServerSideEncryption, SSEKMSKeyId } = await put(writer.s3, 'secret', 'hunter2');
    expect([ServerSideEncryption, SSEKMSKeyId]).toEqual(['aws:kms', key.arn]);
    expect(cloud.s3.bucket(BUCKET)!.latest('secret')!.body.toString()).not.toBe('hunter2');
    expect(await text(reader.s3, 'secret', VersionId)).toBe('hunter2');
    expect(await failure(text(writer.s3, 'secret', VersionId))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect((await failure(put(stranger.s3, 'other', 'x')))?.message).toMatch(/kms:GenerateDataKey/);
    // The reader may decrypt through S3, not directly.
    const sealed = cloud.s3.bucket(BUCKET)!.latest('secret')!.body;
    const kms = new KMSClient(cloud.clientConfig(cloud.roleCredentials(reader.arn), REGION));
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: sealed }))))?.message).toMatch(/kms:Decrypt/);
  });
});
