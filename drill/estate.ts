import type { SimCloud } from '@backup-hub/aws-sim';

/** The size of a source estate a drill or bench builds: instances (each with a data volume) and databases. */
export interface EstateSize {
  instances: number;
  /** Standalone DB instances. */
  databases: number;
  /** Aurora clusters, one writer each. */
  clusters: number;
}

/** What was built, by name: the ids a step or a test refers to. */
export interface Estate {
  vpcId: string;
  subnetIds: [string, string];
  webGroupId: string;
  dbGroupId: string;
  instanceIds: string[];
  databases: string[];
  clusters: string[];
}

/**
 * A source account's systems in one region, made through the simulated cloud's control plane (the
 * account's own activity, not the hub's): a VPC over two zones with a route table, a web and a
 * database security group, a launch template, web instances (type, key pair, instance profile, a
 * data volume each), a DB subnet group, PostgreSQL instances and Aurora clusters with their settings.
 */
export function buildEstate(cloud: SimCloud, account: string, region: string, size: EstateSize, name = 'app'): Estate {
  const net = cloud.ec2.network;
  const vpc = net.createVpc(account, region, '10.20.0.0/16', [{ key: 'Name', value: name }]);
  const subnets = (['a', 'b'] as const).map((zone, i) =>
    net.createSubnet(account, region, {
      vpcId: vpc.id,
      cidrBlock: `10.20.${i + 1}.0/24`,
      availabilityZone: `${region}${zone}`,
      tags: [{ key: 'Name', value: `${name}-${zone}` }],
    }),
  ) as [ReturnType<typeof net.createSubnet>, ReturnType<typeof net.createSubnet>];
  const table = net.createRouteTable(account, region, vpc.id, [{ key: 'Name', value: `${name}-private` }]);
  for (const subnet of subnets) net.associateRouteTable(account, region, table.id, subnet.id);
  const web = net.createSecurityGroup(account, region, { vpcId: vpc.id, groupName: `${name}-web`, description: 'web tier' });
  net.authorizeIngress(account, region, web.id, [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIps: ['0.0.0.0/0'], groupIds: [] }]);
  const db = net.createSecurityGroup(account, region, { vpcId: vpc.id, groupName: `${name}-db`, description: 'databases' });
  net.authorizeIngress(account, region, db.id, [{ ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIps: [], groupIds: [web.id] }]);
  const profile = `arn:aws:iam::${account}:instance-profile/${name}-web`;
  cloud.ec2.launchTemplates.create(
    account,
    region,
    `${name}-web`,
    { instanceType: 'm6g.large', keyName: `${name}-ops`, securityGroupIds: [web.id], iamInstanceProfileArn: profile },
    cloud.clock.now(),
  );
  const instanceIds = Array.from({ length: size.instances }, (_, i) => {
    const subnet = subnets[i % 2]!;
    return cloud.ec2.runInstance(account, region, {
      encryption: 'aws-managed',
      instanceType: 'm6g.large',
      keyName: `${name}-ops`,
      subnetId: subnet.id,
      securityGroupIds: [web.id],
      iamInstanceProfileArn: profile,
      dataVolumes: [{ encryption: 'aws-managed', sizeGiB: 50, volumeType: 'gp3' }],
      tags: { Name: `${name}-web-${i + 1}` },
    }).id;
  });
  cloud.rds.createDBSubnetGroup(account, region, { name: `${name}-db`, description: 'databases', subnetIds: subnets.map((s) => s.id) });
  const settings = { subnetGroup: `${name}-db`, securityGroupIds: [db.id], backupWindow: '02:00-02:30' };
  const databases = Array.from({ length: size.databases }, (_, i) => {
    const id = size.databases === 1 ? `${name}-orders` : `${name}-orders-${i + 1}`;
    cloud.rds.createDBInstance(account, region, {
      id,
      settings: { ...settings, instanceClass: 'db.r6g.large', engineVersion: '16.4', multiAZ: true, allocatedStorageGiB: 100 },
    });
    return id;
  });
  const clusters = Array.from({ length: size.clusters }, (_, i) => {
    const id = size.clusters === 1 ? `${name}-ledger` : `${name}-ledger-${i + 1}`;
    cloud.rds.createDBCluster(account, region, { id, settings, instances: [{ id: `${id}-1`, instanceClass: 'db.r6g.xlarge' }] });
    return id;
  });
  return {
    vpcId: vpc.id,
    subnetIds: [subnets[0].id, subnets[1].id],
    webGroupId: web.id,
    dbGroupId: db.id,
    instanceIds,
    databases,
    clusters,
  };
}

/**
 * Backs an estate up as its account would: an AMI of each instance (named as the instance: the hub
 * records an AMI under its name), a snapshot of each data volume, a manual snapshot of each DB
 * instance and Aurora cluster; each announced as AWS does.
 */
export function backUpEstate(cloud: SimCloud, account: string, region: string, estate: Estate): void {
  for (const id of estate.instanceIds) {
    const instance = cloud.ec2.instance(account, region, id)!;
    cloud.ec2.images.create(account, region, { name: instance.tags.get('Name') ?? id, instanceId: id, encryption: 'aws-managed' });
    for (const volumeId of instance.volumeIds.slice(1)) cloud.ec2.createSnapshot(account, region, { volumeId });
  }
  for (const db of estate.databases) cloud.rds.createDBSnapshot(account, region, { db, type: 'manual' });
  for (const cluster of estate.clusters) cloud.rds.createDBClusterSnapshot(account, region, { cluster, type: 'manual' });
}
