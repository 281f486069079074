import type { ArtifactKindName } from '../kinds/index.js';

/**
 * `pruned`: the vault copy was deleted on policy; the point stays as the record of the deletion and
 * protects nothing. `lost`: the integrity sweep found the vault copy gone (or unusable) though
 * nothing in the hub deleted it; it protects nothing either.
 */
export type RecoveryPointState = 'pending' | 'available' | 'failed' | 'pruned' | 'lost';

/** What made a point: an event (the default), or the inventory sweep finding an artifact no event announced. */
export type PointTrigger = 'event' | 'sweep';

/** Blocks the pruner from deleting the point's vault copy until it is lifted. */
export interface LegalHold {
  reason: string;
  /** Who set it (an operator name or principal ARN), as the audit log records it. */
  setBy: string;
  setAt: string;
}

/**
 * Where the copy of one artifact stands: claimed by an event, waiting for the source's
 * re-encrypted copy under the share key, copying into the vault, or done.
 */
export type CopyStage = 'claimed' | 'reencrypting' | 'copying' | 'done';

export type SourceEncryption = 'none' | 'aws-managed' | 'customer';

/**
 * The lock AWS itself holds on a vault copy (EBS snapshot lock): in compliance mode nobody, the
 * account's root user included, deletes the copy or shortens the lock once any cooling-off period
 * has passed. `until` is the earliest expiry over the copy's snapshots.
 */
export interface ProviderLock {
  mode: 'compliance';
  until: string;
}

/**
 * Where a point's copy in a further vault region (the DR region) stands. It is copied from the vault
 * copy once that is available: `waiting` for a slot of that region's copy quota, `pending` until
 * requested and then until AWS finishes it, `failed` until the reconciler tries again.
 */
export interface RegionCopy {
  region: string;
  state: 'waiting' | 'pending' | 'available' | 'failed';
  vaultCopyId?: string;
  vaultKeyArn?: string;
  /** The full copy quota (its key) it waits on. */
  waitingFor?: string;
  /** When it last changed state (a pending copy with an id: when it was requested). */
  updatedAt: string;
  completedAt?: string;
  failureReason?: string;
  /** 1, and one more each time the reconciler tries a failed copy again. */
  attempt: number;
  /** The lock AWS holds on this copy (EBS and AMI copies), as on the vault copy: set when it becomes available. */
  providerLock?: ProviderLock;
}

/** One catalog item: a source artifact and its vault copy. */
export interface RecoveryPoint {
  pk: string;
  kind: ArtifactKindName;
  account: string;
  region: string;
  /** The artifact in the source (snapshot id, image id, …). */
  sourceId: string;
  /**
   * Which life of `sourceId` this is, for sources whose identifiers come back after a deletion (an
   * RDS manual snapshot named `prod-latest` every night, an SSM parameter deleted and created again):
   * a mark the source gives each life (its creation time). Part of the point's key and of the vault
   * copy's lookup, so that a new life is never taken for the old one.
   */
  life?: string;
  /** What the artifact protects (volume, instance, database, parameter name). */
  resourceId: string;
  resourcePk: string;
  /** When the source artifact was created (from the source, not the event). */
  createdAt: string;
  recordedAt: string;
  updatedAt: string;
  completedAt?: string;
  state: RecoveryPointState;
  stage: CopyStage;
  /**
   * Set while pending, failed or lost, for the by-state index; a point waiting for a copy slot is
   * listed under its quota instead, and a settled point with residue in its source under `residue`. An
   * available point whose copy in a further region is not done is listed as `copy-pending` (or under
   * that region's quota while waiting), or `copy-failed`.
   */
  openState?: 'pending' | 'failed' | 'lost' | 'residue' | 'copy-pending' | 'copy-failed' | `waiting:${string}`;
  /** The full copy quota (its key) this pending point waits on; the reconciler starts it when a slot frees. */
  waitingFor?: string;
  /** Set once available, for the latest-per-resource index. */
  availableResourcePk?: string;
  sourceEncryption: SourceEncryption;
  sourceKeyArn?: string;
  /** The source's own copy under the share key, when one had to be made. */
  intermediateId?: string;
  vaultCopyId?: string;
  vaultKeyArn?: string;
  /** The lock AWS holds on the vault copy (EBS and AMI copies), set when the copy completes. */
  providerLock?: ProviderLock;
  /** Its copies in the vault's further regions (the DR region), made from the vault copy once it is available. */
  copies?: RegionCopy[];
  /** Why it failed: the AWS error code (or the hub's own, `CopyTimedOut`, …) first. */
  failureReason?: string;
  /** The failure lies in the artifact itself (nothing later can change it): a later event does not reopen the point. */
  failureAboutArtifact?: boolean;
  /**
   * Since when a Not-Found or authorization error, maybe only a change the hub just made that has
   * not propagated yet, has been retried; the point fails once the retry window has passed.
   */
  retryingSince?: string;
  /** Which attempt at this point this is: 1, and one more each time a failed point is reopened (names of AMI copies differ per attempt). */
  attempt?: number;
  /** Who reopened the failed point last, and when: a later event or sweep of the artifact, or an operator (`backup-hub retry`). */
  reopened?: { trigger: 'event' | 'sweep' | 'operator'; by: string; at: string };
  /** A settled point may still have something in its source (a share with the vault, an intermediate): the reconciler removes it. */
  residue?: true;
  /** What the hub could not remove from the source and an operator must (the source refused for good). */
  leftInSource?: string;
  /** While set and in the future, one worker holds the point and the others leave it alone. */
  leaseUntil?: string;
  /** The event that caused it; for a point the sweep made, the sweep's run. */
  eventId: string;
  /** Set when the inventory sweep made it (no event announced the artifact). */
  trigger?: PointTrigger;
  tags: Record<string, string>;
  /** While set, the vault copy is never pruned. */
  legalHold?: LegalHold;
  /** When the vault copy was deleted on policy; a `pruned` point without it is still being deleted. */
  prunedAt?: string;
  /** When the integrity sweep found the vault copy gone, and what was missing. */
  lost?: { at: string; reason: string };
}

/** A point's copy in one vault region, as reports and the audit show it. */
export interface CopyInRegion {
  region: string;
  vaultCopyId?: string;
  state: RecoveryPointState | RegionCopy['state'];
}

/**
 * The point's copies, one per vault region: the vault copy in `vaultRegion` (the point's own state),
 * then its copies in further regions. A pruned point's copies went with it.
 */
export function copiesOf(point: RecoveryPoint, vaultRegion: string): CopyInRegion[] {
  const further = (point.copies ?? []).map(({ region, vaultCopyId, state }) => ({
    region,
    vaultCopyId,
    state: point.state === 'pruned' ? ('pruned' as const) : state,
  }));
  return [{ region: vaultRegion, vaultCopyId: point.vaultCopyId, state: point.state }, ...further];
}

/** `ART#kind#account#region#sourceId`, and `#life` for an artifact whose identifier can come back ({@link RecoveryPoint.life}). */
export const recoveryPointKey = (kind: ArtifactKindName, account: string, region: string, sourceId: string, life?: string) =>
  `ART#${kind}#${account}#${region}#${sourceId}${life === undefined ? '' : `#${life}`}`;

export const resourceKey = (kind: ArtifactKindName, account: string, region: string, resourceId: string) =>
  `${kind}#${account}#${region}#${resourceId}`;
