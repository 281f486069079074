import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';

/** What a source holds, listed page by page as a sweep of the estate reads it. */
const SOURCE = '111111111111';
const OTHER = '222222222222';
const REGION = 'eu-west-1';
const MINUTE = 60_000;

let cloud: SimCloud;
beforeEach(() => {
  cloud = new SimCloud({ ec2: { snapshotDurationMs: MINUTE }, rds: { snapshotDurationMs: MINUTE } });
  for (const id of [SOURCE, OTHER]) cloud.addAccount({ id });
});

const ec2 = (account = SOURCE) => new EC2Client(cloud.clientConfig(cloud.adminCredentials(account), REGION));
const rds = (account = SOURCE) => new RDSClient(cloud.clientConfig(cloud.adminCredentials(account), REGION));

/** Every page of a listing, following its token until there is none; the pages' sizes too. */
async function pages<T>(
  read: (token: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<{ items: T[]; sizes: number[] }> {
  const items: T[] = [];
  const sizes: number[] = [];
  let token: string | undefined;
  do {
    const page = await read(token);
    items.push(...page.items);
    sizes.push(page.items.length);
    token = page.next;
  } while (token);
  return { items, sizes };
}

describe('simulated EC2 volumes, instances and images, listed in pages', () => {
  it('lists an account its own volumes and instances (with tags, attachment and root device), 5 to 1,000 a page', async () => {
    for (let i = 0; i < 7; i++) cloud.ec2.createVolume(SOURCE, REGION, { encryption: 'none', tags: { n: String(i) } });
    const web = cloud.ec2.runInstance(SOURCE, REGION, { encryption: 'aws-managed', tags: { Name: 'web' } });
    cloud.ec2.createVolume(OTHER, REGION, { encryption: 'none' });

    const volumes = await pages(async (NextToken) => {
      const page = await ec2().send(new DescribeVolumesCommand({ MaxResults: 5, NextToken }));
      return { items: page.Volumes ?? [], next: page.NextToken };
    });
    expect(volumes.sizes).toEqual([5, 3]);
    const root = volumes.items.find((v) => v.VolumeId === web.rootVolumeId)!;
    expect(root).toMatchObject({ State: 'in-use', Encrypted: true, Attachments: [{ InstanceId: web.id, Device: '/dev/xvda' }] });
    expect(volumes.items.filter((v) => v.Tags?.some((t) => t.Key === 'n'))).toHaveLength(7);

    const { Reservations = [] } = await ec2().send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(Reservations.flatMap((r) => r.Instances ?? [])).toMatchObject([
      { InstanceId: web.id, State: { Name: 'running' }, Tags: [{ Key: 'Name', Value: 'web' }] },
    ]);
    expect((await ec2(OTHER).send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
    await expect(ec2().send(new DescribeVolumesCommand({ MaxResults: 4 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('names the instance an AMI was made of (SourceInstanceId), and describes its snapshot as CreateImage does', async () => {
    const instance = cloud.ec2.runInstance(SOURCE, REGION, { encryption: 'none' });
    const image = cloud.ec2.images.create(SOURCE, REGION, { name: 'web-1', instanceId: instance.id, encryption: 'none', emit: false });
    cloud.clock.advance(MINUTE);
    const [described] = (await ec2().send(new DescribeImagesCommand({ ImageIds: [image.id] }))).Images ?? [];
    expect(described).toMatchObject({ SourceInstanceId: instance.id, State: 'available' });
    const [backing] =
      (await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [image.blockDevices[0]!.snapshotId] }))).Snapshots ?? [];
    expect(backing).toMatchObject({
      VolumeId: instance.rootVolumeId,
      Description: `Created by CreateImage(${instance.id}) for ${image.id}`,
    });
  });

  it('pages DescribeImages with MaxResults and NextToken', async () => {
    for (let i = 0; i < 12; i++) cloud.ec2.images.create(SOURCE, REGION, { name: `golden-${i}`, encryption: 'none', emit: false });
    const images = await pages(async (NextToken) => {
      const page = await ec2().send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 5, NextToken }));
      return { items: page.Images ?? [], next: page.NextToken };
    });
    expect(images.sizes).toEqual([5, 5, 2]);
    expect(new Set(images.items.map((i) => i.Name)).size).toBe(12);
  });
});

describe('simulated RDS databases, listed in pages', () => {
  it('lists DB instances and clusters (a snapshot of an unknown one makes it), 20 to 100 a page with Marker', async () => {
    for (let i = 0; i < 23; i++) cloud.rds.createDBInstance(SOURCE, REGION, { id: `db-${i}`, tags: { team: 'a' } });
    cloud.rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'automated' });
    cloud.rds.createDBCluster(SOURCE, REGION, { id: 'ledger', encryption: 'cmk' });

    const instances = await pages(async (Marker) => {
      const page = await rds().send(new DescribeDBInstancesCommand({ MaxRecords: 20, Marker }));
      return { items: page.DBInstances ?? [], next: page.Marker };
    });
    expect(instances.sizes).toEqual([20, 4]);
    expect(instances.items.find((d) => d.DBInstanceIdentifier === 'orders')).toMatchObject({
      StorageEncrypted: true,
      DBInstanceStatus: 'available',
    });
    expect(instances.items[0]).toMatchObject({
      TagList: [{ Key: 'team', Value: 'a' }],
      DBInstanceArn: `arn:aws:rds:${REGION}:${SOURCE}:db:db-0`,
    });
    const { DBClusters = [] } = await rds().send(new DescribeDBClustersCommand({}));
    expect(DBClusters).toMatchObject([{ DBClusterIdentifier: 'ledger', StorageEncrypted: true }]);
    expect((await rds(OTHER).send(new DescribeDBInstancesCommand({}))).DBInstances).toEqual([]);
    await expect(rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' }))).rejects.toMatchObject({
      name: 'DBInstanceNotFoundFault',
    });
    await expect(rds().send(new DescribeDBInstancesCommand({ MaxRecords: 19 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('narrows DescribeDB(Cluster)Snapshots by identifier with the db-snapshot-id / db-cluster-snapshot-id filters', async () => {
    const [a, b] = ['alpha', 'beta'].map((id) => cloud.rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id }));
    cloud.rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: 'gamma' });
    const named = await rds().send(new DescribeDBSnapshotsCommand({ Filters: [{ Name: 'db-snapshot-id', Values: [a!.id, 'missing'] }] }));
    expect(named.DBSnapshots?.map((s) => s.DBSnapshotIdentifier)).toEqual([a!.id]);
    expect(b).toBeDefined();
    const clusters = await rds().send(
      new DescribeDBClusterSnapshotsCommand({ Filters: [{ Name: 'db-cluster-snapshot-id', Values: ['GAMMA'] }] }),
    );
    expect(clusters.DBClusterSnapshots?.map((s) => s.DBClusterSnapshotIdentifier)).toEqual(['gamma']);
  });
});

describe('simulated Parameter Store: DescribeParameters in pages', () => {
  it('returns 10 a page by default, at most 50, with the newest Version and LastModifiedDate of each', async () => {
    for (let i = 0; i < 23; i++)
      cloud.ssm.putParameter(SOURCE, REGION, { name: `/app/p${i}`, value: 'v', type: 'String' }, { emit: false });
    cloud.clock.advance(MINUTE);
    cloud.ssm.putParameter(SOURCE, REGION, { name: '/app/p0', value: 'w', overwrite: true }, { emit: false });
    const ssm = new SSMClient(cloud.clientConfig(cloud.adminCredentials(SOURCE), REGION));
    const byDefault = await pages(async (NextToken) => {
      const page = await ssm.send(new DescribeParametersCommand({ NextToken }));
      return { items: page.Parameters ?? [], next: page.NextToken };
    });
    expect(byDefault.sizes).toEqual([10, 10, 3]);
    expect(byDefault.items.find((p) => p.Name === '/app/p0')).toMatchObject({
      Version: 2,
      LastModifiedDate: new Date(cloud.clock.nowMs()),
    });
    const wide = await ssm.send(new DescribeParametersCommand({ MaxResults: 50 }));
    expect(wide.Parameters).toHaveLength(23);
    expect(wide.NextToken).toBeUndefined();
    await expect(ssm.send(new DescribeParametersCommand({ MaxResults: 51 }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
