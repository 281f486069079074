import type { ArtifactKindName } from '../kinds/index.js';

/** `pruned`: the vault copy was deleted on policy; the point stays as the record of the deletion and protects nothing. */
export type RecoveryPointState = 'pending' | 'available' | 'failed' | 'pruned';

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
  /**
   * Which life of the resource the artifact belongs to, for kinds whose ids recur once the resource
   * is deleted and made again (an SSM parameter restarts at version 1; an RDS snapshot identifier is
   * reused): part of the point's key, so that two lives never collide.
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
  /** Set while pending or failed, for the by-state index; a point waiting for a copy slot is listed under its quota instead. */
  openState?: 'pending' | 'failed' | `waiting:${string}`;
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
  /** The event that caused it. */
  eventId: string;
  tags: Record<string, string>;
  /** While set, the vault copy is never pruned. */
  legalHold?: LegalHold;
  /** When the vault copy was deleted on policy; a `pruned` point without it is still being deleted. */
  prunedAt?: string;
}

/**
 * A point's catalog key: `ART#<kind>#<account>#<region>#<source id>`, with `@<life>` when the kind
 * tells lives apart (no source id holds an `@`: not SSM names, not EC2 or RDS identifiers).
 */
export const recoveryPointKey = (kind: ArtifactKindName, account: string, region: string, sourceId: string, life?: string) =>
  `ART#${kind}#${account}#${region}#${sourceId}${life === undefined ? '' : `@${life}`}`;

export const resourceKey = (kind: ArtifactKindName, account: string, region: string, resourceId: string) =>
  `${kind}#${account}#${region}#${resourceId}`;
