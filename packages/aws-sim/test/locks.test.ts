import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeLockedSnapshotsCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  EnableImageDeregistrationProtectionCommand,
  LockSnapshotCommand,
  UnlockSnapshotCommand,
} from '@aws-sdk/client-ec2';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DisableKeyCommand, EncryptCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { beforeEach, describe, expect, it } from 'vitest';
import { type PolicyDocument, restJsonCall, SimCloud } from '../src/index.js';

const VAULT = '999999999999';
const REGION = 'eu-west-1';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SNAPSHOT_MS = 5 * 60_000;

let cloud: SimCloud;

beforeEach(() => {
  cloud = new SimCloud({ ec2: { snapshotDurationMs: SNAPSHOT_MS } });
  cloud.addAccount({ id: VAULT });
});

/** The account's root user: what no lock in compliance mode yields to. */
const root = () => new EC2Client(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));

function snapshot(): string {
  const volume = cloud.ec2.createVolume(VAULT, REGION, { encryption: 'none' });
  return cloud.ec2.createSnapshot(VAULT, REGION, { volumeId: volume.id, emit: false }).id;
}

const lock = (SnapshotId: string, input: Partial<ConstructorParameters<typeof LockSnapshotCommand>[0]>) =>
  root().send(new LockSnapshotCommand({ SnapshotId, LockMode: 'compliance', ...input }));

describe('EBS snapshot lock', () => {
  it('locks a pending snapshot; the duration runs from its completion, and DeleteSnapshot is refused meanwhile', async () => {
    const id = snapshot();
    const locked = await lock(id, { LockDuration: 7 });
    expect(locked.LockState).toBe('compliance');
    expect(locked.LockExpiresOn).toBeUndefined();
    await expect(root().send(new DeleteSnapshotCommand({ SnapshotId: id }))).rejects.toMatchObject({ name: 'SnapshotLocked' });

    await cloud.skip(SNAPSHOT_MS);
    const [info] = (await root().send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots!;
    expect(info!.LockDurationStartTime!.getTime()).toBe(cloud.ec2.snapshot(VAULT, REGION, id)!.completionTime!.getTime());
    expect(info!.LockExpiresOn!.getTime() - info!.LockDurationStartTime!.getTime()).toBe(7 * DAY);

    await cloud.skip(7 * DAY);
    expect((await root().send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0]!.LockState).toBe('expired');
    await root().send(new DeleteSnapshotCommand({ SnapshotId: id }));
    expect(cloud.ec2.snapshot(VAULT, REGION, id)).toBeUndefined();
  });

  it('a compliance lock past its cooling-off period cannot be removed, shortened or turned to governance, even by root; it can be extended', async () => {
    const id = snapshot();
    await lock(id, { LockDuration: 30, CoolOffPeriod: 1 });
    expect((await root().send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0]!.LockState).toBe(
      'compliance-cooloff',
    );
    await cloud.skip(HOUR);
    await expect(root().send(new UnlockSnapshotCommand({ SnapshotId: id }))).rejects.toMatchObject({ name: 'SnapshotLocked' });
    await expect(lock(id, { LockDuration: 1 })).rejects.toMatchObject({ name: 'SnapshotLocked' });
    await expect(lock(id, { LockMode: 'governance', LockDuration: 30 })).rejects.toMatchObject({ name: 'SnapshotLocked' });
    await expect(lock(id, { LockDuration: 60, CoolOffPeriod: 2 })).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    const extended = await lock(id, { LockDuration: 60 });
    expect(extended.LockState).toBe('compliance');
    expect(extended.LockDuration).toBe(60);
  });

  it('within the cooling-off period, and in governance mode, the lock may be lifted', async () => {
    const cooling = snapshot();
    await lock(cooling, { LockDuration: 30, CoolOffPeriod: 24 });
    await root().send(new UnlockSnapshotCommand({ SnapshotId: cooling }));
    const governed = snapshot();
    await lock(governed, { LockMode: 'governance', LockDuration: 30 });
    await lock(governed, { LockMode: 'governance', LockDuration: 1 });
    await root().send(new UnlockSnapshotCommand({ SnapshotId: governed }));
    await cloud.skip(SNAPSHOT_MS);
    await root().send(new DeleteSnapshotCommand({ SnapshotId: cooling }));
    await root().send(new DeleteSnapshotCommand({ SnapshotId: governed }));
    expect(cloud.ec2.snapshots({ account: VAULT })).toEqual([]);
  });

  it('refuses a governance lock with a cooling-off period and a request with both a duration and a date', async () => {
    const id = snapshot();
    await expect(lock(id, { LockMode: 'governance', LockDuration: 1, CoolOffPeriod: 1 })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
    await expect(lock(id, { LockDuration: 1, ExpirationDate: new Date(cloud.clock.nowMs() + DAY) })).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
    });
  });
});

describe('AMI deregistration protection', () => {
  it('refuses DeregisterImage while protected, and for 24 hours after protection with cooldown is disabled', async () => {
    const image = cloud.ec2.images.create(VAULT, REGION, { name: 'web', encryption: 'none', emit: false });
    await cloud.skip(SNAPSHOT_MS);
    await root().send(new EnableImageDeregistrationProtectionCommand({ ImageId: image.id, WithCooldown: true }));
    const described = await root().send(new DescribeImagesCommand({ ImageIds: [image.id] }));
    expect(described.Images![0]!.DeregistrationProtection).toBe('enabled-with-cooldown');
    await expect(root().send(new DeregisterImageCommand({ ImageId: image.id }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });

    await root().send(new DisableImageDeregistrationProtectionCommand({ ImageId: image.id }));
    await expect(root().send(new DeregisterImageCommand({ ImageId: image.id }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
    await cloud.skip(DAY);
    await root().send(new DeregisterImageCommand({ ImageId: image.id }));
    expect(image.state).toBe('deregistered');
  });
});

describe('Recycle Bin', () => {
  const rbin = (request: Parameters<typeof restJsonCall>[2]) =>
    restJsonCall(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION), 'rbin', request);
  const createRule = (body: Record<string, unknown>) =>
    rbin({ method: 'POST', path: '/rules', body: { RetentionPeriod: { RetentionPeriodValue: 10, RetentionPeriodUnit: 'DAYS' }, ...body } });

  it('keeps a deleted snapshot for the retention of a Region-level rule, out of DescribeSnapshots', async () => {
    await createRule({ ResourceType: 'EBS_SNAPSHOT' });
    const id = snapshot();
    await cloud.skip(SNAPSHOT_MS);
    await root().send(new DeleteSnapshotCommand({ SnapshotId: id }));
    expect(cloud.ec2.snapshot(VAULT, REGION, id)).toBeUndefined();
    expect(cloud.recycleBin.binned(VAULT, REGION, 'EBS_SNAPSHOT').map((b) => b.id)).toEqual([id]);
    await cloud.skip(10 * DAY);
    expect(cloud.recycleBin.binned(VAULT, REGION, 'EBS_SNAPSHOT')).toEqual([]);
  });

  it('a locked rule cannot be deleted or shortened, even by root, until its unlock delay has passed', async () => {
    const rule = await createRule({
      ResourceType: 'EC2_IMAGE',
      LockConfiguration: { UnlockDelay: { UnlockDelayValue: 7, UnlockDelayUnit: 'DAYS' } },
    });
    expect(rule.LockState).toBe('locked');
    const path = `/rules/${rule.Identifier}`;
    await expect(rbin({ method: 'DELETE', path })).rejects.toMatchObject({ code: 'ConflictException' });
    await expect(
      rbin({ method: 'PATCH', path, body: { RetentionPeriod: { RetentionPeriodValue: 1, RetentionPeriodUnit: 'DAYS' } } }),
    ).rejects.toMatchObject({ code: 'ConflictException' });
    expect((await rbin({ method: 'PATCH', path: `${path}/unlock` })).LockState).toBe('pending_unlock');
    await expect(rbin({ method: 'DELETE', path })).rejects.toMatchObject({ code: 'ConflictException' });
    await cloud.skip(7 * DAY);
    await rbin({ method: 'DELETE', path });
    expect((await rbin({ method: 'POST', path: '/list-rules', body: { ResourceType: 'EC2_IMAGE' } })).Rules).toEqual([]);
  });

  it('AWS::Rbin::Rule creates the rule, locked with its LockConfiguration; Ref is its identifier', async () => {
    const stack = await cloud.cloudformation.deploy({
      account: VAULT,
      region: REGION,
      stackName: 'vault',
      template: {
        Resources: {
          Bin: {
            Type: 'AWS::Rbin::Rule',
            Properties: {
              ResourceType: 'EBS_SNAPSHOT',
              RetentionPeriod: { RetentionPeriodValue: 30, RetentionPeriodUnit: 'DAYS' },
              LockConfiguration: { UnlockDelayValue: 14, UnlockDelayUnit: 'DAYS' },
            },
          },
        },
      },
    });
    const id = stack.resources.Bin!.physicalId;
    const rule = await rbin({ method: 'GET', path: `/rules/${id}` });
    expect(rule).toMatchObject({ Identifier: id, LockState: 'locked', RetentionPeriod: { RetentionPeriodValue: 30 } });
    await expect(rbin({ method: 'DELETE', path: `/rules/${id}` })).rejects.toMatchObject({ code: 'ConflictException' });
  });

  it('only Region-level rules can be locked', async () => {
    const rule = await createRule({ ResourceType: 'EBS_SNAPSHOT', ResourceTags: [{ ResourceTagKey: 'team', ResourceTagValue: 'a' }] });
    await expect(
      rbin({
        method: 'PATCH',
        path: `/rules/${rule.Identifier}/lock`,
        body: { LockConfiguration: { UnlockDelay: { UnlockDelayValue: 7 } } },
      }),
    ).rejects.toMatchObject({ code: 'ValidationException' });
  });
});

/** FullAWSAccess (RCPFullAWSAccess with a principal): what AWS Organizations attaches everywhere by default. */
const fullAccess = (principal?: '*'): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', ...(principal ? { Principal: principal } : {}), Action: '*', Resource: '*' }],
});

describe('service control policies', () => {
  const denyDeletes: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'NoDeletes', Effect: 'Deny', Action: ['ec2:DeleteSnapshot', 'rbin:DeleteRule'], Resource: '*' }],
  };

  it("bind the member account's root user", async () => {
    cloud.addAccount({
      id: VAULT,
      orgId: 'o-a1b2c3d4e5',
      controlPolicies: {
        scps: [
          {
            orgIdentifier: 'r-root',
            policies: [
              { name: 'FullAWSAccess', document: fullAccess() },
              { name: 'guardrails', document: denyDeletes },
            ],
          },
        ],
        rcps: [],
      },
    });
    const id = snapshot();
    await cloud.skip(SNAPSHOT_MS);
    const refused = root().send(new DeleteSnapshotCommand({ SnapshotId: id }));
    await expect(refused).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(refused).rejects.toThrow(/explicit deny in a service control policy/);
    expect(cloud.ec2.snapshot(VAULT, REGION, id)).toBeDefined();
  });
});

describe('resource control policies', () => {
  const denyAll: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'NothingAtAll', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
  };

  it('cover the services AWS lists (KMS here), and no others (EC2)', async () => {
    cloud.addAccount({
      id: VAULT,
      orgId: 'o-a1b2c3d4e5',
      controlPolicies: {
        scps: [],
        rcps: [
          {
            orgIdentifier: 'r-root',
            policies: [
              { name: 'RCPFullAWSAccess', document: fullAccess('*') },
              { name: 'perimeter', document: denyAll },
            ],
          },
        ],
      },
    });
    const key = cloud.kms.createKey(VAULT, REGION, { description: 'vault key' });
    const kms = new KMSClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));
    await expect(kms.send(new DisableKeyCommand({ KeyId: key.arn }))).rejects.toThrow(/explicit deny in a resource control policy/);
    const id = snapshot();
    await cloud.skip(SNAPSHOT_MS);
    await root().send(new DeleteSnapshotCommand({ SnapshotId: id }));
    expect(cloud.ec2.snapshot(VAULT, REGION, id)).toBeUndefined();
  });
});

describe('what an attacker reaches for next', () => {
  it('ScheduleKeyDeletion leaves the key pending deletion, unusable from then on', async () => {
    const key = cloud.kms.createKey(VAULT, REGION, { description: 'vault key' });
    const kms = new KMSClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.arn, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
    await expect(kms.send(new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('x') }))).rejects.toBeDefined();
  });

  it('DisableRule is authorized on the rule, and a disabled rule delivers nothing', async () => {
    const bus = cloud.events.createBus(VAULT, REGION, 'hub');
    cloud.events.putRule(VAULT, REGION, { bus: 'hub', name: 'copies', pattern: JSON.stringify({ source: ['aws.ec2'] }), targets: [] });
    const events = new EventBridgeClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));
    await events.send(new DisableRuleCommand({ Name: 'copies', EventBusName: 'hub' }));
    expect(bus.rule('copies').state).toBe('DISABLED');
    const [decision] = cloud.calls.at(-1)!.authorizations;
    expect(decision!.resource).toBe(`arn:aws:events:${REGION}:${VAULT}:rule/hub/copies`);
  });
});
