import {
  CopySnapshotCommand,
  type CopySnapshotCommandInput,
  CreateSnapshotCommand,
  CreateSnapshotsCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  type DescribeSnapshotsCommandInput,
  EC2Client,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, SimCloud } from '../src/index.js';
import type { VolumeEncryption } from '../src/services/ec2/ebs-volume.js';
import { EBS_CONCURRENT_COPY_QUOTA, type Ec2Sim, type Ec2SimOptions } from '../src/services/ec2/ec2.js';
import { rootArn } from '../src/services/iam/iam.js';
import type { KmsSim } from '../src/services/kms/kms.js';
import { allowing, trustedByNobody } from './policies.js';

const SOURCE = '111111111111';
const VAULT = '999999999999';
const OTHER = '222222222222';
const REGION = 'eu-west-1';
const MINUTE = 60_000;
const SNAPSHOT_MS = 5 * MINUTE;
const COPY_MS = 20 * MINUTE;

let cloud: SimCloud;
let kms: KmsSim;
let ec2: Ec2Sim;
let events: EventEnvelope[];

function setup(options: Ec2SimOptions = {}): void {
  cloud = new SimCloud({ ec2: { snapshotDurationMs: SNAPSHOT_MS, copyDurationMs: () => COPY_MS, ...options } });
  for (const id of [SOURCE, VAULT, OTHER]) cloud.addAccount({ id });
  ({ kms, ec2 } = cloud);
  events = [];
  cloud.onServiceEvent((event) => events.push(event));
}

beforeEach(() => setup());

const client = (account: string, region = REGION) => new EC2Client(cloud.clientConfig(cloud.adminCredentials(account), region));
const arnOf = (kind: 'snapshot' | 'volume', id: string, region = REGION) => `arn:aws:ec2::${region}:${kind}/${id}`;

/** A completed snapshot in SOURCE (created silently), of a fresh volume. */
function completedSnapshot(encryption: VolumeEncryption, account = SOURCE): string {
  const volume = ec2.createVolume(account, REGION, { encryption, sizeGiB: 16 });
  const snapshot = ec2.createSnapshot(account, REGION, { volumeId: volume.id, emit: false });
  cloud.clock.advance(SNAPSHOT_MS);
  return snapshot.id;
}

const shareWith = (snapshotId: string, account: string, owner = SOURCE) =>
  client(owner).send(
    new ModifySnapshotAttributeCommand({
      SnapshotId: snapshotId,
      Attribute: 'createVolumePermission',
      OperationType: 'add',
      UserIds: [account],
    }),
  );

async function describeOne(account: string, snapshotId: string, region = REGION) {
  const { Snapshots } = await client(account, region).send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
  return Snapshots![0]!;
}

async function ids(account: string, input: DescribeSnapshotsCommandInput = {}): Promise<string[]> {
  const { Snapshots = [] } = await client(account).send(new DescribeSnapshotsCommand(input));
  return Snapshots.map((s) => s.SnapshotId!).sort();
}

const copy = (account: string, input: Partial<CopySnapshotCommandInput> & { SourceSnapshotId: string }, region = REGION) =>
  client(account, region).send(new CopySnapshotCommand({ SourceRegion: REGION, ...input }));

/** What the EBS User Guide says users of a shared customer managed key need ("Share the KMS key used to encrypt a shared snapshot"). */
const SHARED_KEY_USE = ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'];

/** A key policy letting `account` use the key for copies, as the source stack's share key does. */
const shareKeyPolicy = (account: string, actions = SHARED_KEY_USE) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: rootArn(SOURCE) }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Allow', Principal: { AWS: rootArn(account) }, Action: actions, Resource: '*' },
    ],
  });

describe('simulated EBS snapshots: lifecycle and events', () => {
  it('keeps a snapshot pending until the simulated clock completes it, then emits the documented createSnapshot event', async () => {
    const volume = ec2.createVolume(SOURCE, REGION, { id: 'vol-0123456789abcdef0', encryption: 'none', sizeGiB: 100 });
    const created = await client(SOURCE).send(
      new CreateSnapshotCommand({
        VolumeId: volume.id,
        Description: 'nightly',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'app', Value: 'web' }] }],
      }),
    );
    expect(created).toMatchObject({
      State: 'pending',
      Progress: '0%',
      VolumeSize: 100,
      OwnerId: SOURCE,
      Description: 'nightly',
      Encrypted: false,
      Tags: [{ Key: 'app', Value: 'web' }],
    });
    expect(created.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    cloud.clock.advance(SNAPSHOT_MS / 2);
    expect(await describeOne(SOURCE, created.SnapshotId!)).toMatchObject({ State: 'pending', Progress: '50%' });
    expect(events).toEqual([]);
    cloud.clock.advance(SNAPSHOT_MS / 2);
    expect(await describeOne(SOURCE, created.SnapshotId!)).toMatchObject({ State: 'completed', Progress: '100%' });
    expect(events).toEqual([
      {
        version: '0',
        id: expect.any(String),
        'detail-type': 'EBS Snapshot Notification',
        source: 'aws.ec2',
        account: SOURCE,
        time: '2026-01-01T00:05:00Z',
        region: REGION,
        resources: [arnOf('snapshot', created.SnapshotId!)],
        detail: {
          event: 'createSnapshot',
          result: 'succeeded',
          cause: '',
          'request-id': '',
          snapshot_id: arnOf('snapshot', created.SnapshotId!),
          source: arnOf('volume', volume.id),
          startTime: '2026-01-01T00:00:00Z',
          endTime: '2026-01-01T00:05:00Z',
        },
      },
    ]);
  });

  it('creates snapshots silently when asked, with the id given, refusing malformed and taken ids', () => {
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'none' });
    ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, id: 'snap-01234567', emit: false });
    cloud.clock.advance(SNAPSHOT_MS);
    expect(ec2.snapshot(SOURCE, REGION, 'snap-01234567')?.state).toBe('completed');
    expect(events).toEqual([]);
    expect(() => ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, id: 'snap-01234567' })).toThrow(/already exists/);
    expect(() => ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, id: 'snapshot-1' })).toThrow(/not of the form/);
    expect(() => ec2.createSnapshot(VAULT, REGION, { volumeId: volume.id })).toThrow(/does not exist/);
  });

  it('encrypts snapshots as their volume: none, the aws/ebs key, or a customer managed key', async () => {
    const plain = await describeOne(SOURCE, completedSnapshot('none'));
    const managed = await describeOne(SOURCE, completedSnapshot('aws-managed'));
    const customer = await describeOne(SOURCE, completedSnapshot('cmk'));
    expect(plain).toMatchObject({ Encrypted: false });
    expect(plain.KmsKeyId).toBeUndefined();
    expect(managed).toMatchObject({ Encrypted: true, KmsKeyId: kms.awsManagedKey(SOURCE, REGION, 'ebs').arn });
    expect(kms.key(customer.KmsKeyId!)).toMatchObject({ account: SOURCE, keyManager: 'CUSTOMER' });
  });
});

describe('simulated EBS snapshots: DescribeSnapshots visibility and filters', () => {
  it('shows a caller its own, shared and public snapshots only: one it cannot see is left out, one that does not exist refused', async () => {
    const [mine, shared, open] = [completedSnapshot('cmk'), completedSnapshot('cmk'), completedSnapshot('none')];
    const others = completedSnapshot('none', OTHER);
    await shareWith(shared, VAULT);
    await client(SOURCE).send(
      new ModifySnapshotAttributeCommand({ SnapshotId: open, CreateVolumePermission: { Add: [{ Group: 'all' }] } }),
    );
    expect(await ids(VAULT)).toEqual([shared, open].sort());
    expect(await ids(VAULT, { OwnerIds: ['self'] })).toEqual([]);
    expect(await ids(VAULT, { OwnerIds: [SOURCE] })).toEqual([shared, open].sort());
    expect(await ids(VAULT, { RestorableByUserIds: ['self'] })).toEqual([shared]);
    expect(await ids(VAULT, { RestorableByUserIds: ['all'] })).toEqual([open]);
    expect(await ids(SOURCE, { OwnerIds: ['self'] })).toEqual([mine, shared, open].sort());
    expect(await ids(SOURCE, { RestorableByUserIds: [VAULT] })).toEqual([shared]);
    expect(await ids(OTHER)).toEqual([others, open].sort());
    // "If you specify a snapshot ID for which you do not have access, it is not included in the returned results" (DescribeSnapshots).
    const named = await client(VAULT).send(new DescribeSnapshotsCommand({ SnapshotIds: [shared, mine] }));
    expect(named.Snapshots!.map((s) => s.SnapshotId)).toEqual([shared]);
    await expect(
      client(VAULT).send(new DescribeSnapshotsCommand({ SnapshotIds: [shared, 'snap-0123456789abcdef0'] })),
    ).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
      message: `The snapshot 'snap-0123456789abcdef0' does not exist.`,
    });
    expect((await client(SOURCE, 'us-east-1').send(new DescribeSnapshotsCommand({}))).Snapshots).toEqual([]);
  });

  it('filters by owner, id, status, volume and tags, with wildcards', async () => {
    const elsewhere = completedSnapshot('none');
    const volume = ec2.createVolume(SOURCE, REGION, { id: 'vol-aaaaaaaa', encryption: 'none' });
    const done = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, tags: { app: 'web', tier: 'db' }, emit: false });
    cloud.clock.advance(SNAPSHOT_MS);
    const pending = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, tags: { app: 'api' }, emit: false });
    const filtered = (Name: string, Values: string[]) => ids(SOURCE, { Filters: [{ Name, Values }] });
    expect(await filtered('status', ['pending'])).toEqual([pending.id]);
    expect(await filtered('volume-id', ['vol-aaaaaaaa'])).toEqual([done.id, pending.id].sort());
    expect(await filtered('tag:app', ['web'])).toEqual([done.id]);
    expect(await filtered('tag:app', ['w*', 'a?i'])).toEqual([done.id, pending.id].sort());
    expect(await filtered('tag-key', ['tier'])).toEqual([done.id]);
    expect(await filtered('snapshot-id', [elsewhere])).toEqual([elsewhere]);
    expect(await filtered('owner-id', [VAULT])).toEqual([]);
    expect(
      await ids(SOURCE, {
        Filters: [
          { Name: 'status', Values: ['completed'] },
          { Name: 'tag-key', Values: ['app'] },
        ],
      }),
    ).toEqual([done.id]);
    await expect(filtered('colour', ['blue'])).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('pages with MaxResults and NextToken', async () => {
    const all = Array.from({ length: 7 }, () => completedSnapshot('none')).sort();
    const owner = client(SOURCE);
    const first = await owner.send(new DescribeSnapshotsCommand({ MaxResults: 5 }));
    expect(first.Snapshots).toHaveLength(5);
    const second = await owner.send(new DescribeSnapshotsCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(second.NextToken).toBeUndefined();
    expect([...first.Snapshots!, ...second.Snapshots!].map((s) => s.SnapshotId).sort()).toEqual(all);
    await expect(owner.send(new DescribeSnapshotsCommand({ MaxResults: 5, SnapshotIds: [all[0]!] }))).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(owner.send(new DescribeSnapshotsCommand({ MaxResults: 2 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('simulated EBS snapshots: sharing', () => {
  it('refuses to share a snapshot encrypted with the AWS managed key, with the error EC2 returns', async () => {
    const snapshotId = completedSnapshot('aws-managed');
    await expect(shareWith(snapshotId, VAULT)).rejects.toMatchObject({
      name: 'OperationNotPermitted',
      message: 'Encrypted snapshots with EBS default key cannot be shared',
    });
    expect(ec2.snapshot(SOURCE, REGION, snapshotId)?.sharedWith.size).toBe(0);
  });

  it('shares in both request forms, even while pending, reports permissions and notifies the recipients', async () => {
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'cmk' });
    const snapshot = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, emit: false });
    const owner = client(SOURCE);
    await shareWith(snapshot.id, VAULT);
    await owner.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshot.id, CreateVolumePermission: { Add: [{ UserId: OTHER }] } }));
    const attribute = await owner.send(
      new DescribeSnapshotAttributeCommand({ SnapshotId: snapshot.id, Attribute: 'createVolumePermission' }),
    );
    expect(attribute.CreateVolumePermissions).toEqual([{ UserId: VAULT }, { UserId: OTHER }]);
    expect(events.map((e) => [e.account, e.detail.event, e.detail.source, e.detail.snapshot_id])).toEqual([
      [VAULT, 'shareSnapshot', SOURCE, arnOf('snapshot', snapshot.id)],
      [OTHER, 'shareSnapshot', SOURCE, arnOf('snapshot', snapshot.id)],
    ]);
    await owner.send(
      new ModifySnapshotAttributeCommand({ SnapshotId: snapshot.id, CreateVolumePermission: { Remove: [{ UserId: OTHER }] } }),
    );
    expect(
      (await owner.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshot.id, Attribute: 'createVolumePermission' })))
        .CreateVolumePermissions,
    ).toEqual([{ UserId: VAULT }]);
    await expect(
      owner.send(new ModifySnapshotAttributeCommand({ SnapshotId: snapshot.id, OperationType: 'add', GroupNames: ['all'] })),
    ).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
  });

  it('lets only the owner share, tag or delete; others cannot even see an unshared snapshot', async () => {
    const snapshotId = completedSnapshot('cmk');
    await shareWith(snapshotId, VAULT);
    const vault = client(VAULT);
    await expect(shareWith(snapshotId, OTHER, VAULT)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(vault.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    await expect(vault.send(new CreateTagsCommand({ Resources: [snapshotId], Tags: [{ Key: 'k', Value: 'v' }] }))).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    await expect(client(OTHER).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
    });
    await expect(
      client(OTHER).send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission' })),
    ).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(ec2.snapshot(SOURCE, REGION, snapshotId)?.state).toBe('completed');
  });
});

describe('simulated EBS snapshots: CopySnapshot', () => {
  it('accepts a copy of a snapshot the caller cannot see, then fails it with the documented cause', async () => {
    const unshared = completedSnapshot('none');
    expect((await client(VAULT).send(new DescribeSnapshotsCommand({ SnapshotIds: [unshared] }))).Snapshots).toEqual([]);
    const { SnapshotId } = await copy(VAULT, { SourceSnapshotId: unshared });
    expect(await describeOne(VAULT, SnapshotId!)).toMatchObject({ State: 'pending', OwnerId: VAULT });
    cloud.clock.advance(MINUTE);
    expect(await describeOne(VAULT, SnapshotId!)).toMatchObject({ State: 'error', StateMessage: 'Source snapshot ID is not valid' });
    expect(events).toEqual([
      expect.objectContaining({
        account: VAULT,
        detail: expect.objectContaining({
          event: 'copySnapshot',
          result: 'failed',
          cause: 'Source snapshot ID is not valid',
          source: arnOf('snapshot', unshared),
        }),
      }),
    ]);
  });

  it('copies a shared CMK-encrypted snapshot across accounts only once the key policy names the copier', async () => {
    const shareKey = kms.createKey(SOURCE, REGION, { alias: 'share' });
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'cmk', kmsKeyArn: shareKey.arn, sizeGiB: 16 });
    const source = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, emit: false });
    cloud.clock.advance(SNAPSHOT_MS);
    await shareWith(source.id, VAULT);
    const vaultKey = kms.createKey(VAULT, REGION, { alias: 'vault' });
    const request = { SourceSnapshotId: source.id, Encrypted: true, KmsKeyId: vaultKey.arn };

    const refused = await copy(VAULT, request);
    cloud.clock.advance(MINUTE);
    expect(await describeOne(VAULT, refused.SnapshotId!)).toMatchObject({ State: 'error', StateMessage: 'Given key ID is not accessible' });

    kms.putKeyPolicy(shareKey, shareKeyPolicy(VAULT), { account: SOURCE, arn: rootArn(SOURCE) });
    events.length = 0;
    const allowed = await copy(VAULT, {
      ...request,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'source', Value: source.id }] }],
    });
    cloud.clock.advance(COPY_MS - 1);
    expect(await describeOne(VAULT, allowed.SnapshotId!)).toMatchObject({ State: 'pending' });
    cloud.clock.advance(1);
    expect(await describeOne(VAULT, allowed.SnapshotId!)).toMatchObject({
      State: 'completed',
      OwnerId: VAULT,
      Encrypted: true,
      KmsKeyId: vaultKey.arn,
      VolumeId: 'vol-ffffffff',
      VolumeSize: 16,
      Tags: [{ Key: 'source', Value: source.id }],
    });
    expect(events).toEqual([
      expect.objectContaining({
        account: VAULT,
        region: REGION,
        resources: [arnOf('snapshot', allowed.SnapshotId!)],
        detail: {
          event: 'copySnapshot',
          result: 'succeeded',
          cause: '',
          'request-id': '',
          snapshot_id: arnOf('snapshot', allowed.SnapshotId!),
          source: arnOf('snapshot', source.id),
          startTime: '2026-01-01T00:06:00Z',
          endTime: '2026-01-01T00:26:00Z',
          incremental: 'false',
          transferType: 'standard',
        },
      }),
    ]);
  });

  it('accepts a grant from the key owner instead of a key policy statement', async () => {
    const sourceId = completedSnapshot('cmk');
    await shareWith(sourceId, VAULT);
    const sourceKey = ec2.snapshot(SOURCE, REGION, sourceId)!.kmsKeyId!;
    kms.createGrant(
      sourceKey,
      { account: SOURCE, arn: rootArn(SOURCE) },
      {
        granteePrincipal: rootArn(VAULT),
        operations: ['Decrypt', 'ReEncryptFrom', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'CreateGrant', 'DescribeKey'],
      },
    );
    const { SnapshotId } = await copy(VAULT, { SourceSnapshotId: sourceId });
    cloud.clock.advance(COPY_MS);
    expect(await describeOne(VAULT, SnapshotId!)).toMatchObject({
      State: 'completed',
      KmsKeyId: kms.awsManagedKey(VAULT, REGION, 'ebs').arn,
    });
  });

  it('needs kms:GenerateDataKey and GenerateDataKeyWithoutPlaintext on a shared key, as the EBS guide lists for its users', async () => {
    const withoutDataKeys = kms.createKey(SOURCE, REGION, {
      policy: shareKeyPolicy(VAULT, ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey', 'kms:CreateGrant']),
    });
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'cmk', kmsKeyArn: withoutDataKeys.arn });
    const source = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, emit: false });
    cloud.clock.advance(SNAPSHOT_MS);
    await shareWith(source.id, VAULT);
    const { SnapshotId } = await copy(VAULT, { SourceSnapshotId: source.id });
    cloud.clock.advance(COPY_MS);
    expect(await describeOne(VAULT, SnapshotId!)).toMatchObject({ State: 'error', StateMessage: 'Given key ID is not accessible' });
    // The refusal is recorded on the CopySnapshot call, as KMS refused it to EC2 acting for the vault.
    const call = cloud.calls.find((c) => c.action === 'CopySnapshot' && c.account === VAULT)!;
    expect(call.authorizations.find((a) => !a.allowed)).toMatchObject({
      action: 'kms:GenerateDataKey',
      resource: withoutDataKeys.arn,
      refusedBy: ['key policy'],
      via: `ec2.${REGION}.amazonaws.com`,
    });
  });

  it("needs the copying role's own IAM permission on the source key as well", async () => {
    const shareKey = kms.createKey(SOURCE, REGION, { policy: shareKeyPolicy(VAULT) });
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'cmk', kmsKeyArn: shareKey.arn });
    const source = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, emit: false });
    cloud.clock.advance(SNAPSHOT_MS);
    await shareWith(source.id, VAULT);
    const copyAs = async (allow: string[]) => {
      const role = cloud.iam.putRole({
        account: VAULT,
        name: `copier-${allow.length}`,
        trustPolicy: trustedByNobody,
        policies: allowing(...allow),
      });
      const vault = new EC2Client(cloud.clientConfig(cloud.roleCredentials(role.arn), REGION));
      const { SnapshotId } = await vault.send(new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: source.id }));
      cloud.clock.advance(COPY_MS);
      return describeOne(VAULT, SnapshotId!);
    };
    expect(await copyAs(['ec2:*'])).toMatchObject({ State: 'error', StateMessage: 'Given key ID is not accessible' });
    expect(await copyAs(['ec2:*', 'kms:*'])).toMatchObject({ State: 'completed' });
  });

  it('encrypts with the caller aws/ebs key when no key is given, and encrypts an unencrypted source on request', async () => {
    const plain = completedSnapshot('none');
    await shareWith(plain, VAULT);
    const encrypted = await copy(VAULT, { SourceSnapshotId: plain, Encrypted: true });
    const unencrypted = await copy(VAULT, { SourceSnapshotId: plain });
    cloud.clock.advance(COPY_MS);
    expect(await describeOne(VAULT, encrypted.SnapshotId!)).toMatchObject({
      State: 'completed',
      Encrypted: true,
      KmsKeyId: kms.awsManagedKey(VAULT, REGION, 'ebs').arn,
    });
    const copied = await describeOne(VAULT, unencrypted.SnapshotId!);
    expect(copied).toMatchObject({ State: 'completed', Encrypted: false });
    expect(copied.KmsKeyId).toBeUndefined();
  });

  it("cannot copy another account's aws/ebs snapshot even when the snapshot itself is visible", async () => {
    const managed = ec2.snapshot(SOURCE, REGION, completedSnapshot('aws-managed'))!;
    // The owner cannot share it; a public flag set behind the API's back stands for any leak.
    managed.isPublic = true;
    const { SnapshotId } = await copy(VAULT, { SourceSnapshotId: managed.id });
    cloud.clock.advance(COPY_MS);
    expect(await describeOne(VAULT, SnapshotId!)).toMatchObject({ State: 'error', StateMessage: 'Given key ID is not accessible' });
    const own = await copy(SOURCE, { SourceSnapshotId: managed.id });
    cloud.clock.advance(COPY_MS);
    expect(await describeOne(SOURCE, own.SnapshotId!)).toMatchObject({ State: 'completed', KmsKeyId: managed.kmsKeyId });
  });

  it('rejects KmsKeyId without Encrypted, and sources that are not completed yet', async () => {
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'none' });
    const pending = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, emit: false });
    await expect(copy(SOURCE, { SourceSnapshotId: pending.id, KmsKeyId: 'alias/aws/ebs' })).rejects.toMatchObject({
      name: 'InvalidParameterDependency',
    });
    await expect(copy(SOURCE, { SourceSnapshotId: pending.id })).rejects.toMatchObject({
      name: 'IncorrectState',
      message: `Snapshot '${pending.id}' is not 'completed'.`,
    });
  });

  it(`refuses more than ${EBS_CONCURRENT_COPY_QUOTA} concurrent copies into one account and region until one completes`, async () => {
    const sourceId = completedSnapshot('none');
    await shareWith(sourceId, VAULT);
    for (let i = 0; i < EBS_CONCURRENT_COPY_QUOTA; i++) await copy(VAULT, { SourceSnapshotId: sourceId });
    await expect(copy(VAULT, { SourceSnapshotId: sourceId })).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
    // Other destinations have their own quota.
    expect((await copy(VAULT, { SourceSnapshotId: sourceId }, 'us-east-1')).SnapshotId).toMatch(/^snap-/);
    expect((await copy(SOURCE, { SourceSnapshotId: sourceId })).SnapshotId).toMatch(/^snap-/);
    cloud.clock.advance(COPY_MS);
    expect((await copy(VAULT, { SourceSnapshotId: sourceId })).SnapshotId).toMatch(/^snap-/);
  });

  it('takes the quota from the options', async () => {
    setup({ copyQuota: 1 });
    const sourceId = completedSnapshot('none');
    await copy(SOURCE, { SourceSnapshotId: sourceId });
    await expect(copy(SOURCE, { SourceSnapshotId: sourceId })).rejects.toMatchObject({ name: 'ResourceLimitExceeded' });
  });

  it('copies across regions and announces the copy in the destination region', async () => {
    const sourceId = completedSnapshot('none');
    await shareWith(sourceId, VAULT);
    const { SnapshotId } = await copy(VAULT, { SourceSnapshotId: sourceId }, 'us-east-1');
    cloud.clock.advance(COPY_MS);
    expect(await describeOne(VAULT, SnapshotId!, 'us-east-1')).toMatchObject({ State: 'completed' });
    expect(events.at(-1)).toMatchObject({
      account: VAULT,
      region: 'us-east-1',
      detail: { snapshot_id: arnOf('snapshot', SnapshotId!, 'us-east-1'), source: arnOf('snapshot', sourceId) },
    });
  });

  it('copies an encrypted snapshot across regions under a key of the destination region only, using the source key through EC2 in its own region', async () => {
    const sourceKey = kms.createKey(VAULT, REGION, {});
    const volume = ec2.createVolume(VAULT, REGION, { encryption: 'cmk', kmsKeyArn: sourceKey.arn, sizeGiB: 16 });
    const source = ec2.createSnapshot(VAULT, REGION, { volumeId: volume.id, emit: false });
    cloud.clock.advance(SNAPSHOT_MS);
    const destinationKey = kms.createKey(VAULT, 'us-east-1', {});
    // A role that may use each key through EC2 in the regions given only.
    const copyAs = async (name: string, via: { source: string; destination: string }, KmsKeyId = destinationKey.arn) => {
      const useThrough = (key: string, region: string) => ({
        Effect: 'Allow' as const,
        Action: 'kms:*',
        Resource: key,
        Condition: { StringEquals: { 'kms:ViaService': `ec2.${region}.amazonaws.com` } },
      });
      const role = cloud.iam.putRole({
        account: VAULT,
        name,
        trustPolicy: trustedByNobody,
        policies: {
          copy: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
              useThrough(sourceKey.arn, via.source),
              useThrough(destinationKey.arn, via.destination),
            ],
          },
        },
      });
      const ec2InDestination = new EC2Client(cloud.clientConfig(cloud.roleCredentials(role.arn), 'us-east-1'));
      const { SnapshotId } = await ec2InDestination.send(
        new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: source.id, Encrypted: true, KmsKeyId }),
      );
      cloud.clock.advance(COPY_MS);
      return describeOne(VAULT, SnapshotId!, 'us-east-1');
    };
    expect(await copyAs('each-in-its-region', { source: REGION, destination: 'us-east-1' })).toMatchObject({
      State: 'completed',
      KmsKeyId: destinationKey.arn,
    });
    // The source key is not used through EC2 of the destination region.
    expect(await copyAs('both-in-the-destination', { source: 'us-east-1', destination: 'us-east-1' })).toMatchObject({
      State: 'error',
      StateMessage: 'Given key ID is not accessible',
    });
    // KMS keys are regional: a key of the source region names no key in the destination.
    expect(await copyAs('source-key', { source: REGION, destination: 'us-east-1' }, sourceKey.arn)).toMatchObject({
      State: 'error',
      StateMessage: 'Given key ID is not accessible',
    });
  });

  it('survives injected RequestLimitExceeded faults through the SDK retries, creating one copy', async () => {
    const sourceId = completedSnapshot('none');
    cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'RequestLimitExceeded', times: 2 });
    const result = await copy(SOURCE, { SourceSnapshotId: sourceId });
    expect(result.$metadata.attempts).toBe(3);
    expect(cloud.calls.filter((c) => c.action === 'CopySnapshot').map((c) => c.error)).toEqual([
      'RequestLimitExceeded',
      'RequestLimitExceeded',
      undefined,
    ]);
    expect(
      ec2
        .snapshots({ account: SOURCE })
        .filter((s) => s.origin.kind === 'copy')
        .map((s) => s.id),
    ).toEqual([result.SnapshotId]);
  });
});

describe('simulated EBS snapshots: tags, deletion and accounts', () => {
  it('adds and removes tags, refusing the reserved aws: prefix', async () => {
    const snapshotId = completedSnapshot('none');
    const owner = client(SOURCE);
    await owner.send(
      new CreateTagsCommand({
        Resources: [snapshotId],
        Tags: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      }),
    );
    await owner.send(new DeleteTagsCommand({ Resources: [snapshotId], Tags: [{ Key: 'a', Value: 'not-1' }, { Key: 'b' }] }));
    expect((await describeOne(SOURCE, snapshotId)).Tags).toEqual([{ Key: 'a', Value: '1' }]);
    await expect(
      owner.send(new CreateTagsCommand({ Resources: [snapshotId], Tags: [{ Key: 'aws:x', Value: '1' }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('deletes only unused snapshots, and a deleted pending copy never completes', async () => {
    const snapshotId = completedSnapshot('none');
    const snapshot = ec2.snapshot(SOURCE, REGION, snapshotId)!;
    const owner = client(SOURCE);
    ec2.snapshotStore.use(snapshot, 'ami-0123456789abcdef0');
    await expect(owner.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))).rejects.toMatchObject({
      name: 'InvalidSnapshot.InUse',
      message: `The snapshot ${snapshotId} is currently in use by ami-0123456789abcdef0`,
    });
    ec2.snapshotStore.release(snapshot, 'ami-0123456789abcdef0');
    const { SnapshotId: copyId } = await copy(SOURCE, { SourceSnapshotId: snapshotId });
    await owner.send(new DeleteSnapshotCommand({ SnapshotId: copyId }));
    await owner.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    cloud.clock.advance(COPY_MS);
    expect(events).toEqual([]);
    await expect(describeOne(SOURCE, snapshotId)).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('forgets a removed account, including what it shared', async () => {
    const snapshotId = completedSnapshot('none');
    await shareWith(snapshotId, VAULT);
    ec2.removeAccount(SOURCE);
    expect(await ids(VAULT)).toEqual([]);
    expect(ec2.snapshots({ account: SOURCE })).toEqual([]);
  });
});

describe('eventual consistency', () => {
  it('keeps a new snapshot from DescribeSnapshots until the lag has passed: named, it does not exist yet; listed, it is missing', async () => {
    setup({ describeLagMs: 30_000 });
    const volume = ec2.createVolume(SOURCE, REGION, { encryption: 'none' });
    const snapshot = ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, emit: false });
    await expect(describeOne(SOURCE, snapshot.id)).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect((await client(SOURCE).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
    cloud.clock.advance(30_000);
    expect(await describeOne(SOURCE, snapshot.id)).toMatchObject({ SnapshotId: snapshot.id });
  });
});

describe('multi-volume snapshot sets (CreateSnapshots)', () => {
  it('snapshots every volume of an instance and announces the set once, in the documented shape', async () => {
    const instance = ec2.createInstance(SOURCE, REGION, {
      volumes: [{ encryption: 'none' }, { encryption: 'cmk' }, { encryption: 'none' }],
    });
    const { Snapshots } = await client(SOURCE).send(
      new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: instance.id, ExcludeBootVolume: true }, Description: 'nightly' }),
    );
    expect(Snapshots!.map((s) => s.VolumeId)).toEqual(instance.volumeIds.slice(1));
    expect(events).toEqual([]);
    cloud.clock.advance(SNAPSHOT_MS);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      'detail-type': 'EBS Multi-Volume Snapshots Completion Status',
      source: 'aws.ec2',
      account: SOURCE,
      resources: Snapshots!.map((s) => arnOf('snapshot', s.SnapshotId!)),
      detail: {
        event: 'createSnapshots',
        result: 'succeeded',
        cause: '',
        snapshots: Snapshots!.map((s) => ({
          snapshot_id: arnOf('snapshot', s.SnapshotId!),
          source: arnOf('volume', s.VolumeId!),
          status: 'completed',
        })),
      },
    });
    await expect(
      client(SOURCE).send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: 'i-0123456789abcdef0' } })),
    ).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
  });

  it('announces a set with a snapshot in error as failed, naming each snapshot’s status: the others completed', () => {
    const instance = ec2.createInstance(SOURCE, REGION, { volumes: [{ encryption: 'none' }, { encryption: 'none' }] });
    const [root, data] = ec2.createSnapshots(SOURCE, REGION, {
      instanceId: instance.id,
      failing: { [instance.volumeIds[1]!]: 'Internal error' },
    });
    cloud.clock.advance(SNAPSHOT_MS);
    expect(events.map((e) => e.detail)).toEqual([
      expect.objectContaining({
        result: 'failed',
        cause: `Snapshot ${data!.id} is in status error`,
        snapshots: [
          expect.objectContaining({ snapshot_id: arnOf('snapshot', root!.id), status: 'completed' }),
          expect.objectContaining({ snapshot_id: arnOf('snapshot', data!.id), status: 'error' }),
        ],
      }),
    ]);
  });
});
