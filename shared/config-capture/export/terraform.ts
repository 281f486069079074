import type { CapturedRule, ConfigDocument, Tags } from '../document.js';
import { LogicalIds, pascal } from './logical-ids.js';
import type { VaultCopies } from './vault-copies.js';

/** An HCL expression written as is (a reference), as opposed to a string literal. */
class Expr {
  constructor(readonly text: string) {}
}
type Hcl = string | number | boolean | Expr | Hcl[] | { [key: string]: Hcl };
const expr = (text: string) => new Expr(text);

/**
 * A capture as Terraform (HCL, AWS provider) that rebuilds it in another account, the same choices
 * as the CloudFormation export: names kept, ids as references, AMI and snapshot ids the vault's
 * copies (a variable where the vault holds none), variables for each VPC's and subnet's CIDR block
 * and the key pairs.
 */
export function toTerraform(doc: ConfigDocument, copies: VaultCopies): string {
  const ids = new LogicalIds();
  const name = (prefix: string, source: { id?: string; name?: string; tags?: Tags }) => snake(ids.of(prefix, source));
  const variables: string[] = [];
  const blocks: string[] = [];
  const variable = (id: string, description: string, value?: string) =>
    variables.push(block(`variable "${id}"`, { type: expr('string'), description, ...(value !== undefined ? { default: value } : {}) }));
  const resource = (type: string, id: string, body: Record<string, Hcl>) => blocks.push(block(`resource "${type}" "${id}"`, body));
  const keyVar = (key: string) => {
    const id = `key_name_${snake(pascal(key))}`;
    if (!variables.some((v) => v.startsWith(`variable "${id}"`))) variable(id, `The key pair that replaces ${key}`, key);
    return expr(`var.${id}`);
  };
  const groupRefs = (groups: string[]) =>
    groups
      .filter((g) => !doc.securityGroups.some((s) => s.id === g && s.name === 'default'))
      .map((g) => expr(`aws_security_group.${name('SecurityGroup', { id: g })}.id`));

  for (const vpc of doc.vpcs) {
    const id = name('Vpc', vpc);
    variable(`${id}_cidr`, `The CIDR block of ${vpc.tags.Name ?? vpc.id}`, vpc.cidrBlock);
    resource('aws_vpc', id, { cidr_block: expr(`var.${id}_cidr`), tags: tags(vpc.tags, vpc.id) });
  }
  for (const subnet of doc.subnets) {
    const id = name('Subnet', subnet);
    variable(`${id}_cidr`, `The CIDR block of ${subnet.tags.Name ?? subnet.id}`, subnet.cidrBlock);
    resource('aws_subnet', id, {
      vpc_id: expr(`aws_vpc.${name('Vpc', { id: subnet.vpcId })}.id`),
      cidr_block: expr(`var.${id}_cidr`),
      availability_zone: subnet.availabilityZone,
      tags: tags(subnet.tags, subnet.id),
    });
  }
  for (const table of doc.routeTables.filter((t) => !t.main)) {
    const id = name('RouteTable', table);
    resource('aws_route_table', id, { vpc_id: expr(`aws_vpc.${name('Vpc', { id: table.vpcId })}.id`), tags: tags(table.tags, table.id) });
    for (const subnet of table.subnetIds)
      resource('aws_route_table_association', `${id}_${name('Subnet', { id: subnet })}`, {
        route_table_id: expr(`aws_route_table.${id}.id`),
        subnet_id: expr(`aws_subnet.${name('Subnet', { id: subnet })}.id`),
      });
  }
  for (const group of doc.securityGroups.filter((g) => g.name !== 'default')) {
    const id = name('SecurityGroup', group);
    resource('aws_security_group', id, {
      name: group.name,
      description: group.description || group.name,
      vpc_id: expr(`aws_vpc.${name('Vpc', { id: group.vpcId })}.id`),
      tags: tags(group.tags, group.id),
    });
    const rules = (type: 'ingress' | 'egress', list: CapturedRule[]) =>
      list.forEach((rule, i) => {
        resource('aws_security_group_rule', `${id}_${type}_${i + 1}`, {
          type,
          security_group_id: expr(`aws_security_group.${id}.id`),
          protocol: rule.protocol,
          from_port: rule.fromPort ?? 0,
          to_port: rule.toPort ?? 0,
          ...(rule.cidrs.length > 0 ? { cidr_blocks: rule.cidrs } : {}),
          ...(rule.groupIds[0]
            ? { source_security_group_id: expr(`aws_security_group.${name('SecurityGroup', { id: rule.groupIds[0] })}.id`) }
            : {}),
        });
      });
    rules('ingress', group.ingress);
    rules('egress', group.egress);
  }
  const volumes = new Map(doc.volumes.map((v) => [v.id, v]));
  for (const instance of doc.instances) {
    const id = name('Instance', instance);
    const image = copies.images[instance.id];
    if (!image) variable(`${id}_ami`, `No vault copy of an AMI of ${instance.id}: the image to launch it from`, instance.imageId);
    resource('aws_instance', id, {
      ami: image ?? expr(`var.${id}_ami`),
      instance_type: instance.instanceType,
      ...(instance.keyName ? { key_name: keyVar(instance.keyName) } : {}),
      ...(instance.subnetId
        ? { subnet_id: expr(`aws_subnet.${name('Subnet', { id: instance.subnetId })}.id`) }
        : { availability_zone: instance.availabilityZone }),
      vpc_security_group_ids: groupRefs(instance.securityGroupIds),
      ...(instance.instanceProfileArn
        ? { iam_instance_profile: instance.instanceProfileArn.slice(instance.instanceProfileArn.lastIndexOf('/') + 1) }
        : {}),
      tags: tags(instance.tags, instance.id),
    });
    for (const device of instance.blockDevices.slice(1)) {
      const volume = volumes.get(device.volumeId);
      if (!volume) continue;
      const vid = name('Volume', volume);
      const snapshot = copies.snapshots[volume.id];
      resource('aws_ebs_volume', vid, {
        availability_zone: expr(`aws_instance.${id}.availability_zone`),
        size: volume.sizeGiB,
        type: volume.volumeType,
        ...(snapshot ? { snapshot_id: snapshot } : {}),
        encrypted: volume.encrypted,
        tags: tags(volume.tags, volume.id),
      });
      resource('aws_volume_attachment', `${vid}_attachment`, {
        device_name: device.deviceName,
        volume_id: expr(`aws_ebs_volume.${vid}.id`),
        instance_id: expr(`aws_instance.${id}.id`),
      });
    }
  }
  for (const group of doc.dbSubnetGroups.filter((g) => g.name !== 'default'))
    resource('aws_db_subnet_group', name('DbSubnetGroup', group), {
      name: group.name,
      description: group.description || group.name,
      subnet_ids: group.subnetIds.map((s) => expr(`aws_subnet.${name('Subnet', { id: s })}.id`)),
    });
  const subnetGroup = (group?: string): Record<string, Hcl> =>
    group && group !== 'default'
      ? { db_subnet_group_name: expr(`aws_db_subnet_group.${name('DbSubnetGroup', { name: group })}.name`) }
      : {};
  const snapshotVar = (id: string, what: string, source: string) => {
    variable(`${id}_snapshot`, `No vault copy of a snapshot of ${what} ${source}: the snapshot ARN to restore it from`);
    return expr(`var.${id}_snapshot`);
  };
  for (const cluster of doc.dbClusters) {
    const id = name('DbCluster', cluster);
    resource('aws_rds_cluster', id, {
      cluster_identifier: cluster.id,
      snapshot_identifier: copies.clusterSnapshots[cluster.id] ?? snapshotVar(id, 'DB cluster', cluster.id),
      engine: cluster.engine,
      engine_version: cluster.engineVersion,
      ...subnetGroup(cluster.subnetGroup),
      vpc_security_group_ids: groupRefs(cluster.securityGroupIds),
      ...(cluster.backupWindow ? { preferred_backup_window: cluster.backupWindow } : {}),
      tags: tags(cluster.tags),
    });
  }
  for (const db of doc.dbInstances) {
    const id = name('DbInstance', db);
    if (db.clusterId !== undefined)
      resource('aws_rds_cluster_instance', id, {
        identifier: db.id,
        cluster_identifier: expr(`aws_rds_cluster.${name('DbCluster', { id: db.clusterId })}.id`),
        instance_class: db.instanceClass,
        engine: db.engine,
      });
    else
      resource('aws_db_instance', id, {
        identifier: db.id,
        snapshot_identifier: copies.dbSnapshots[db.id] ?? snapshotVar(id, 'DB instance', db.id),
        instance_class: db.instanceClass,
        ...subnetGroup(db.subnetGroup),
        vpc_security_group_ids: groupRefs(db.securityGroupIds),
        multi_az: db.multiAZ,
        ...(db.storageType ? { storage_type: db.storageType } : {}),
        ...(db.backupWindow ? { backup_window: db.backupWindow } : {}),
        skip_final_snapshot: false,
        final_snapshot_identifier: `${db.id}-final`,
        tags: tags(db.tags),
      });
  }
  const header = `# backup-hub: the configuration of ${doc.account} in ${doc.region} as captured at ${doc.capturedAt}, rebuilt from the vault's copies\n`;
  return `${header}\n${[...variables, ...blocks].join('\n\n')}\n`;
}

function tags(captured: Tags, sourceId?: string): Record<string, Hcl> {
  return { ...captured, ...(sourceId ? { 'backup-hub:source-id': sourceId } : {}) };
}

/** `SubnetAppA` → `subnet_app_a`. */
function snake(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function block(head: string, body: Record<string, Hcl>): string {
  return `${head} ${value(body, '')}`;
}

function value(v: Hcl, indent: string): string {
  if (v instanceof Expr) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => value(x, indent)).join(', ')}]`;
  const inner = `${indent}  `;
  const lines = Object.entries(v).map(([k, x]) => `${inner}${/^[a-z_][a-z0-9_]*$/.test(k) ? k : JSON.stringify(k)} = ${value(x, inner)}`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}
