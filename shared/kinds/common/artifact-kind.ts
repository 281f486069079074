import type { ClientFactory, Credentials } from '../../aws/clients.js';
import type { KeyFacts } from '../../aws/source-keys.js';
import type { ProviderLock, RecoveryPoint, SourceEncryption } from '../../catalog/recovery-point.js';
import type { EventEnvelope } from '../../events/envelope.js';
import type { ArtifactKindName } from '../index.js';

/** The vault a kind copies into. */
export interface VaultFacts {
  account: string;
  region: string;
  /** The vault CMK every vault copy is encrypted under. */
  keyArn: string;
}

/** What a kind asks about the source accounts' KMS keys, through its reader role. */
export interface SourceKeyLookup {
  shareKey(account: string, region: string): Promise<KeyFacts>;
  describe(account: string, region: string, keyId: string): Promise<KeyFacts>;
  /** Refuses, in verify, a customer key whose alias the source's account file does not list, naming the alias to list. */
  requireListed(account: string, region: string, what: string, key: KeyFacts | undefined): Promise<void>;
}

/**
 * Everything a kind's operations use, built by the pipeline for that kind: its own SDK client and
 * no other, its reader role in the sources, the sources' key facts, the vault and the clock.
 */
export interface KindDeps<Client> {
  vault: VaultFacts;
  /** The kind's SDK client in a region: with the function's own role, or with the credentials given. */
  client(region: string, credentials?: Credentials): Client;
  /** The credentials of the kind's reader role in a source account. */
  reader(account: string): Credentials;
  keys: SourceKeyLookup;
  /**
   * The recovery points the catalog holds of one of the kind's resources, in any state, newest
   * first: for a kind whose event names a resource and not which of its artifacts (SSM), what the
   * vault already has.
   */
  recorded(account: string, region: string, resourceId: string): AsyncIterable<RecordedPoint>;
  now(): Date;
}

/** What {@link KindDeps.recorded} reads of each point: enough to tell which artifact it is and how it stands. */
export type RecordedPoint = Pick<RecoveryPoint, 'sourceId' | 'life' | 'createdAt' | 'state'>;
export const RECORDED_ATTRIBUTES = ['sourceId', 'life', 'createdAt', 'state'] as const satisfies readonly (keyof RecordedPoint)[];

/** An artifact an event announces, before anything about it is confirmed. */
export interface ArtifactRef {
  account: string;
  region: string;
  sourceId: string;
  /** Which life of a reusable identifier the source confirmed (set by verify; see RecoveryPoint.life). */
  life?: string;
  /** What the event said, for kinds whose event names a resource but not which version of it (SSM parameters). */
  announced?: { at: string; operation: string };
}

/** What an event asks for: artifacts to protect, or a reason it is not a backup trigger. */
export type Triggers =
  | { refs: ArtifactRef[] }
  | { skip: string /** The resource the source deleted (its id): it is retired. */; deleted?: string };

/** An artifact as the source account itself describes it, through the reader role. */
export interface SourceArtifact {
  /** The artifact as the source identifies it (the announced ref, or the exact version the source resolved it to). */
  ref: ArtifactRef;
  /**
   * Which life of the resource it belongs to, when verify tells it per artifact (each SSM version
   * found); it wins over `ref.life`, which a kind sets when the source confirms one artifact (RDS).
   */
  life?: string;
  /**
   * Set when the source no longer holds it (an SSM version pushed out of the 100-version history, or
   * deleted) and the vault never copied it: recorded as a failed point with this reason, never copied.
   */
  missed?: string;
  resourceId: string;
  createdAt: string;
  encryption: SourceEncryption;
  keyArn?: string;
  tags: Record<string, string>;
}

/** An artifact that another one owns and is backed up with (an AMI's snapshot): not a backup trigger of its own. */
export interface PartOfAnother {
  found: 'part-of-another';
  ref: ArtifactRef;
  /** Why, for the audit log. */
  skip: string;
}

/** The hub's own re-encrypted copy of another artifact, announced by the source: that artifact can now be copied. */
export interface HubIntermediate {
  found: 'intermediate';
  ref: ArtifactRef;
  /** The source id of the artifact it re-encrypts. */
  intermediateOf: string;
  /** That artifact's life, for a kind whose identifiers have lives (RDS): its point's key holds it. */
  originalLife?: string;
}

/**
 * What verify found. `artifacts`: those to back up, oldest first; a kind whose event names a resource
 * and not which of its artifacts (SSM) gives every one the source holds and the vault lacks (none when
 * the vault has them all), and those the vault missed.
 */
export type Verified = { found: 'artifacts'; artifacts: SourceArtifact[] } | HubIntermediate | PartOfAnother;

/** The one artifact an event announced, confirmed. */
export const confirmed = (artifact: SourceArtifact): Verified => ({ found: 'artifacts', artifacts: [artifact] });

/** Whether the vault can copy now: the id it copies from, or the source copy still being re-encrypted. */
export type ShareProgress = { status: 'ready'; sharedId: string } | { status: 'reencrypting'; intermediateId: string };

/**
 * Where a vault copy stands. `missing`: the vault does not see it, which right after the copy was
 * requested may only mean that EC2 has not propagated it yet. `failed` names the cause by a code
 * (AWS's when it gives one), which opens the recorded reason.
 */
export type CopyStatus =
  | { status: 'pending' }
  | { status: 'available' }
  | { status: 'missing' }
  | { status: 'failed'; code: string; reason: string };

/**
 * Why the source is being cleaned up: `completed` after the vault copy, when the point's record says
 * what the hub made; `abandoned` after a failure or at the end of a point's life, when a crash may have
 * left something the record does not name, so the kind also looks for it.
 */
export type CleanupScope = 'completed' | 'abandoned';

/** What pruning a vault copy deleted. */
export interface VaultCopyDeletion {
  /** The vault resources deleted (snapshot ids, an image and its snapshots, a stored parameter version). */
  deleted: string[];
}

/** Where a restore goes: a recovery account, in one of the vault's regions. */
export interface RestoreTarget {
  account: string;
  /**
   * Where the restore lands: the restore key, the restore copies shared with the account and the
   * parameters written are in this region. When it differs from the region of the vault copies
   * restored (`deps.vault.region`), each is first copied across, into this region.
   */
  region: string;
  /** The vault's restore key for that account: the recovery account may use it, so copies re-encrypted under it can be shared. */
  keyArn: string;
  /** Its alias, as the operator knows it. */
  keyAlias: string;
  /** The recovery account's `backup-hub-recovery` role, which writes SSM parameters there. */
  writer: Credentials;
}

/** One AWS call a restore makes, as the dry run shows it. */
export interface RestoreAction {
  /** The IAM action, e.g. `ec2:CopySnapshot`. */
  call: string;
  what: string;
}

/** Where restoring one point stands after a push: still working (a copy in progress), or usable in the recovery account. */
export type RestoreProgress = { status: 'in-progress'; detail: string } | { status: 'usable'; restoredId: string; detail: string };

/** What a vault copy is locked for: until when, and the cooling-off period the vault file asks for. */
export interface ProviderLockTerms {
  until: Date;
  coolOffHours?: number;
}

/** Whose vault copy a copy is, by its provenance tags: enough to find its recovery point. */
export type CopySource = Pick<RecoveryPoint, 'account' | 'region' | 'sourceId' | 'life'>;

/**
 * How a kind reads the vault's own completion events (its account's default bus, the manifest's
 * `completion` pattern): the event only says which copy to look at; the vault's own view of that
 * copy decides.
 */
export interface CopyCompletion<Client> {
  /** The vault copy the event names, or why it names none the hub completes. Throws a Rejection when the detail is malformed. */
  copyNamed(event: EventEnvelope): { vaultCopyId: string } | { skip: string };
  /** The copy as the vault sees it (one Describe call in the vault): whose copy it is and where it stands, or why the hub completes nothing by it. */
  read(vaultCopyId: string, deps: KindDeps<Client>): Promise<{ source: CopySource; status: CopyStatus } | { skip: string }>;
}

/** One source account and region, as the sweep visits it. */
export interface SourceRegion {
  account: string;
  region: string;
}

/** A source region as the inventory sweep lists it: with the SSM parameters its account file opts in (the sweep lists no other). */
export interface SweptSource extends SourceRegion {
  parameters: { paths: string[]; tagged: boolean };
}

/** One artifact as the source's own listing shows it (the inventory sweep). */
export interface ListedArtifact {
  /** What an event would have announced: the sweep hands it to {@link ArtifactKind.verify}, exactly as an event's. */
  ref: ArtifactRef;
  /** Its source id in the catalog once recorded (an SSM parameter's is `<name>:<version>`). */
  sourceId: string;
  resourceId: string;
  /** When it was taken, as the listing says (the verify reads it again). */
  createdAt: string;
  /**
   * How the sweep finds the point of an artifact the vault holds: by its key (the source id, and
   * the `life` when the kind's ids recur: RDS lists a snapshot's creation time), or, where the
   * listing cannot tell the life (SSM), among its resource's points by source id and creation time.
   */
  known: { byKey: { life?: string } } | { byResource: true };
  /** Why the sweep leaves it alone (not ready yet, the hub's own copy): neither protected now nor an error. */
  skip?: string;
}

/** One resource of the source that the kind's artifacts protect (a volume, an instance, a database, a parameter). */
export interface ListedResource {
  resourceId: string;
  tags: Record<string, string>;
}

/**
 * One page of a source's inventory of one kind: its artifacts, the resources they protect, and
 * the token of the next page (none once both are listed). Each page is one listing call.
 */
export interface InventoryPage {
  artifacts: ListedArtifact[];
  resources: ListedResource[];
  next?: string;
}

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
export interface ArtifactKind<Name extends ArtifactKindName = ArtifactKindName, Client = unknown> {
  readonly name: Name;
  /** Makes the kind's SDK client; the pipeline calls it (the operations get {@link KindDeps.client}). */
  readonly sdk: ClientFactory<Client>;
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
   * state is left to the vault's completion events ({@link completion}) or the reconciler.
   */
  readonly copiesSynchronously?: boolean;
  /** Reads what the event announces. Throws a Rejection when the detail is malformed. */
  triggers(event: EventEnvelope): Triggers;
  /**
   * Confirms existence, ownership and state in the source: the artifacts to back up, or the hub's own
   * intermediate, or an artifact this kind does not back up on its own. Throws a Rejection or Deferral.
   */
  verify(ref: ArtifactRef, deps: KindDeps<Client>): Promise<Verified>;
  /** Makes the artifact copyable by the vault, re-encrypting it in the source first when its key cannot be shared. */
  /**
   * `fresh`: the point was claimed in this very invocation, so no earlier attempt can have made an
   * intermediate, and none is looked for.
   */
  prepareShare(point: RecoveryPoint, deps: KindDeps<Client>, fresh?: boolean): Promise<ShareProgress>;
  /** The vault copy an earlier attempt started, found by its provenance: a crash between the copy request and the catalog write must not lead to a second copy. */
  findCopy(point: RecoveryPoint, deps: KindDeps<Client>): Promise<VaultCopy | undefined>;
  /** Starts the vault copy under the vault CMK (the pipeline first asks {@link findCopy} whenever an earlier attempt may have started one). */
  copy(point: RecoveryPoint, sharedId: string, deps: KindDeps<Client>): Promise<VaultCopy>;
  copyStatus(point: RecoveryPoint, deps: KindDeps<Client>): Promise<CopyStatus>;
  /**
   * Has AWS lock the available vault copy (compliance mode) until at least `terms.until`, for kinds
   * AWS can lock; an existing lock that lasts longer is kept. Idempotent.
   */
  lockVaultCopy?(point: RecoveryPoint, terms: ProviderLockTerms, deps: KindDeps<Client>): Promise<ProviderLock | undefined>;
  /**
   * Set when AWS announces a finished vault copy in the vault's own account: such a copy completes
   * by that event, and the reconciler only covers a lost one.
   */
  readonly completion?: CopyCompletion<Client>;
  /**
   * Starts the copy of the point's vault copy, which lives in the vault's region `fromRegion`, into
   * `deps.vault` (the vault's DR region and key): the same provenance tags, so {@link findCopy} with
   * the same deps finds it, and {@link copyStatus} and {@link deleteVaultCopy} with the point's
   * `vaultCopyId` set to it tell how it stands and delete it. The call goes to the destination
   * region's endpoint, as AWS's cross-region copies do. `point.attempt` is the attempt at this
   * region's copy (names that must differ per attempt, an AMI's, take it).
   * @throws CopyQuotaFull while the destination region's copy quota is full
   */
  copyAcross(point: RecoveryPoint, fromRegion: string, deps: KindDeps<Client>): Promise<VaultCopy>;
  /**
   * Removes what the hub left in the source: the vault's access to the artifact and the intermediate
   * copies it made. Done already when they are gone.
   * @returns what it removed, one line each, for the audit log
   */
  cleanup(point: RecoveryPoint, deps: KindDeps<Client>, scope: CleanupScope): Promise<string[]>;
  /** Deletes the point's vault copy (the pruner decided it may go). Done already when it is gone. */
  deleteVaultCopy(point: RecoveryPoint, deps: KindDeps<Client>): Promise<VaultCopyDeletion>;
  /**
   * One page of the source's inventory of this kind in a region (`token` from the page before),
   * read through the kind's reader role: what the inventory sweep protects when no event announced
   * it, and the resources the audit lists when nothing protects them.
   */
  inventory(source: SweptSource, token: string | undefined, deps: KindDeps<Client>): Promise<InventoryPage>;
  /**
   * Of listed artifacts the catalog does not know, those the vault should protect: a kind that can
   * tell another kind's parts apart (an AMI's own snapshots) drops them here, with a call of its own.
   */
  screen?(source: SourceRegion, unknown: ListedArtifact[], deps: KindDeps<Client>): Promise<ListedArtifact[]>;
  /**
   * Of available points, those whose vault copy is gone or unusable, with what is missing (the
   * integrity sweep). At most {@link VAULT_CHECK_BATCH} points a call; a few calls, however many points.
   */
  missingCopies(points: RecoveryPoint[], deps: KindDeps<Client>): Promise<Map<string, string>>;
  /** The calls {@link restore} makes for this point, in order: what the dry run prints. */
  restoreActions(point: RecoveryPoint, target: RestoreTarget): RestoreAction[];
  /**
   * Pushes the restore of a point as far as it goes now; called again until usable. Idempotent: it
   * finds its own earlier copies by their tags. The point's vault copy is in `deps.vault.region`; the
   * restore copy is made in `target.region` (with SourceRegion when they differ, as AWS copies across
   * regions: the call goes to the destination). Throws PermanentFailure when it cannot succeed, and
   * CopyQuotaFull while the destination's copy quota is full.
   */
  restore(point: RecoveryPoint, target: RestoreTarget, deps: KindDeps<Client>): Promise<RestoreProgress>;
}

/** Points a kind checks in one {@link ArtifactKind.missingCopies} call: within EC2's filter values and RDS's page of 100. */
export const VAULT_CHECK_BATCH = 100;

/** The kind's client in a source account's region, through its reader role there. */
export function inSource<C>(deps: KindDeps<C>, account: string, region: string): C {
  return deps.client(region, deps.reader(account));
}

/** The kind's client in the region a restore lands in, with the caller's own role. */
export function inRestoreRegion<C>(deps: KindDeps<C>, target: RestoreTarget): C {
  return deps.client(target.region);
}

/** How a restore's progress names a copy across regions: ` from <vault copy's region> into <landing region>`, or nothing. */
export function acrossRegions(deps: KindDeps<unknown>, target: RestoreTarget): string {
  return deps.vault.region === target.region ? '' : ` from ${deps.vault.region} into ${target.region}`;
}

/** The kind's client in the vault's region, with the function's own role. */
export function inVault<C>(deps: KindDeps<C>): C {
  return deps.client(deps.vault.region);
}
