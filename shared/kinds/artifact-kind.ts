import type { ArtifactKindName, RecoveryPoint, SourceEncryption } from '../catalog/recovery-point.js';
import type { EventEnvelope } from '../events/envelope.js';
import type { HubContext } from '../runtime/hub-context.js';

/** An artifact an event announces, before anything about it is confirmed. */
export interface ArtifactRef {
  account: string;
  region: string;
  sourceId: string;
  /** What the event said, for kinds whose event names a resource but not which version of it (SSM parameters). */
  announced?: { at: string; operation: string };
}

/** What an event asks for: artifacts to protect, or a reason it is not a backup trigger. */
export type Triggers = { refs: ArtifactRef[] } | { skip: string };

/** An artifact as the source account itself describes it, through the reader role. */
export interface SourceArtifact {
  /** The artifact as the source identifies it (the announced ref, or the exact version the source resolved it to). */
  ref: ArtifactRef;
  resourceId: string;
  createdAt: string;
  encryption: SourceEncryption;
  keyArn?: string;
  tags: Record<string, string>;
  /** Set when the artifact is the hub's own re-encrypted copy of another one. */
  intermediateOf?: string;
}

/** Whether the vault can copy now: the id it copies from, or the source copy still being re-encrypted. */
export type ShareProgress = { status: 'ready'; sharedId: string } | { status: 'reencrypting'; intermediateId: string };

export type CopyStatus = { status: 'pending' } | { status: 'available' } | { status: 'failed'; reason: string };

/** A vault copy and the key it is encrypted under. */
export interface VaultCopy {
  vaultCopyId: string;
  vaultKeyArn: string;
}

/**
 * One artifact kind behind the common shape: verify → prepare share → copy → record →
 * complete. The pipeline does the recording; a module only talks to AWS. Every step must be
 * idempotent: it may run again after a crash or a redelivery.
 */
export interface ArtifactKind {
  readonly name: ArtifactKindName;
  /** The EventBridge `detail-type`s this kind handles. */
  readonly detailTypes: readonly string[];
  /**
   * Set when the source announces no event this kind handles once its re-encrypting copy is done
   * (RDS sends no "snapshot created" for a copy): the reconciler then checks the re-encryption on
   * every run instead of leaving it to the source's event.
   */
  readonly reencryptionUnannounced?: boolean;
  /**
   * Set when the vault copy is complete once `copy` returns (SSM PutParameter). Other copies run
   * for minutes to hours in AWS: asked right after the request they are always pending, so their
   * state is left to the reconciler.
   */
  readonly copiesSynchronously?: boolean;
  /** Reads what the event announces. Throws a Rejection when the detail is malformed. */
  triggers(event: EventEnvelope): Triggers;
  /** Confirms existence, ownership and state in the source. Throws a Rejection or Deferral. */
  verify(ref: ArtifactRef, ctx: HubContext): Promise<SourceArtifact>;
  /** Makes the artifact copyable by the vault, re-encrypting it in the source first when its key cannot be shared. */
  prepareShare(point: RecoveryPoint, ctx: HubContext): Promise<ShareProgress>;
  /** The vault copy an earlier attempt started, found by its provenance: a crash between the copy request and the catalog write must not lead to a second copy. */
  findCopy(point: RecoveryPoint, ctx: HubContext): Promise<VaultCopy | undefined>;
  /** Starts the vault copy under the vault CMK (the pipeline first asks {@link findCopy} whenever an earlier attempt may have started one). */
  copy(point: RecoveryPoint, sharedId: string, ctx: HubContext): Promise<VaultCopy>;
  copyStatus(point: RecoveryPoint, ctx: HubContext): Promise<CopyStatus>;
  /** Removes what the hub left in the source: the share and any intermediate copy. */
  cleanup(point: RecoveryPoint, ctx: HubContext): Promise<void>;
}
