import type { ConfigDocument } from '../config-capture/document.js';
import { isImageOf } from '../config-capture/point-capture.js';
import type { RestoredArtifact } from '../restore/apply-restore.js';

/** One step of a rebuild, in the order it runs: what it makes, from which captured resource, from which restored artifact. */
export interface RebuildStep {
  kind: 'vpc' | 'subnet' | 'route-table' | 'security-group' | 'db-subnet-group' | 'instance' | 'volume' | 'db-cluster' | 'db-instance';
  /** The name it is rebuilt under (Name tag, group name, DB identifier), or the source id. */
  name: string;
  /** The captured resource's id in the lost account. */
  source: string;
  /** The restored snapshot, image or DB snapshot it starts from. */
  restoredFrom?: string;
  /** What is done, as the dry run prints it. */
  detail: string;
}

export interface RebuildPlan {
  account: string;
  region: string;
  capturedAt: string;
  steps: RebuildStep[];
  /** Captured systems that cannot be rebuilt (no restored image or snapshot), and why. */
  unbuildable: { kind: RebuildStep['kind']; name: string; reason: string }[];
}

/**
 * The rebuild of a capture from what a restore made usable in the recovery account, in dependency
 * order: the network (VPCs, subnets, route tables, security groups), DB subnet groups, instances
 * from their restored images with their volumes from the restored snapshots, then the Aurora
 * clusters and DB instances from their restored snapshots.
 */
export function planRebuild(doc: ConfigDocument, restored: RestoredArtifact[]): RebuildPlan {
  const newest = (kind: string, match: (resourceId: string) => boolean) =>
    restored
      .filter((a) => a.kind === kind && a.status === 'usable' && a.restoredId && match(a.resourceId))
      .sort((a, b) => a.pointCreatedAt.localeCompare(b.pointCreatedAt))
      .pop()?.restoredId;
  const steps: RebuildStep[] = [];
  const unbuildable: RebuildPlan['unbuildable'] = [];
  const label = (r: { id: string; tags: Record<string, string> }) => r.tags.Name ?? r.id;
  for (const vpc of doc.vpcs)
    steps.push({ kind: 'vpc', name: label(vpc), source: vpc.id, detail: `create VPC ${label(vpc)} ${vpc.cidrBlock}` });
  for (const s of doc.subnets)
    steps.push({
      kind: 'subnet',
      name: label(s),
      source: s.id,
      detail: `create subnet ${label(s)} ${s.cidrBlock} in ${s.availabilityZone}`,
    });
  for (const t of doc.routeTables.filter((t) => !t.main))
    steps.push({
      kind: 'route-table',
      name: label(t),
      source: t.id,
      detail: `create route table ${label(t)}, associated with ${t.subnetIds.length} subnet(s)`,
    });
  for (const g of doc.securityGroups.filter((g) => g.name !== 'default'))
    steps.push({
      kind: 'security-group',
      name: g.name,
      source: g.id,
      detail: `create security group ${g.name} with ${g.ingress.length} ingress rule(s)`,
    });
  for (const g of doc.dbSubnetGroups.filter((g) => g.name !== 'default'))
    steps.push({
      kind: 'db-subnet-group',
      name: g.name,
      source: g.name,
      detail: `create DB subnet group ${g.name} over ${g.subnetIds.length} subnet(s)`,
    });
  const volumes = new Map(doc.volumes.map((v) => [v.id, v]));
  for (const i of doc.instances) {
    const image = newest('ami', (r) => isImageOf(r, i));
    if (!image) {
      unbuildable.push({ kind: 'instance', name: label(i), reason: `no restored AMI of ${i.id}: restore one of its images first` });
      continue;
    }
    steps.push({
      kind: 'instance',
      name: label(i),
      source: i.id,
      restoredFrom: image,
      detail: `launch ${label(i)} (${i.instanceType}) from ${image} in ${i.availabilityZone}`,
    });
    for (const device of i.blockDevices.slice(1)) {
      const volume = volumes.get(device.volumeId);
      if (!volume) continue;
      const snapshot = newest('ebs-snapshot', (r) => r === volume.id);
      if (!snapshot) {
        unbuildable.push({ kind: 'volume', name: `${label(i)} ${device.deviceName}`, reason: `no restored snapshot of ${volume.id}` });
        continue;
      }
      steps.push({
        kind: 'volume',
        name: `${label(i)} ${device.deviceName}`,
        source: volume.id,
        restoredFrom: snapshot,
        detail: `create a ${volume.sizeGiB} GiB ${volume.volumeType} volume from ${snapshot} and attach it to ${label(i)} as ${device.deviceName}`,
      });
    }
  }
  for (const c of doc.dbClusters) {
    const snapshot = newest('rds-cluster-snapshot', (r) => r === c.id);
    if (!snapshot) unbuildable.push({ kind: 'db-cluster', name: c.id, reason: `no restored DB cluster snapshot of ${c.id}` });
    else
      steps.push({
        kind: 'db-cluster',
        name: c.id,
        source: c.id,
        restoredFrom: snapshot,
        detail: `restore Aurora cluster ${c.id} (${c.engine} ${c.engineVersion}) from ${snapshot}, with ${c.members.length} instance(s)`,
      });
  }
  for (const d of doc.dbInstances.filter((d) => d.clusterId === undefined)) {
    const snapshot = newest('rds-snapshot', (r) => r === d.id);
    if (!snapshot) unbuildable.push({ kind: 'db-instance', name: d.id, reason: `no restored DB snapshot of ${d.id}` });
    else
      steps.push({
        kind: 'db-instance',
        name: d.id,
        source: d.id,
        restoredFrom: snapshot,
        detail: `restore DB instance ${d.id} (${d.instanceClass}, ${d.engine} ${d.engineVersion}${d.multiAZ ? ', Multi-AZ' : ''}) from ${snapshot}`,
      });
  }
  return { account: doc.account, region: doc.region, capturedAt: doc.capturedAt, steps, unbuildable };
}

/** The plan as the dry run prints it. */
export function formatRebuildPlan(plan: RebuildPlan): string[] {
  return [
    `rebuild of ${plan.account} ${plan.region} as captured at ${plan.capturedAt}: ${plan.steps.length} step(s)`,
    ...plan.steps.map((s, i) => `  ${String(i + 1).padStart(3)}. ${s.kind.padEnd(16)} ${s.detail}`),
    ...plan.unbuildable.map((u) => `  cannot rebuild ${u.kind} ${u.name}: ${u.reason}`),
  ];
}
