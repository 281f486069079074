/**
 * The vault's copies a rebuild starts from, per source resource: the newest AMI of each instance,
 * the newest snapshot of each volume, DB instance and Aurora cluster. An export names these instead
 * of the source's ids (the source, and what it shared, may be gone); a resource without one gets a
 * parameter to fill in.
 */
export interface VaultCopies {
  /** Instance id → the vault's AMI id. */
  images: Record<string, string>;
  /** Volume id → the vault's snapshot id. */
  snapshots: Record<string, string>;
  /** DB instance identifier → the vault's DB snapshot ARN. */
  dbSnapshots: Record<string, string>;
  /** DB cluster identifier → the vault's DB cluster snapshot ARN. */
  clusterSnapshots: Record<string, string>;
}

export const NO_COPIES: VaultCopies = { images: {}, snapshots: {}, dbSnapshots: {}, clusterSnapshots: {} };

/** What the catalog says of a recovery point, as far as a rebuild needs. */
export interface CopiedPoint {
  kind: string;
  region: string;
  resourceId: string;
  state: string;
  createdAt: string;
  vaultCopyId?: string;
}

/**
 * The newest available vault copy of each captured resource, from the recovery points of its
 * account created at or before the capture: EBS points by volume, RDS points by DB instance or
 * cluster identifier, AMI points by instance id or by the instance's Name tag (an AMI event names
 * no instance: the hub records an AMI under its name).
 */
export function vaultCopiesOf(
  doc: { region: string; capturedAt: string; instances: { id: string; tags: Record<string, string> }[] },
  points: CopiedPoint[],
  vault: { account: string; region: string },
): VaultCopies {
  const copies: VaultCopies = { images: {}, snapshots: {}, dbSnapshots: {}, clusterSnapshots: {} };
  const usable = points
    .filter((p) => p.region === doc.region && p.state === 'available' && p.vaultCopyId && p.createdAt <= doc.capturedAt)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const rdsArn = (type: 'snapshot' | 'cluster-snapshot', id: string) =>
    id.startsWith('arn:') ? id : `arn:aws:rds:${vault.region}:${vault.account}:${type}:${id}`;
  for (const p of usable) {
    const copy = p.vaultCopyId!;
    if (p.kind === 'ebs-snapshot') copies.snapshots[p.resourceId] = copy;
    else if (p.kind === 'rds-snapshot') copies.dbSnapshots[p.resourceId] = rdsArn('snapshot', copy);
    else if (p.kind === 'rds-cluster-snapshot') copies.clusterSnapshots[p.resourceId] = rdsArn('cluster-snapshot', copy);
    else if (p.kind === 'ami')
      for (const instance of doc.instances)
        if (instance.id === p.resourceId || instance.tags.Name === p.resourceId) copies.images[instance.id] = copy;
  }
  return copies;
}
