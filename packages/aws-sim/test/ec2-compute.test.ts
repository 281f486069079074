import {
  AssociateRouteTableCommand,
  AttachVolumeCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';

const SOURCE = '111111111111';
const OTHER = '222222222222';
const REGION = 'eu-west-1';
const SECOND = 1000;

let cloud: SimCloud;
beforeEach(() => {
  cloud = new SimCloud({ ec2: { snapshotDurationMs: 60 * SECOND, volumeCreateMs: 30 * SECOND, instanceBootMs: 60 * SECOND } });
  for (const id of [SOURCE, OTHER]) cloud.addAccount({ id });
});

const ec2 = (account = SOURCE) => new EC2Client(cloud.clientConfig(cloud.adminCredentials(account), REGION));

/** A VPC with one subnet in zone b and a web security group, made through the API. */
async function network(client = ec2()) {
  const vpc = (await client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!;
  const subnet = (
    await client.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.1.1.0/24', AvailabilityZone: `${REGION}b` }))
  ).Subnet!;
  const { GroupId } = await client.send(new CreateSecurityGroupCommand({ VpcId: vpc.VpcId, GroupName: 'web', Description: 'web tier' }));
  return { vpcId: vpc.VpcId!, subnetId: subnet.SubnetId!, groupId: GroupId! };
}

describe('simulated VPC resources', () => {
  it('creates a VPC with its main route table and default group, subnets inside its range, groups with rules', async () => {
    const client = ec2();
    const { vpcId, subnetId, groupId } = await network(client);
    await client.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const table = (await client.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!;
    await client.send(new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId, SubnetId: subnetId }));

    expect((await client.send(new DescribeVpcsCommand({}))).Vpcs).toEqual([
      expect.objectContaining({ VpcId: vpcId, CidrBlock: '10.1.0.0/16', State: 'available' }),
    ]);
    expect((await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets).toEqual([
      expect.objectContaining({ SubnetId: subnetId, AvailabilityZone: `${REGION}b`, CidrBlock: '10.1.1.0/24' }),
    ]);
    const tables = (await client.send(new DescribeRouteTablesCommand({}))).RouteTables!;
    expect(tables.map((t) => t.Associations?.map((a) => (a.Main ? 'main' : a.SubnetId)))).toEqual([['main'], [subnetId]]);
    expect(tables[0]!.Routes).toEqual([expect.objectContaining({ DestinationCidrBlock: '10.1.0.0/16', GatewayId: 'local' })]);
    const groups = (await client.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!;
    expect(groups.map((g) => g.GroupName)).toEqual(['default', 'web']);
    expect(groups[1]!.IpPermissions).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }),
    ]);
    expect(groups[1]!.IpPermissionsEgress).toEqual([expect.objectContaining({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })]);
    // Another account sees none of it.
    expect((await ec2(OTHER).send(new DescribeVpcsCommand({}))).Vpcs).toEqual([]);
  });

  it('refuses what Amazon VPC refuses: a block outside /16 to /28, a subnet outside its VPC or overlapping one, a duplicate group name', async () => {
    const client = ec2();
    const { vpcId } = await network(client);
    await expect(client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' }))).rejects.toMatchObject({ name: 'InvalidVpc.Range' });
    await expect(client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.2.0.0/24' }))).rejects.toMatchObject({
      name: 'InvalidSubnet.Range',
    });
    await expect(client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.1.1.128/25' }))).rejects.toMatchObject({
      name: 'InvalidSubnet.Conflict',
    });
    await expect(
      client.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'web', Description: 'again' })),
    ).rejects.toMatchObject({
      name: 'InvalidGroup.Duplicate',
    });
    await expect(client.send(new CreateSubnetCommand({ VpcId: 'vpc-0000000000000000f', CidrBlock: '10.1.2.0/24' }))).rejects.toMatchObject({
      name: 'InvalidVpcID.NotFound',
    });
  });
});

describe('simulated instances and volumes', () => {
  it('launches from an image shared with the account: pending, then running after the boot time, with the settings asked for', async () => {
    const image = cloud.ec2.images.create(OTHER, REGION, { name: 'web', encryption: 'none', sizeGiB: 20 });
    cloud.clock.advance(60 * SECOND);
    image.launchPermissions.add(SOURCE);
    const client = ec2();
    const { subnetId, groupId, vpcId } = await network(client);
    const launched = await client.send(
      new RunInstancesCommand({
        ImageId: image.id,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 'm5.large',
        KeyName: 'ops',
        SubnetId: subnetId,
        SecurityGroupIds: [groupId],
        IamInstanceProfile: { Name: 'web-role' },
        BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeSize: 50 } }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'web-1' }] }],
      }),
    );
    const id = launched.Instances![0]!.InstanceId!;
    expect(launched.Instances![0]!.State).toEqual({ Code: 0, Name: 'pending' });

    cloud.clock.advance(60 * SECOND);
    const [instance] = (await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances!;
    expect(instance).toMatchObject({
      State: { Code: 16, Name: 'running' },
      InstanceType: 'm5.large',
      KeyName: 'ops',
      SubnetId: subnetId,
      VpcId: vpcId,
      Placement: { AvailabilityZone: `${REGION}b` },
      SecurityGroups: [{ GroupId: groupId, GroupName: 'web' }],
      IamInstanceProfile: { Arn: `arn:aws:iam::${SOURCE}:instance-profile/web-role` },
      Tags: [{ Key: 'Name', Value: 'web-1' }],
    });
    expect(instance!.BlockDeviceMappings!.map((m) => m.DeviceName)).toEqual(['/dev/xvda', '/dev/sdf']);
    const volumes = (await client.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] })))
      .Volumes!;
    expect(volumes.map((v) => [v.Size, v.SnapshotId, v.State, v.AvailabilityZone])).toEqual([
      [20, image.blockDevices[0]!.snapshotId, 'in-use', `${REGION}b`],
      [50, '', 'in-use', `${REGION}b`],
    ]);
  });

  it('changes the instance type of a stopped instance only (stopping, stopped, then pending and running again), as EC2 documents', async () => {
    const client = ec2();
    const { subnetId, groupId } = await network(client);
    const launched = await client.send(
      new RunInstancesCommand({
        ImageId: 'ami-0abcdef1234567890',
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 'm5.large',
        SubnetId: subnetId,
        SecurityGroupIds: [groupId],
      }),
    );
    const id = launched.Instances![0]!.InstanceId!;
    const state = async () => (await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    const modify = () => client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 'm5.xlarge' } }));
    await expect(client.send(new StopInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    cloud.clock.advance(60 * SECOND);
    await expect(modify()).rejects.toMatchObject({ name: 'IncorrectInstanceState' });

    const stopped = await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stopped.StoppingInstances).toEqual([
      { InstanceId: id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } },
    ]);
    await expect(modify()).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    cloud.clock.advance(30 * SECOND);
    expect((await state()).State).toEqual({ Code: 80, Name: 'stopped' });
    await modify();
    const started = await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(started.StartingInstances![0]!.CurrentState).toEqual({ Code: 0, Name: 'pending' });
    cloud.clock.advance(60 * SECOND);
    expect(await state()).toMatchObject({ State: { Code: 16, Name: 'running' }, InstanceType: 'm5.xlarge' });
  });

  it('creates a volume from a snapshot (creating, then available) and attaches it only in the instance zone', async () => {
    const client = ec2();
    const source = cloud.ec2.createVolume(SOURCE, REGION, { encryption: 'none', sizeGiB: 10 });
    const snapshot = cloud.ec2.createSnapshot(SOURCE, REGION, { volumeId: source.id, emit: false });
    cloud.clock.advance(60 * SECOND);
    const instance = cloud.ec2.runInstance(SOURCE, REGION, { encryption: 'none' });

    const far = await client.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}c`, SnapshotId: snapshot.id }));
    const near = await client.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, SnapshotId: snapshot.id, VolumeType: 'io2' }));
    expect([near.State, near.Size, near.VolumeType]).toEqual(['creating', 10, 'io2']);
    await expect(
      client.send(new AttachVolumeCommand({ VolumeId: near.VolumeId, InstanceId: instance.id, Device: '/dev/sdg' })),
    ).rejects.toMatchObject({
      name: 'IncorrectState',
    });
    cloud.clock.advance(30 * SECOND);
    await expect(
      client.send(new AttachVolumeCommand({ VolumeId: far.VolumeId, InstanceId: instance.id, Device: '/dev/sdg' })),
    ).rejects.toMatchObject({
      name: 'InvalidVolume.ZoneMismatch',
    });
    const attached = await client.send(new AttachVolumeCommand({ VolumeId: near.VolumeId, InstanceId: instance.id, Device: '/dev/sdg' }));
    expect(attached.State).toBe('attaching');
    await expect(
      client.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, SnapshotId: snapshot.id, Size: 5 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    // Another account's unshared snapshot does not exist for it.
    await expect(
      ec2(OTHER).send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, SnapshotId: snapshot.id })),
    ).rejects.toMatchObject({
      name: 'InvalidSnapshot.NotFound',
    });
  });

  it('launches from a launch template, the request overriding it, and describes the template and its versions', async () => {
    const client = ec2();
    const { groupId } = await network(client);
    const template = await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        LaunchTemplateData: { ImageId: 'ami-0abcdef1234567890', InstanceType: 't3.small', SecurityGroupIds: [groupId] },
      }),
    );
    const id = template.LaunchTemplate!.LaunchTemplateId!;
    const run = await client.send(
      new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateId: id }, InstanceType: 't3.large' }),
    );
    expect(run.Instances![0]).toMatchObject({ InstanceType: 't3.large', SecurityGroups: [{ GroupId: groupId }] });
    expect((await client.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates).toEqual([
      expect.objectContaining({ LaunchTemplateId: id, LaunchTemplateName: 'web', DefaultVersionNumber: 1, LatestVersionNumber: 1 }),
    ]);
    const versions = (await client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id }))).LaunchTemplateVersions!;
    expect(versions[0]!.LaunchTemplateData).toMatchObject({
      ImageId: 'ami-0abcdef1234567890',
      InstanceType: 't3.small',
      SecurityGroupIds: [groupId],
    });
    await expect(client.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'web', LaunchTemplateData: {} }))).rejects.toMatchObject(
      {
        name: 'InvalidLaunchTemplateName.AlreadyExistsException',
      },
    );
  });
});

describe('request throttling (when simulated)', () => {
  it('refuses an EC2 Describe past its bucket of 100 with RequestLimitExceeded, refilling at 20 a second, each API on its own', async () => {
    const throttled = new SimCloud({ throttling: true });
    throttled.addAccount({ id: SOURCE });
    const client = new EC2Client(throttled.clientConfig(throttled.adminCredentials(SOURCE), REGION));
    for (let i = 0; i < 100; i++) await client.send(new DescribeVpcsCommand({}));
    await expect(client.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    await client.send(new DescribeSubnetsCommand({}));
    throttled.clock.advance(SECOND);
    for (let i = 0; i < 20; i++) await client.send(new DescribeVpcsCommand({}));
    await expect(client.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    // Only DescribeVpcs' bucket ran dry (the SDK's retries of each refused call were refused too).
    expect([...throttled.throttle.refused.keys()]).toEqual([`${SOURCE}|${REGION}|ec2|DescribeVpcs`]);
  });
});

describe('tagging on creation', () => {
  it('authorizes the tags of CreateVpc, RunInstances and CreateVolume as ec2:CreateTags on the new resource, as EC2 documents', async () => {
    const from = cloud.calls.length;
    const tags = [{ Key: 'Name', Value: 'x' }];
    await ec2().send(new CreateVpcCommand({ CidrBlock: '10.3.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: tags }] }));
    await ec2().send(
      new RunInstancesCommand({
        ImageId: 'ami-0abcdef1234567890',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }),
    );
    await ec2().send(
      new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: tags }] }),
    );
    const tagging = cloud.calls
      .slice(from)
      .flatMap((c) => c.authorizations.filter((a) => a.action === 'ec2:CreateTags').map((a) => [c.action, a.resource.split(':').pop()]));
    expect(tagging).toEqual([
      ['CreateVpc', 'vpc/*'],
      ['RunInstances', 'instance/*'],
      ['CreateVolume', 'volume/*'],
    ]);
  });
});
