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

/** One catalog item: a source artifact and its vault copy. */
export interface RecoveryPoint {
  pk: string;
  kind: ArtifactKindName;
  account: string;
  region: string;
  /** The artifact in the source (snapshot id, image id, …). */
  sourceId: string;
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
  /** Set while pending, failed or lost, for the by-state index; a point waiting for a copy slot is listed under its quota instead. */
  openState?: 'pending' | 'failed' | 'lost' | `waiting:${string}`;
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
  failureReason?: string;
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

export const recoveryPointKey = (kind: ArtifactKindName, account: string, region: string, sourceId: string) =>
  `ART#${kind}#${account}#${region}#${sourceId}`;

export const resourceKey = (kind: ArtifactKindName, account: string, region: string, resourceId: string) =>
  `${kind}#${account}#${region}#${resourceId}`;
