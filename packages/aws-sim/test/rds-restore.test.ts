import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  CreateDBSubnetGroupCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSubnetGroupsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';

const SOURCE = '111111111111';
const RECOVERY = '444444444444';
const REGION = 'eu-west-1';
const MINUTE = 60_000;

let cloud: SimCloud;
beforeEach(() => {
  cloud = new SimCloud({ rds: { snapshotDurationMs: MINUTE, restoreDurationMs: 15 * MINUTE } });
  for (const id of [SOURCE, RECOVERY]) cloud.addAccount({ id });
});

const rds = (account = SOURCE) => new RDSClient(cloud.clientConfig(cloud.adminCredentials(account), REGION));
const ec2 = (account = SOURCE) => new EC2Client(cloud.clientConfig(cloud.adminCredentials(account), REGION));

/** A DB subnet group over two zones of a new VPC. */
async function subnetGroup(account: string, name: string) {
  const vpc = (await ec2(account).send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!;
  const ids = [];
  for (const [cidr, zone] of [
    ['10.9.1.0/24', 'a'],
    ['10.9.2.0/24', 'b'],
  ] as const)
    ids.push(
      (await ec2(account).send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: cidr, AvailabilityZone: `${REGION}${zone}` })))
        .Subnet!.SubnetId!,
    );
  await rds(account).send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: name, DBSubnetGroupDescription: 'db', SubnetIds: ids }));
  return { vpcId: vpc.VpcId!, subnetIds: ids };
}

describe('simulated RDS databases: settings, restores, states', () => {
  it('describes a DB instance and an Aurora cluster with the settings they were created with', async () => {
    cloud.rds.createDBInstance(SOURCE, REGION, {
      id: 'orders',
      settings: {
        instanceClass: 'db.r6g.large',
        engineVersion: '16.4',
        multiAZ: true,
        backupWindow: '01:00-01:30',
        allocatedStorageGiB: 100,
      },
    });
    cloud.rds.createDBCluster(SOURCE, REGION, { id: 'ledger', instances: [{ id: 'ledger-1', instanceClass: 'db.r6g.xlarge' }] });
    const [orders, ledger1] = (await rds().send(new DescribeDBInstancesCommand({}))).DBInstances!;
    expect(orders).toMatchObject({
      DBInstanceIdentifier: 'orders',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceStatus: 'available',
      MultiAZ: true,
      PreferredBackupWindow: '01:00-01:30',
      AllocatedStorage: 100,
      DBParameterGroups: [{ DBParameterGroupName: 'default.postgres16' }],
      DBSubnetGroup: { DBSubnetGroupName: 'default' },
    });
    expect(ledger1).toMatchObject({ DBInstanceIdentifier: 'ledger-1', DBClusterIdentifier: 'ledger', DBInstanceClass: 'db.r6g.xlarge' });
    const [ledger] = (await rds().send(new DescribeDBClustersCommand({}))).DBClusters!;
    expect(ledger).toMatchObject({
      DBClusterIdentifier: 'ledger',
      Engine: 'aurora-postgresql',
      Status: 'available',
      DBClusterParameterGroup: 'default.aurora-postgresql16',
      DBClusterMembers: [{ DBInstanceIdentifier: 'ledger-1', IsClusterWriter: true }],
    });
  });

  it('modifies a DB instance class at once with ApplyImmediately (modifying, then available), else leaves it pending', async () => {
    cloud.rds.createDBInstance(SOURCE, REGION, { id: 'orders', settings: { instanceClass: 'db.r6g.large' } });
    cloud.rds.createDBInstance(SOURCE, REGION, { id: 'reports', settings: { instanceClass: 'db.r6g.large' } });
    const modify = (id: string, ApplyImmediately: boolean) =>
      rds().send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DBInstanceClass: 'db.r6g.xlarge', ApplyImmediately }));
    expect((await modify('orders', true)).DBInstance).toMatchObject({ DBInstanceClass: 'db.r6g.xlarge', DBInstanceStatus: 'modifying' });
    await expect(modify('orders', true)).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    expect((await modify('reports', false)).DBInstance).toMatchObject({
      DBInstanceClass: 'db.r6g.large',
      DBInstanceStatus: 'available',
      PendingModifiedValues: { DBInstanceClass: 'db.r6g.xlarge' },
    });
    cloud.clock.advance(10 * MINUTE);
    const [orders] = (await rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }))).DBInstances!;
    expect(orders).toMatchObject({ DBInstanceClass: 'db.r6g.xlarge', DBInstanceStatus: 'available' });
    await expect(modify('missing', true)).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });

  it('restores a DB instance from a snapshot shared with the account: creating, then available, with the settings asked for', async () => {
    cloud.rds.createDBInstance(SOURCE, REGION, { id: 'orders', encryption: 'none' });
    const snapshot = cloud.rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'orders-1' });
    cloud.clock.advance(MINUTE);
    const { vpcId } = await subnetGroup(RECOVERY, 'db-subnets');
    const arn = `arn:aws:rds:${REGION}:${SOURCE}:snapshot:orders-1`;
    const restore = new RestoreDBInstanceFromDBSnapshotCommand({
      DBInstanceIdentifier: 'orders',
      DBSnapshotIdentifier: arn,
      DBInstanceClass: 'db.m6g.large',
      DBSubnetGroupName: 'db-subnets',
      MultiAZ: true,
    });
    await expect(rds(RECOVERY).send(restore)).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
    snapshot.sharedWith.add(RECOVERY);
    const restored = (await rds(RECOVERY).send(restore)).DBInstance!;
    expect(restored).toMatchObject({ DBInstanceStatus: 'creating', DBInstanceClass: 'db.m6g.large', MultiAZ: true });
    cloud.clock.advance(15 * MINUTE);
    const [described] = (await rds(RECOVERY).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }))).DBInstances!;
    expect(described).toMatchObject({ DBInstanceStatus: 'available', DBSubnetGroup: { DBSubnetGroupName: 'db-subnets', VpcId: vpcId } });
    await expect(rds(RECOVERY).send(restore)).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
  });

  it('restores an Aurora cluster without instances; CreateDBInstance adds its writer, available after the cluster', async () => {
    cloud.rds.createDBCluster(SOURCE, REGION, { id: 'ledger', encryption: 'none' });
    cloud.rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: 'ledger-1' });
    cloud.clock.advance(MINUTE);
    const client = rds();
    const cluster = (
      await client.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: 'ledger-r',
          SnapshotIdentifier: 'ledger-1',
          Engine: 'aurora-postgresql',
        }),
      )
    ).DBCluster!;
    expect([cluster.Status, cluster.DBClusterMembers]).toEqual(['creating', []]);
    const writer = (
      await client.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'ledger-r-1',
          DBClusterIdentifier: 'ledger-r',
          DBInstanceClass: 'db.r6g.large',
          Engine: 'aurora-postgresql',
        }),
      )
    ).DBInstance!;
    expect(writer.DBInstanceStatus).toBe('creating');
    cloud.clock.advance(15 * MINUTE);
    expect((await client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'ledger-r' }))).DBClusters![0]).toMatchObject({
      Status: 'available',
      DBClusterMembers: [{ DBInstanceIdentifier: 'ledger-r-1', IsClusterWriter: true }],
    });
    expect(
      (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'ledger-r-1' }))).DBInstances![0]!.DBInstanceStatus,
    ).toBe('creating');
    cloud.clock.advance(15 * MINUTE);
    expect(
      (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'ledger-r-1' }))).DBInstances![0]!.DBInstanceStatus,
    ).toBe('available');
  });

  it('refuses a DB subnet group in one zone, and a restore into an unknown subnet group', async () => {
    const vpc = (await ec2().send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!;
    const subnet = (await ec2().send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.9.1.0/24' }))).Subnet!;
    await expect(
      rds().send(
        new CreateDBSubnetGroupCommand({ DBSubnetGroupName: 'one', DBSubnetGroupDescription: 'x', SubnetIds: [subnet.SubnetId!] }),
      ),
    ).rejects.toMatchObject({ name: 'DBSubnetGroupDoesNotCoverEnoughAZs' });
    await subnetGroup(SOURCE, 'two');
    expect(
      (await rds().send(new DescribeDBSubnetGroupsCommand({}))).DBSubnetGroups!.map((g) => [g.DBSubnetGroupName, g.Subnets?.length]),
    ).toEqual([['two', 2]]);
    cloud.rds.createDBInstance(SOURCE, REGION, { id: 'orders' });
    cloud.rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'orders-1' });
    cloud.clock.advance(MINUTE);
    await expect(
      rds().send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: 'o2',
          DBSnapshotIdentifier: 'orders-1',
          DBSubnetGroupName: 'nope',
        }),
      ),
    ).rejects.toMatchObject({ name: 'DBSubnetGroupNotFoundFault' });
  });
});
