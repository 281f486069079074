import {
  CopySnapshotCommand,
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { type PolicyDocument, type PolicyStatement, SimCloud, unsupportedConditionKeys } from '../src/index.js';
import { trustedByNobody } from './policies.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';
const REGION = 'eu-west-1';

/** A cloud with a source account, and a client for a role of that account holding these statements. */
function withRole(statements: PolicyStatement[]) {
  const cloud = new SimCloud({ ec2: { snapshotDurationMs: 0 } });
  for (const id of [VAULT, SOURCE]) cloud.addAccount({ id });
  const policy: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  const role = cloud.iam.putRole({ account: SOURCE, name: 'reader', trustPolicy: trustedByNobody, policies: { reader: policy } });
  const config = cloud.clientConfig(cloud.roleCredentials(role.arn), REGION);
  return { cloud, ec2: new EC2Client(config), rds: new RDSClient(config) };
}

const snapshotArn = (id: string) => `arn:aws:ec2:${REGION}::snapshot/${id}`;

describe("every call judged by AWS's evaluation logic", () => {
  it('authorizes a call on the resource it names: an Allow on another resource allows nothing', async () => {
    const { cloud, ec2 } = withRole([
      { Sid: 'One', Effect: 'Allow', Action: 'ec2:ModifySnapshotAttribute', Resource: snapshotArn('snap-00000000000000001') },
    ]);
    const volume = cloud.ec2.createVolume(SOURCE, REGION, { encryption: 'none' });
    const [named, other] = ['snap-00000000000000001', 'snap-00000000000000002'].map((id) =>
      cloud.ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id, id }),
    );
    const share = (id: string) =>
      ec2.send(
        new ModifySnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [VAULT] }),
      );
    await expect(share(named!.id)).resolves.toBeDefined();
    await expect(share(other!.id)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    // The refusal is recorded on the call, with the policy type that refused it.
    const call = cloud.calls.at(-1)!;
    expect(call).toMatchObject({ action: 'ModifySnapshotAttribute', error: 'UnauthorizedOperation' });
    expect(call.authorizations).toEqual([
      expect.objectContaining({
        action: 'ec2:ModifySnapshotAttribute',
        resource: snapshotArn(other!.id),
        allowed: false,
        refusedBy: ['identity'],
      }),
    ]);
  });

  it('fills in ec2:Add/userId for ModifySnapshotAttribute only: on ModifyImageAttribute a condition on it never holds', async () => {
    const onlyTheVault = { StringEquals: { 'ec2:Add/userId': VAULT } };
    const { cloud, ec2 } = withRole([
      { Effect: 'Allow', Action: ['ec2:ModifySnapshotAttribute', 'ec2:ModifyImageAttribute'], Resource: '*', Condition: onlyTheVault },
    ]);
    const image = cloud.ec2.images.create(SOURCE, REGION, { name: 'web', encryption: 'none' });
    await cloud.advance(60_000);
    await expect(
      ec2.send(
        new ModifySnapshotAttributeCommand({ SnapshotId: image.blockDevices[0]!.snapshotId, OperationType: 'add', UserIds: [VAULT] }),
      ),
    ).resolves.toBeDefined();
    await expect(
      ec2.send(
        new ModifySnapshotAttributeCommand({ SnapshotId: image.blockDevices[0]!.snapshotId, OperationType: 'add', UserIds: [SOURCE] }),
      ),
    ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(
      ec2.send(new ModifyImageAttributeCommand({ ImageId: image.id, LaunchPermission: { Add: [{ UserId: VAULT }] } })),
    ).rejects.toMatchObject({
      name: 'UnauthorizedOperation',
    });
    // And a stack check names such a statement before it is deployed.
    expect(
      unsupportedConditionKeys({ Statement: [{ Sid: 'Images', Action: 'ec2:ModifyImageAttribute', Condition: onlyTheVault }] }),
    ).toEqual([{ statement: 'Images', key: 'ec2:Add/userId', actions: ['ec2:ModifyImageAttribute'] }]);
  });

  it('authorizes a copy on its source and on the new snapshot, tagging on creation as ec2:CreateTags with ec2:CreateAction', async () => {
    const { cloud, ec2 } = withRole([
      { Effect: 'Allow', Action: 'ec2:CopySnapshot', Resource: '*', Condition: { Null: { 'aws:RequestTag/owner': 'false' } } },
      { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*', Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } } },
    ]);
    const volume = cloud.ec2.createVolume(SOURCE, REGION, { encryption: 'none' });
    const source = cloud.ec2.createSnapshot(SOURCE, REGION, { volumeId: volume.id });
    await cloud.advance(1000);
    const copy = (tags: { Key: string; Value: string }[]) =>
      ec2.send(
        new CopySnapshotCommand({
          SourceRegion: REGION,
          SourceSnapshotId: source.id,
          ...(tags.length ? { TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] } : {}),
        }),
      );
    await expect(copy([{ Key: 'owner', Value: 'hub' }])).resolves.toMatchObject({ SnapshotId: expect.stringMatching(/^snap-/) });
    expect(cloud.calls.at(-1)!.authorizations.map((a) => [a.action, a.resource])).toEqual([
      ['ec2:CopySnapshot', snapshotArn(source.id)],
      ['ec2:CopySnapshot', snapshotArn('*')],
      ['ec2:CreateTags', snapshotArn('*')],
    ]);
    await expect(copy([])).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });

  it('authorizes the listings on what they list: EC2 Describe* on "*", DB instances and clusters on db:* and cluster:* of the region', async () => {
    const { cloud, ec2, rds } = withRole([
      { Effect: 'Allow', Action: ['ec2:DescribeVolumes', 'ec2:DescribeInstances'], Resource: '*' },
      { Effect: 'Allow', Action: 'rds:DescribeDBInstances', Resource: `arn:aws:rds:${REGION}:${SOURCE}:db:*` },
      { Effect: 'Allow', Action: 'rds:DescribeDBClusters', Resource: `arn:aws:rds:us-east-1:${SOURCE}:cluster:*` },
    ]);
    cloud.rds.createDBInstance(SOURCE, REGION, { id: 'billing' });
    cloud.rds.createDBCluster(SOURCE, REGION, { id: 'orders' });
    await expect(ec2.send(new DescribeVolumesCommand({}))).resolves.toBeDefined();
    await expect(ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
    expect(cloud.calls.at(-1)!.authorizations.map((a) => [a.action, a.resource])).toEqual([['ec2:DescribeInstances', '*']]);
    expect((await rds.send(new DescribeDBInstancesCommand({}))).DBInstances).toHaveLength(1);
    expect(cloud.calls.at(-1)!.authorizations.map((a) => a.resource)).toEqual([`arn:aws:rds:${REGION}:${SOURCE}:db:*`]);
    // A grant on another region's clusters lists none here.
    await expect(rds.send(new DescribeDBClustersCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(cloud.calls.at(-1)!.authorizations).toEqual([
      expect.objectContaining({ action: 'rds:DescribeDBClusters', resource: `arn:aws:rds:${REGION}:${SOURCE}:cluster:*`, allowed: false }),
    ]);
  });

  it('authorizes CreateSnapshots on the instance, each volume it snapshots and the new snapshots: one volume not allowed refuses the set', async () => {
    const instanceArn = (id: string) => `arn:aws:ec2:${REGION}:${SOURCE}:instance/${id}`;
    const volumeArn = (id: string) => `arn:aws:ec2:${REGION}:${SOURCE}:volume/${id}`;
    const { cloud, ec2 } = withRole([
      {
        Effect: 'Allow',
        Action: 'ec2:CreateSnapshots',
        Resource: [instanceArn('*'), snapshotArn('*'), volumeArn('vol-0000000000000000a')],
      },
      { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*', Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshots' } } },
    ]);
    const instance = cloud.ec2.createInstance(SOURCE, REGION, {
      volumes: [{ encryption: 'none' }, { id: 'vol-0000000000000000a', encryption: 'none' }],
    });
    const snapshotSet = (excludeBootVolume: boolean) =>
      ec2.send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: instance.id, ExcludeBootVolume: excludeBootVolume },
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'set', Value: 'nightly' }] }],
        }),
      );
    await expect(snapshotSet(true)).resolves.toMatchObject({ Snapshots: [{ VolumeId: 'vol-0000000000000000a' }] });
    expect(cloud.calls.at(-1)!.authorizations.map((a) => [a.action, a.resource])).toEqual([
      ['ec2:CreateSnapshots', instanceArn(instance.id)],
      ['ec2:CreateSnapshots', volumeArn('vol-0000000000000000a')],
      ['ec2:CreateSnapshots', snapshotArn('*')],
      ['ec2:CreateTags', snapshotArn('*')],
    ]);
    // The boot volume is not in the policy: a set that includes it is refused whole.
    await expect(snapshotSet(false)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });

  it('gives events:source and events:detail-type as lists: StringEquals never matches them, ForAllValues does', () => {
    const cloud = new SimCloud();
    for (const id of [VAULT, SOURCE]) cloud.addAccount({ id });
    const busPolicy = (operator: string): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
          Action: 'events:PutEvents',
          Resource: '*',
          Condition: { [operator]: { 'events:source': ['aws.ec2'], 'events:detail-type': ['EBS Snapshot Notification'] } },
        },
      ],
    });
    const event = { source: 'aws.ec2', 'detail-type': 'EBS Snapshot Notification' };
    const sender = { account: SOURCE, arn: `arn:aws:iam::${SOURCE}:root` };
    for (const [operator, allowed] of [
      ['StringEquals', false],
      ['ForAllValues:StringEquals', true],
    ] as const) {
      const bus = cloud.events.createBus(VAULT, REGION, `bus-${allowed}`, busPolicy(operator));
      expect(cloud.authorizer.authorize(sender, cloud.events.putEventsRequest(bus, event), REGION).allowed, operator).toBe(allowed);
    }
  });
});
