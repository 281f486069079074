import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBSubnetGroupsCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Pacer } from '../sweep/pacer.js';
import {
  type CapturedInstance,
  type CapturedLaunchTemplate,
  type CapturedRule,
  type CaptureTrigger,
  CONFIG_SCHEMA_VERSION,
  type ConfigDocument,
  type Tags,
} from './document.js';

/** What a capture reads with: a source's reader session in one region, each service paced by its own bucket. */
export interface CaptureReaders {
  ec2: EC2Client;
  rds: RDSClient;
  pacers: { ec2: Pacer; rds: Pacer };
}

/** EC2's Describe calls return up to 1,000 items a page, RDS's 100. */
const EC2_PAGE = 1000;
const RDS_PAGE = 100;

/**
 * Reads one source region's configuration: Describe calls only (what the config reader role
 * allows), every page, each call through its service's pacer so that the account's own tools keep
 * their share of its request budget.
 */
export async function captureConfiguration(
  readers: CaptureReaders,
  at: { account: string; region: string; now: () => Date; trigger: CaptureTrigger },
): Promise<ConfigDocument> {
  const { ec2, rds, pacers } = readers;
  const ec2Pages = <T>(read: (token: string | undefined) => Promise<Page<T>>) => pages(pacers.ec2, read);
  const rdsPages = <T>(read: (marker: string | undefined) => Promise<Page<T>>) => pages(pacers.rds, read);

  const vpcs = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeVpcsCommand({ MaxResults: EC2_PAGE, NextToken }));
    return { items: page.Vpcs ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const subnets = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeSubnetsCommand({ MaxResults: EC2_PAGE, NextToken }));
    return { items: page.Subnets ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const routeTables = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeRouteTablesCommand({ MaxResults: 100, NextToken }));
    return { items: page.RouteTables ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const groups = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeSecurityGroupsCommand({ MaxResults: EC2_PAGE, NextToken }));
    return { items: page.SecurityGroups ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const reservations = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeInstancesCommand({ MaxResults: EC2_PAGE, NextToken }));
    return { items: page.Reservations ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const volumes = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeVolumesCommand({ MaxResults: EC2_PAGE, NextToken }));
    return { items: page.Volumes ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const templates = await ec2Pages(async (NextToken) => {
    const page = await ec2.send(new DescribeLaunchTemplatesCommand({ MaxResults: 200, NextToken }));
    return { items: page.LaunchTemplates ?? [], next: page.NextToken, $metadata: page.$metadata };
  });
  const launchTemplates: CapturedLaunchTemplate[] = [];
  for (const template of templates) {
    const { LaunchTemplateVersions } = await pacers.ec2.call(() =>
      ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId, Versions: ['$Default'] })),
    );
    const data = LaunchTemplateVersions?.[0]?.LaunchTemplateData ?? {};
    launchTemplates.push({
      id: template.LaunchTemplateId!,
      name: template.LaunchTemplateName!,
      defaultVersion: template.DefaultVersionNumber ?? 1,
      imageId: data.ImageId,
      instanceType: data.InstanceType,
      keyName: data.KeyName,
      securityGroupIds: data.SecurityGroupIds ?? [],
      instanceProfileArn: data.IamInstanceProfile?.Arn,
    });
  }
  const dbSubnetGroups = await rdsPages(async (Marker) => {
    const page = await rds.send(new DescribeDBSubnetGroupsCommand({ MaxRecords: RDS_PAGE, Marker }));
    return { items: page.DBSubnetGroups ?? [], next: page.Marker, $metadata: page.$metadata };
  });
  const dbInstances = await rdsPages(async (Marker) => {
    const page = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: RDS_PAGE, Marker }));
    return { items: page.DBInstances ?? [], next: page.Marker, $metadata: page.$metadata };
  });
  const dbClusters = await rdsPages(async (Marker) => {
    const page = await rds.send(new DescribeDBClustersCommand({ MaxRecords: RDS_PAGE, Marker }));
    return { items: page.DBClusters ?? [], next: page.Marker, $metadata: page.$metadata };
  });

  const instances: CapturedInstance[] = reservations
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => {
      const tags = tagsOf(i.Tags);
      // EC2 tags an instance launched from a template with its id and version (aws: tags, read-only).
      const template = tags['aws:ec2launchtemplate:id'];
      return {
        id: i.InstanceId!,
        instanceType: i.InstanceType!,
        imageId: i.ImageId!,
        keyName: i.KeyName,
        subnetId: i.SubnetId,
        availabilityZone: i.Placement?.AvailabilityZone ?? `${at.region}a`,
        securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId!),
        instanceProfileArn: i.IamInstanceProfile?.Arn,
        blockDevices: (i.BlockDeviceMappings ?? []).map((m) => ({ deviceName: m.DeviceName!, volumeId: m.Ebs?.VolumeId ?? '' })),
        ...(template ? { launchTemplate: { id: template, version: tags['aws:ec2launchtemplate:version'] ?? '$Default' } } : {}),
        state: i.State?.Name ?? 'unknown',
        tags: withoutAwsTags(tags),
      };
    });
  const profiles = [...instances.map((i) => i.instanceProfileArn), ...launchTemplates.map((t) => t.instanceProfileArn)];
  return {
    schemaVersion: CONFIG_SCHEMA_VERSION,
    account: at.account,
    region: at.region,
    capturedAt: at.now().toISOString(),
    trigger: at.trigger,
    vpcs: vpcs.map((v) => ({ id: v.VpcId!, cidrBlock: v.CidrBlock!, tags: tagsOf(v.Tags) })),
    subnets: subnets.map((s) => ({
      id: s.SubnetId!,
      vpcId: s.VpcId!,
      cidrBlock: s.CidrBlock!,
      availabilityZone: s.AvailabilityZone!,
      tags: tagsOf(s.Tags),
    })),
    routeTables: routeTables.map((t) => ({
      id: t.RouteTableId!,
      vpcId: t.VpcId!,
      main: (t.Associations ?? []).some((a) => a.Main),
      routes: (t.Routes ?? [])
        .filter((r) => r.GatewayId !== 'local')
        .map((r) => ({ destination: r.DestinationCidrBlock!, target: r.GatewayId ?? r.NatGatewayId ?? '' })),
      subnetIds: (t.Associations ?? []).flatMap((a) => (a.SubnetId ? [a.SubnetId] : [])),
      tags: tagsOf(t.Tags),
    })),
    securityGroups: groups.map((g) => ({
      id: g.GroupId!,
      vpcId: g.VpcId!,
      name: g.GroupName!,
      description: g.Description ?? '',
      ingress: rules(g.IpPermissions),
      egress: rules(g.IpPermissionsEgress),
      tags: tagsOf(g.Tags),
    })),
    instances,
    launchTemplates,
    volumes: volumes.map((v) => {
      const attachment = v.Attachments?.[0];
      return {
        id: v.VolumeId!,
        sizeGiB: v.Size!,
        volumeType: v.VolumeType ?? 'gp3',
        availabilityZone: v.AvailabilityZone!,
        encrypted: v.Encrypted ?? false,
        ...(v.KmsKeyId ? { kmsKeyId: v.KmsKeyId } : {}),
        ...(v.SnapshotId ? { snapshotId: v.SnapshotId } : {}),
        ...(attachment?.InstanceId ? { attachment: { instanceId: attachment.InstanceId, device: attachment.Device ?? '' } } : {}),
        tags: tagsOf(v.Tags),
      };
    }),
    dbSubnetGroups: dbSubnetGroups.map((g) => ({
      name: g.DBSubnetGroupName!,
      description: g.DBSubnetGroupDescription ?? '',
      vpcId: g.VpcId,
      subnetIds: (g.Subnets ?? []).map((s) => s.SubnetIdentifier!),
    })),
    dbInstances: dbInstances.map((d) => ({
      id: d.DBInstanceIdentifier!,
      instanceClass: d.DBInstanceClass!,
      engine: d.Engine!,
      engineVersion: d.EngineVersion ?? '',
      parameterGroup: d.DBParameterGroups?.[0]?.DBParameterGroupName,
      optionGroup: d.OptionGroupMemberships?.[0]?.OptionGroupName,
      subnetGroup: d.DBSubnetGroup?.DBSubnetGroupName,
      securityGroupIds: (d.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!),
      allocatedStorageGiB: d.AllocatedStorage,
      storageType: d.StorageType,
      multiAZ: d.MultiAZ ?? false,
      backupWindow: d.PreferredBackupWindow,
      availabilityZone: d.AvailabilityZone,
      ...(d.DBClusterIdentifier ? { clusterId: d.DBClusterIdentifier } : {}),
      encrypted: d.StorageEncrypted ?? false,
      status: d.DBInstanceStatus ?? 'unknown',
      tags: tagsOf(d.TagList),
    })),
    dbClusters: dbClusters.map((c) => ({
      id: c.DBClusterIdentifier!,
      engine: c.Engine!,
      engineVersion: c.EngineVersion ?? '',
      parameterGroup: c.DBClusterParameterGroup,
      subnetGroup: c.DBSubnetGroup,
      securityGroupIds: (c.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!),
      multiAZ: c.MultiAZ ?? false,
      backupWindow: c.PreferredBackupWindow,
      members: (c.DBClusterMembers ?? []).map((m) => ({ id: m.DBInstanceIdentifier!, writer: m.IsClusterWriter ?? false })),
      encrypted: c.StorageEncrypted ?? false,
      status: c.Status ?? 'unknown',
      tags: tagsOf(c.TagList),
    })),
    instanceProfiles: [...new Set(profiles.flatMap((p) => (p ? [p.slice(p.lastIndexOf('/') + 1)] : [])))].sort(),
  };
}

/** One page of a listing, with the SDK's metadata: the pacer counts the SDK's own retries as calls. */
interface Page<T> {
  items: T[];
  next?: string;
  $metadata: { attempts?: number };
}

/** Every page of a listing, each page one paced call. */
async function pages<T>(pacer: Pacer, read: (token: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await pacer.call(() => read(token));
    items.push(...page.items);
    token = page.next;
  } while (token);
  return items;
}

function rules(permissions: IpPermission[] | undefined): CapturedRule[] {
  return (permissions ?? []).map((p) => ({
    protocol: p.IpProtocol ?? '-1',
    ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
    ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
    cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp!),
    groupIds: (p.UserIdGroupPairs ?? []).map((g) => g.GroupId!),
  }));
}

function tagsOf(tags: { Key?: string; Value?: string }[] | Tag[] | undefined): Tags {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** A capture keeps the account's own tags: `aws:` tags are EC2's, and a rebuild cannot set them. */
function withoutAwsTags(tags: Tags): Tags {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !key.startsWith('aws:')));
}
