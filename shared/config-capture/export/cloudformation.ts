import type { CapturedRule, ConfigDocument, Tags } from '../document.js';
import { LogicalIds, pascal } from './logical-ids.js';
import type { VaultCopies } from './vault-copies.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Properties = Record<string, Json>;

interface CfnResource {
  Type: string;
  Properties: Properties;
  DependsOn?: string[];
  Metadata?: Record<string, Json>;
}

export interface CfnParameter {
  Type: string;
  Description: string;
  Default?: string;
}

/** The template an export writes: plain CloudFormation JSON. */
export interface ExportTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters: Record<string, CfnParameter>;
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Description: string; Value: Json }>;
}

const ref = (id: string): Json => ({ Ref: id });
const groupId = (id: string): Json => ({ 'Fn::GetAtt': [id, 'GroupId'] });

/**
 * A capture as a CloudFormation template that rebuilds it in another account: names kept (Name
 * tags, group names, DB identifiers), ids replaced by references, AMI and snapshot ids by the
 * vault's copies (a parameter where the vault holds none), parameters for what must differ (each
 * VPC's and subnet's CIDR block, the key pairs). What cannot be rebuilt from the capture (routes to
 * gateways it does not hold) is listed in the resource's Metadata, never dropped silently.
 */
export function toCloudFormation(doc: ConfigDocument, copies: VaultCopies): ExportTemplate {
  const ids = new LogicalIds();
  const parameters: Record<string, CfnParameter> = {};
  const resources: Record<string, CfnResource> = {};
  const outputs: ExportTemplate['Outputs'] = {};
  const keyParameter = (key: string) => {
    const name = `KeyName${pascal(key)}`;
    parameters[name] = { Type: 'AWS::EC2::KeyPair::KeyName', Description: `The key pair that replaces ${key}`, Default: key };
    return ref(name);
  };
  const imageParameter = (logical: string, image: string, why: string) => {
    parameters[`${logical}ImageId`] = { Type: 'AWS::EC2::Image::Id', Description: why, Default: image };
    return ref(`${logical}ImageId`);
  };
  const subnetRef = (id: string) => ref(ids.known('Subnet', id) ?? ids.of('Subnet', { id }));
  const groupRefs = (groups: string[]) =>
    groups.flatMap((g) => (isDefaultGroup(doc, g) ? [] : [groupId(ids.of('SecurityGroup', { id: g }))]));

  for (const vpc of doc.vpcs) {
    const logical = ids.of('Vpc', vpc);
    parameters[`${logical}Cidr`] = { Type: 'String', Description: `The CIDR block of ${label(vpc)}`, Default: vpc.cidrBlock };
    resources[logical] = {
      Type: 'AWS::EC2::VPC',
      Properties: { CidrBlock: ref(`${logical}Cidr`), EnableDnsSupport: true, Tags: tags(vpc.tags, vpc.id) },
    };
    outputs[`${logical}Id`] = { Description: `The VPC that replaces ${vpc.id}`, Value: ref(logical) };
  }
  for (const subnet of doc.subnets) {
    const logical = ids.of('Subnet', subnet);
    parameters[`${logical}Cidr`] = { Type: 'String', Description: `The CIDR block of ${label(subnet)}`, Default: subnet.cidrBlock };
    resources[logical] = {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: ref(ids.of('Vpc', { id: subnet.vpcId })),
        CidrBlock: ref(`${logical}Cidr`),
        AvailabilityZone: subnet.availabilityZone,
        Tags: tags(subnet.tags, subnet.id),
      },
    };
  }
  for (const table of doc.routeTables.filter((t) => !t.main)) {
    const logical = ids.of('RouteTable', table);
    resources[logical] = {
      Type: 'AWS::EC2::RouteTable',
      Properties: { VpcId: ref(ids.of('Vpc', { id: table.vpcId })), Tags: tags(table.tags, table.id) },
      ...(table.routes.length > 0
        ? { Metadata: { BackupHubRoutesNotRebuilt: table.routes.map((r) => `${r.destination} -> ${r.target}`) } }
        : {}),
    };
    for (const subnet of table.subnetIds)
      resources[`${logical}${ids.of('Subnet', { id: subnet })}`] = {
        Type: 'AWS::EC2::SubnetRouteTableAssociation',
        Properties: { RouteTableId: ref(logical), SubnetId: subnetRef(subnet) },
      };
  }
  for (const group of doc.securityGroups.filter((g) => g.name !== 'default')) {
    const logical = ids.of('SecurityGroup', group);
    resources[logical] = {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupName: group.name,
        GroupDescription: group.description || group.name,
        VpcId: ref(ids.of('Vpc', { id: group.vpcId })),
        SecurityGroupIngress: group.ingress.flatMap((r) => r.cidrs.map((cidr) => ({ ...ports(r), CidrIp: cidr }))),
        ...(isAllowAllOut(group.egress)
          ? {}
          : { SecurityGroupEgress: group.egress.flatMap((r) => r.cidrs.map((cidr) => ({ ...ports(r), CidrIp: cidr }))) }),
        Tags: tags(group.tags, group.id),
      },
    };
    // Rules naming groups are resources of their own: inline, a group naming itself would be a circular reference.
    for (const [index, rule] of group.ingress.entries())
      for (const [n, source] of rule.groupIds.entries())
        resources[`${logical}Ingress${index + 1}From${n + 1}`] = {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: {
            GroupId: groupId(logical),
            ...ports(rule),
            SourceSecurityGroupId: groupId(ids.of('SecurityGroup', { id: source })),
          },
        };
  }
  for (const template of doc.launchTemplates) {
    const logical = ids.of('LaunchTemplate', { id: template.id, tags: { Name: template.name } });
    resources[logical] = {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateName: template.name,
        LaunchTemplateData: {
          ...(template.imageId
            ? { ImageId: imageParameter(logical, template.imageId, `The image of launch template ${template.name}`) }
            : {}),
          ...(template.instanceType ? { InstanceType: template.instanceType } : {}),
          ...(template.keyName ? { KeyName: keyParameter(template.keyName) } : {}),
          ...(template.securityGroupIds.length > 0 ? { SecurityGroupIds: groupRefs(template.securityGroupIds) } : {}),
          ...(template.instanceProfileArn ? { IamInstanceProfile: { Name: profileName(template.instanceProfileArn) } } : {}),
        },
      },
    };
  }
  const volumes = new Map(doc.volumes.map((v) => [v.id, v]));
  for (const instance of doc.instances) {
    const logical = ids.of('Instance', instance);
    const image = copies.images[instance.id];
    resources[logical] = {
      Type: 'AWS::EC2::Instance',
      Properties: {
        ImageId:
          image ??
          imageParameter(
            logical,
            instance.imageId,
            `No vault copy of an AMI of ${instance.id}: the image to launch ${label(instance)} from`,
          ),
        InstanceType: instance.instanceType,
        ...(instance.keyName ? { KeyName: keyParameter(instance.keyName) } : {}),
        ...(instance.subnetId ? { SubnetId: subnetRef(instance.subnetId) } : { AvailabilityZone: instance.availabilityZone }),
        ...(instance.securityGroupIds.length > 0 ? { SecurityGroupIds: groupRefs(instance.securityGroupIds) } : {}),
        ...(instance.instanceProfileArn ? { IamInstanceProfile: profileName(instance.instanceProfileArn) } : {}),
        Tags: tags(instance.tags, instance.id),
      },
    };
    outputs[`${logical}Id`] = { Description: `The instance that replaces ${instance.id}`, Value: ref(logical) };
    // The root comes with the image; every other volume is restored from its vault copy and attached.
    for (const device of instance.blockDevices.slice(1)) {
      const volume = volumes.get(device.volumeId);
      if (!volume) continue;
      const volumeLogical = ids.of('Volume', volume);
      const snapshot = copies.snapshots[volume.id];
      resources[volumeLogical] = {
        Type: 'AWS::EC2::Volume',
        Properties: {
          AvailabilityZone: { 'Fn::GetAtt': [logical, 'AvailabilityZone'] },
          Size: volume.sizeGiB,
          VolumeType: volume.volumeType,
          ...(snapshot ? { SnapshotId: snapshot } : {}),
          Encrypted: volume.encrypted,
          Tags: tags(volume.tags, volume.id),
        },
        ...(snapshot ? {} : { Metadata: { BackupHubNoVaultCopy: `no vault copy of a snapshot of ${volume.id}: created empty` } }),
      };
      resources[`${volumeLogical}Attachment`] = {
        Type: 'AWS::EC2::VolumeAttachment',
        Properties: { InstanceId: ref(logical), VolumeId: ref(volumeLogical), Device: device.deviceName },
      };
    }
  }
  for (const group of doc.dbSubnetGroups.filter((g) => g.name !== 'default')) {
    resources[ids.of('DbSubnetGroup', group)] = {
      Type: 'AWS::RDS::DBSubnetGroup',
      Properties: {
        DBSubnetGroupName: group.name,
        DBSubnetGroupDescription: group.description || group.name,
        SubnetIds: group.subnetIds.map(subnetRef),
      },
    };
  }
  const subnetGroup = (name: string | undefined): Properties =>
    name && name !== 'default' ? { DBSubnetGroupName: ref(ids.of('DbSubnetGroup', { name })) } : {};
  const snapshotParameter = (logical: string, id: string, what: string) => {
    parameters[`${logical}Snapshot`] = {
      Type: 'String',
      Description: `No vault copy of a snapshot of ${what} ${id}: the snapshot ARN to restore it from`,
    };
    return ref(`${logical}Snapshot`);
  };
  for (const cluster of doc.dbClusters) {
    const logical = ids.of('DbCluster', cluster);
    resources[logical] = {
      Type: 'AWS::RDS::DBCluster',
      Properties: {
        DBClusterIdentifier: cluster.id,
        SnapshotIdentifier: copies.clusterSnapshots[cluster.id] ?? snapshotParameter(logical, cluster.id, 'DB cluster'),
        Engine: cluster.engine,
        EngineVersion: cluster.engineVersion,
        ...subnetGroup(cluster.subnetGroup),
        ...(cluster.securityGroupIds.length > 0 ? { VpcSecurityGroupIds: groupRefs(cluster.securityGroupIds) } : {}),
        ...(cluster.parameterGroup && !cluster.parameterGroup.startsWith('default.')
          ? { DBClusterParameterGroupName: cluster.parameterGroup }
          : {}),
        ...(cluster.backupWindow ? { PreferredBackupWindow: cluster.backupWindow } : {}),
        Tags: tags(cluster.tags),
      },
    };
  }
  for (const db of doc.dbInstances) {
    const logical = ids.of('DbInstance', db);
    const inCluster = db.clusterId !== undefined;
    resources[logical] = {
      Type: 'AWS::RDS::DBInstance',
      Properties: inCluster
        ? {
            DBInstanceIdentifier: db.id,
            DBClusterIdentifier: ref(ids.of('DbCluster', { id: db.clusterId })),
            Engine: db.engine,
            DBInstanceClass: db.instanceClass,
          }
        : {
            DBInstanceIdentifier: db.id,
            DBSnapshotIdentifier: copies.dbSnapshots[db.id] ?? snapshotParameter(logical, db.id, 'DB instance'),
            DBInstanceClass: db.instanceClass,
            Engine: db.engine,
            ...subnetGroup(db.subnetGroup),
            ...(db.securityGroupIds.length > 0 ? { VPCSecurityGroups: groupRefs(db.securityGroupIds) } : {}),
            MultiAZ: db.multiAZ,
            ...(db.allocatedStorageGiB ? { AllocatedStorage: String(db.allocatedStorageGiB) } : {}),
            ...(db.storageType ? { StorageType: db.storageType } : {}),
            ...(db.backupWindow ? { PreferredBackupWindow: db.backupWindow } : {}),
            ...(db.parameterGroup && !db.parameterGroup.startsWith('default.') ? { DBParameterGroupName: db.parameterGroup } : {}),
            ...(db.optionGroup && !db.optionGroup.startsWith('default:') ? { OptionGroupName: db.optionGroup } : {}),
            Tags: tags(db.tags),
          },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `backup-hub: the configuration of ${doc.account} in ${doc.region} as captured at ${doc.capturedAt}, rebuilt from the vault's copies`,
    Parameters: parameters,
    Resources: resources,
    Outputs: outputs,
  };
}

function label(resource: { id: string; tags: Tags }): string {
  return resource.tags.Name ? `${resource.tags.Name} (${resource.id})` : resource.id;
}

/** The captured tags, and the source id it replaces (so an auditor can follow a rebuilt resource back). */
function tags(captured: Tags, sourceId?: string): Json {
  const all = { ...captured, ...(sourceId ? { 'backup-hub:source-id': sourceId } : {}) };
  return Object.entries(all).map(([Key, Value]) => ({ Key, Value }));
}

function ports(rule: CapturedRule): Properties {
  return {
    IpProtocol: rule.protocol,
    ...(rule.fromPort !== undefined ? { FromPort: rule.fromPort } : {}),
    ...(rule.toPort !== undefined ? { ToPort: rule.toPort } : {}),
  };
}

const isAllowAllOut = (egress: CapturedRule[]) =>
  egress.length === 1 && egress[0]!.protocol === '-1' && egress[0]!.cidrs.length === 1 && egress[0]!.cidrs[0] === '0.0.0.0/0';

/** The VPC's `default` group exists in every new VPC: it is not declared, and a rule naming it is left out. */
const isDefaultGroup = (doc: ConfigDocument, id: string) => doc.securityGroups.some((g) => g.id === id && g.name === 'default');

const profileName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
