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
