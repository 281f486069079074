import { createHash } from 'node:crypto';
import type { RDSClient } from '@aws-sdk/client-rds';
import * as z from 'zod/mini';
import { describeError, ignoreNotFound, isAwsError } from '../../aws/aws-errors.js';
import { rdsClient } from '../../aws/clients.js';
import type { RecoveryPoint } from '../../catalog/recovery-point.js';
import { copyQuotaKey } from '../../core/copy-quota.js';
import { CopyQuotaFull, Deferral, PermanentFailure, Rejection } from '../../core/errors.js';
import { describeIssues, type EventEnvelope } from '../../events/envelope.js';
import type { ArtifactKindName } from '../index.js';
import {
  type ArtifactKind,
  type ArtifactRef,
  acrossRegions,
  type CopyCompletion,
  type CopyStatus,
  confirmed,
  inRestoreRegion,
  inSource,
  inVault,
  type KindDeps,
  type ListedArtifact,
  type ListedResource,
  type RestoreTarget,
  type ShareProgress,
  type SourceRegion,
  type Triggers,
  type VaultCopy,
  type Verified,
} from './artifact-kind.js';
import { hubMadeSkip, inventoryPage } from './inventory.js';
import { NOT_A_VAULT_COPY, provenanceTags, restoreTags, sourceIdentityTags, sourceOfCopy, TAG, tagMap } from './provenance-tags.js';

/** A DB (cluster) snapshot as RDS describes it, in the terms both families share. */
export interface RdsSnapshotFacts {
  id: string;
  arn: string;
  /** The DB instance or DB cluster. */
  resourceId: string;
  status: string;
  /** `manual`, `automated`, `shared`, `public` or `awsbackup`. */
  type: string;
  encrypted: boolean;
  kmsKeyId?: string;
  createdAt?: Date;
  tags: Record<string, string>;
  /** A DB snapshot's option group (`default:<engine>-<version>` unless the database had its own); none for cluster snapshots. */
  optionGroupName?: string;
}

export interface RdsCopyInput {
  /** An identifier in the caller's account, or the ARN of a snapshot shared with it. */
  source: string;
  target: string;
  kmsKeyId?: string;
  tags: { Key: string; Value: string }[];
  /** The option group of the copy: across Regions, one of the destination Region. */
  optionGroupName?: string;
}

/** The four RDS calls a family makes, with its own commands (DB snapshot or DB cluster snapshot). */
export interface RdsSnapshotApi {
  /** The error name of the family's "not found" fault. */
  readonly notFound: string;
  /** What the family's API actions are named after: `rds:Copy<element>`, `rds:Modify<element>Attribute`. */
  readonly element: 'DBSnapshot' | 'DBClusterSnapshot';
  /** Reads one snapshot by identifier or ARN; undefined when it does not exist. */
  describe(rds: RDSClient, identifier: string): Promise<RdsSnapshotFacts | undefined>;
  /** One page of the caller's own snapshots, manual and automated (what RDS lists without a SnapshotType). */
  list(rds: RDSClient, marker: string | undefined): Promise<{ snapshots: RdsSnapshotFacts[]; marker?: string }>;
  /** One page of the caller's databases of the family (DB instances, DB clusters). */
  databases(rds: RDSClient, marker: string | undefined): Promise<{ databases: ListedResource[]; marker?: string }>;
  /** Of these identifiers (at most 100), the caller's snapshots that exist: one call, by the family's identifier filter. */
  find(rds: RDSClient, identifiers: string[]): Promise<RdsSnapshotFacts[]>;
  copy(rds: RDSClient, input: RdsCopyInput): Promise<RdsSnapshotFacts>;
  /** Adds accounts to, or removes them from, the `restore` attribute. */
  setRestore(rds: RDSClient, identifier: string, change: { add?: string[]; remove?: string[] }): Promise<void>;
  delete(rds: RDSClient, identifier: string): Promise<void>;
}

/**
 * The SnapshotType a Describe by identifier needs: "If this identifier is for an automated snapshot,
 * the SnapshotType parameter must also be specified" (DescribeDBSnapshots, DescribeDBClusterSnapshots),
 * and automated identifiers are RDS's `rds:<resource>-<time>`. Undefined finds manual ones (and ARNs).
 */
export function snapshotTypeOf(identifier: string): 'automated' | undefined {
  return identifier.startsWith('rds:') ? 'automated' : undefined;
}

/** What distinguishes one RDS snapshot kind from the other. */
export interface RdsKindSpec<Name extends ArtifactKindName> {
  name: Name;
  detailType: string;
  /** The EventIDs that mean "snapshot created" (RDS User Guide, USER_Events.Messages). */
  createdEventIds: readonly string[];
  /** The EventIDs that mean "a copy finished", naming the copy (none for cluster snapshots): a vault copy completes by them, a source's re-encrypting copy resumes by them. */
  copyFinishedEventIds: readonly string[];
  /** The snapshot ARN's resource type. */
  arnType: 'snapshot' | 'cluster-snapshot';
  /**
   * Whether a copy can encrypt an unencrypted snapshot. CopyDBClusterSnapshot cannot, so an
   * unencrypted cluster snapshot can never become a vault copy under the vault CMK.
   */
  encryptsOnCopy: boolean;
  api: RdsSnapshotApi;
}

/** Records an RDS listing asks for: the most RDS returns in one page (MaxRecords, 20 to 100). */
export const RDS_PAGE = 100;

/** RDS's answer when the destination's manual snapshots (100 by default) or its copies in progress (20) are at their quota. */
const QUOTA_ERRORS = ['SnapshotQuotaExceededFault'];
const PENDING_RETRY_SECONDS = 120;
/** RDS's refusal to share a snapshot that the snapshot itself forbids (its option group); the error code is not documented. */
const UNSHAREABLE = ['InvalidParameterCombination', 'InvalidParameterValue'];
/** Identifiers the hub gives its snapshots: letters, digits, hyphens, within the cluster limit of 63. */
const HUB_PREFIX = 'backup-hub-';
const SHARE_PREFIX = 'backup-hub-share-';
const RESTORE_PREFIX = 'backup-hub-restore-';

const detailSchema = z.object({
  EventID: z.string(),
  SourceArn: z.optional(z.string()),
  SourceIdentifier: z.optional(z.string()),
  Message: z.optional(z.string()),
});

/**
 * One RDS snapshot kind (DB instance or Aurora cluster) behind the common shape. Every snapshot is
 * first copied in the source to a manual snapshot under the share key (automated snapshots and those
 * under `aws/rds` could not be shared anyway, and an unencrypted one must not be); the vault then
 * copies from that shared intermediate's ARN with the vault CMK. RDS has no tag filter on Describe, so the hub names
 * its snapshots deterministically and confirms them by their tags.
 */
export function rdsArtifactKind<Name extends ArtifactKindName>(spec: RdsKindSpec<Name>): ArtifactKind<Name, RDSClient> {
  const { api } = spec;
  /** Copies a snapshot (its ARN) into `deps.vault` (its region and key) under the point's vault copy name, with its provenance tags. */
  const copyIntoVault = async (
    point: RecoveryPoint,
    sourceArn: string,
    deps: KindDeps<RDSClient>,
    optionGroupName?: string,
  ): Promise<VaultCopy> => {
    const vaultKeyArn = deps.vault.keyArn;
    const quota = copyQuotaKey(spec.name, deps.vault.account, deps.vault.region);
    const target = vaultCopyName(point);
    const copy = await rdsCall(quota, () =>
      api.copy(inVault(deps), { source: sourceArn, target, kmsKeyId: vaultKeyArn, tags: provenanceTags(point), optionGroupName }),
    );
    return { vaultCopyId: copy.id, vaultKeyArn: copy.kmsKeyId ?? vaultKeyArn };
  };
  return {
    name: spec.name,
    sdk: rdsClient,
    detailTypes: [spec.detailType],
    // A copy announces itself with no "snapshot created", only with "copy finished", where the family has one.
    reencryptionUnannounced: spec.copyFinishedEventIds.length === 0,
    ...(spec.copyFinishedEventIds.length ? { completion: rdsCompletion(spec) } : {}),

    triggers(event: EventEnvelope): Triggers {
      const parsed = detailSchema.safeParse(event.detail);
      if (!parsed.success)
        throw new Rejection('malformed-event', `${spec.detailType} detail is malformed: ${describeIssues(parsed.error)}`);
      const detail = parsed.data;
      if (!spec.createdEventIds.includes(detail.EventID) && !spec.copyFinishedEventIds.includes(detail.EventID))
        return { skip: `${detail.EventID}${detail.Message ? ` (${detail.Message})` : ''} is not a backup trigger` };
      return { refs: [snapshotRef(spec, detail, event)] };
    },

    async verify(ref: ArtifactRef, deps: KindDeps<RDSClient>): Promise<Verified> {
      // By identifier through the announcing account's own reader role: only its own snapshots answer.
      const snapshot = await api.describe(inSource(deps, ref.account, ref.region), ref.sourceId);
      if (!snapshot)
        throw new Rejection(
          'not-found',
          `${spec.arnType} ${ref.sourceId} does not exist in ${ref.account}/${ref.region} as seen by that account's reader role (forged or stale event)`,
        );
      const owner = snapshot.arn.split(':')[4];
      if (owner !== ref.account)
        throw new Rejection(
          'forged-ownership',
          `${spec.arnType} ${ref.sourceId} is owned by ${owner}, not by ${ref.account} that announced it`,
        );
      const intermediateOf = snapshot.tags[TAG.intermediateOf];
      if (intermediateOf !== undefined) {
        // The original's point is keyed by its life (its creation time), which only the original tells.
        const original = await api.describe(inSource(deps, ref.account, ref.region), intermediateOf);
        return { found: 'intermediate', ref, intermediateOf, originalLife: original?.createdAt?.toISOString() };
      }
      if (snapshot.status !== 'available')
        throw new Deferral(`${spec.arnType} ${ref.sourceId} is ${snapshot.status}, not available yet`, PENDING_RETRY_SECONDS);
      const key = snapshot.kmsKeyId ? await deps.keys.describe(ref.account, ref.region, snapshot.kmsKeyId) : undefined;
      await deps.keys.requireListed(ref.account, ref.region, `${spec.arnType} ${ref.sourceId}`, key);
      const createdAt = (snapshot.createdAt ?? deps.now()).toISOString();
      return confirmed({
        // A manual identifier is reused after a deletion (a nightly `prod-latest`): its creation time tells the lives apart.
        ref: { ...ref, life: createdAt },
        resourceId: snapshot.resourceId,
        createdAt,
        encryption: key === undefined ? 'none' : key.awsManaged ? 'aws-managed' : 'customer',
        keyArn: key?.arn,
        tags: snapshot.tags,
      });
    },

    async prepareShare(point: RecoveryPoint, deps: KindDeps<RDSClient>, fresh?: boolean): Promise<ShareProgress> {
      const rds = inSource(deps, point.account, point.region);
      const source = await api.describe(rds, point.sourceId);
      if (!source)
        throw new PermanentFailure(`${spec.arnType} ${point.sourceId} no longer exists in ${point.account}/${point.region}`, {
          code: 'SourceGone',
          aboutArtifact: true,
        });
      if (!source.encrypted && !spec.encryptsOnCopy) {
        throw new PermanentFailure(
          `${spec.arnType} ${point.sourceId} is unencrypted, and a copy cannot encrypt it: the vault keeps only copies under its CMK (encrypt the cluster to protect it)`,
          { code: 'SourceUnencrypted', aboutArtifact: true },
        );
      }
      // Only a hub-made copy under the share key is ever shared, whatever the source's encryption:
      // RDS has no condition key for the accounts added to `restore`, so the reader may share hub
      // intermediates only, and the share key's policy keeps them to the vault.
      const shareKey = await deps.keys.shareKey(point.account, point.region);
      const intermediate = fresh
        ? undefined
        : await findHubSnapshot(api, rds, intermediateName(point), { [TAG.intermediateOf]: point.sourceId });
      if (!intermediate) return { status: 'reencrypting', intermediateId: await makeIntermediate(spec, rds, point, shareKey.arn) };
      if (intermediate.status !== 'available') return { status: 'reencrypting', intermediateId: intermediate.id };
      await shareWithVault(api, rds, intermediate.id, deps.vault.account);
      return { status: 'ready', sharedId: intermediate.arn };
    },

    async findCopy(point: RecoveryPoint, deps: KindDeps<RDSClient>): Promise<VaultCopy | undefined> {
      const provenance = sourceIdentityTags(point);
      const existing = await findHubSnapshot(api, inVault(deps), vaultCopyName(point), provenance);
      return existing && { vaultCopyId: existing.id, vaultKeyArn: existing.kmsKeyId ?? deps.vault.keyArn };
    },

    copy: (point: RecoveryPoint, sharedArn: string, deps: KindDeps<RDSClient>) => copyIntoVault(point, sharedArn, deps),

    /**
     * From the vault copy's ARN in its region, called in the destination region with a key of that
     * region. No PreSignedUrl: it "applies only to AWS GovCloud (US) Regions" (CopyDBSnapshot,
     * CopyDBClusterSnapshot API references). A DB snapshot with a nondefault option group names the
     * option group of the same name in the destination region: option groups are per Region, and
     * CopyDBSnapshot asks for OptionGroupName "if you are copying a snapshot from one AWS Region to
     * another, and your DB instance uses a nondefault option group" (the operator creates it there;
     * until then RDS refuses the copy, which is recorded failed and retried). Cluster snapshots have none.
     */
    async copyAcross(point: RecoveryPoint, fromRegion: string, deps: KindDeps<RDSClient>) {
      const source = vaultCopyIn(fromRegion, deps.vault.account, point);
      return copyIntoVault(point, source, deps, await optionGroupAcross(deps.client(fromRegion), point.vaultCopyId!));
    },

    async copyStatus(point: RecoveryPoint, deps: KindDeps<RDSClient>): Promise<CopyStatus> {
      return rdsCopyStatus(await api.describe(inVault(deps), point.vaultCopyId!), point.vaultCopyId!);
    },

    async cleanup(point: RecoveryPoint, deps: KindDeps<RDSClient>, scope): Promise<string[]> {
      const rds = inSource(deps, point.account, point.region);
      // After a completed copy the record names the intermediate; otherwise a crash may have left one under its name.
      // The source snapshot itself is never shared (only the intermediate is), so nothing else is to take back.
      const intermediate =
        point.intermediateId ?? (scope === 'abandoned' ? await hubSnapshotNamed(api, rds, intermediateName(point)) : undefined);
      const deleted = intermediate !== undefined && (await ignoreNotFound(() => api.delete(rds, intermediate), api.notFound));
      return deleted ? [`deleted the intermediate copy ${intermediate}`] : [];
    },

    async deleteVaultCopy(point: RecoveryPoint, deps: KindDeps<RDSClient>) {
      await ignoreNotFound(() => api.delete(inVault(deps), point.vaultCopyId!), api.notFound);
      return { deleted: [point.vaultCopyId!] };
    },

    async inventory(source: SourceRegion, token: string | undefined, deps: KindDeps<RDSClient>) {
      const rds = inSource(deps, source.account, source.region);
      return inventoryPage(token, {
        snapshots: async (marker) => {
          const page = await api.list(rds, marker);
          return { artifacts: page.snapshots.map((s) => listedSnapshot(source, s)), next: page.marker };
        },
        databases: async (marker) => {
          const page = await api.databases(rds, marker);
          return { resources: page.databases, next: page.marker };
        },
      });
    },

    async missingCopies(points: RecoveryPoint[], deps: KindDeps<RDSClient>) {
      const rds = inVault(deps);
      const found = new Map(
        (
          await api.find(
            rds,
            points.map((p) => p.vaultCopyId!),
          )
        ).map((s) => [s.id.toLowerCase(), s]),
      );
      const missing = new Map<string, string>();
      for (const point of points) {
        // A listing can lag behind (eventual consistency): the snapshot itself has the last word.
        const copy = found.get(point.vaultCopyId!.toLowerCase()) ?? (await api.describe(rds, point.vaultCopyId!));
        if (copy?.status !== 'available')
          missing.set(
            point.pk,
            copy ? `vault copy ${point.vaultCopyId} is ${copy.status}` : `vault copy ${point.vaultCopyId} no longer exists`,
          );
      }
      return missing;
    },

    restoreActions(point: RecoveryPoint, target: RestoreTarget) {
      const name = restoreName(point, target.account);
      return [
        {
          call: `rds:Copy${api.element}`,
          what: `copy ${point.vaultCopyId} in the vault as ${name}, re-encrypted under ${target.keyAlias} (a key ${target.account} may use)`,
        },
        { call: `rds:Modify${api.element}Attribute`, what: `share ${name} with ${target.account} (restore attribute)` },
      ];
    },

    async restore(point: RecoveryPoint, target: RestoreTarget, deps: KindDeps<RDSClient>) {
      const rds = inRestoreRegion(deps, target);
      const name = restoreName(point, target.account);
      const tags = restoreTags(point, target.account);
      const copy = await findHubSnapshot(api, rds, name, tagMap(tags));
      if (!copy) {
        const from = deps.vault.region;
        const across = from !== target.region;
        const quota = copyQuotaKey(spec.name, deps.vault.account, target.region);
        const source = across ? vaultCopyIn(from, deps.vault.account, point) : point.vaultCopyId!;
        const optionGroupName = across ? await optionGroupAcross(inVault(deps), point.vaultCopyId!) : undefined;
        await rdsCall(quota, () => api.copy(rds, { source, target: name, kmsKeyId: target.keyArn, tags, optionGroupName }));
        return {
          status: 'in-progress' as const,
          detail: `re-encrypting ${point.vaultCopyId}${acrossRegions(deps, target)} as ${name} under ${target.keyAlias}`,
        };
      }
      if (copy.status !== 'available') return { status: 'in-progress' as const, detail: `re-encrypting as ${name} (${copy.status})` };
      await api.setRestore(rds, name, { add: [target.account] });
      return {
        status: 'usable' as const,
        restoredId: copy.arn,
        detail: `under ${target.keyAlias} in ${target.region}, shared with ${target.account} (copy it by this ARN)`,
      };
    },
  };

  /** The copy's option group across Regions: the source's own, named the same in the destination; none for a default one (or a cluster snapshot). */
  async function optionGroupAcross(source: RDSClient, vaultCopyId: string): Promise<string | undefined> {
    const optionGroup = (await api.describe(source, vaultCopyId))?.optionGroupName;
    return optionGroup && !optionGroup.startsWith('default:') ? optionGroup : undefined;
  }

  /** A vault copy's ARN in a vault region: what a copy into another region names as its source. */
  function vaultCopyIn(region: string, vaultAccount: string, point: RecoveryPoint): string {
    return `arn:aws:rds:${region}:${vaultAccount}:${spec.arnType}:${point.vaultCopyId}`;
  }
}

/** A snapshot as the sweep lists it: only an available one that the hub did not make is for the vault. */
function listedSnapshot(source: SourceRegion, snapshot: RdsSnapshotFacts): ListedArtifact {
  const createdAt = (snapshot.createdAt ?? new Date(0)).toISOString();
  return {
    ref: { ...source, sourceId: snapshot.id },
    sourceId: snapshot.id,
    resourceId: snapshot.resourceId,
    createdAt,
    // Its life, as verify tells it: the creation time.
    known: { byKey: { life: createdAt } },
    skip: snapshot.status === 'available' ? hubMadeSkip(snapshot.tags) : `${snapshot.status}, not available yet`,
  };
}

/**
 * The announced snapshot, from `SourceArn` (or `SourceIdentifier`). An ARN naming another account
 * or region than the event's sender is refused here: the hub reads a snapshot only through its
 * owner's reader role, by identifier.
 */
function snapshotRef(spec: RdsKindSpec<ArtifactKindName>, detail: z.infer<typeof detailSchema>, event: EventEnvelope): ArtifactRef {
  const arn =
    detail.SourceArn === undefined
      ? undefined
      : new RegExp(`^arn:aws[\\w-]*:rds:([a-z0-9-]+):(\\d{12}):${spec.arnType}:(.+)$`).exec(detail.SourceArn);
  const sourceId = arn?.[3] ?? detail.SourceIdentifier;
  if (!sourceId || (detail.SourceArn !== undefined && !arn)) {
    throw new Rejection('malformed-event', `${spec.detailType} names no ${spec.arnType} (SourceArn ${JSON.stringify(detail.SourceArn)})`);
  }
  if (arn && arn[1] !== event.region)
    throw new Rejection('region-mismatch', `event from region ${event.region} names ${spec.arnType} ${sourceId} in ${arn[1]}`);
  if (arn && arn[2] !== event.account)
    throw new Rejection('forged-ownership', `${spec.arnType} ${sourceId} belongs to ${arn[2]}, not to ${event.account} that announced it`);
  return { account: event.account, region: event.region, sourceId };
}

/** How a vault copy's "copy finished" event completes it: the event names the copy, the vault's Describe of it decides. */
function rdsCompletion<Name extends ArtifactKindName>(spec: RdsKindSpec<Name>): CopyCompletion<RDSClient> {
  return {
    copyNamed(event: EventEnvelope) {
      const parsed = detailSchema.safeParse(event.detail);
      if (!parsed.success)
        throw new Rejection('malformed-event', `${spec.detailType} detail is malformed: ${describeIssues(parsed.error)}`);
      if (!spec.copyFinishedEventIds.includes(parsed.data.EventID)) return { skip: `${parsed.data.EventID} in the vault settles no copy` };
      return { vaultCopyId: snapshotRef(spec, parsed.data, event).sourceId };
    },
    async read(vaultCopyId: string, deps: KindDeps<RDSClient>) {
      const copy = await spec.api.describe(inVault(deps), vaultCopyId);
      const source = sourceOfCopy(copy?.tags ?? {});
      return source ? { source, status: rdsCopyStatus(copy, vaultCopyId) } : { skip: `${vaultCopyId} is ${NOT_A_VAULT_COPY}` };
    },
  };
}

/** Where a vault copy stands, from its Describe (undefined: the vault does not see it). */
function rdsCopyStatus(copy: RdsSnapshotFacts | undefined, vaultCopyId: string): CopyStatus {
  if (!copy) return { status: 'missing' };
  if (copy.status === 'available') return { status: 'available' };
  if (copy.status === 'failed') return { status: 'failed', code: 'CopyFailedInAws', reason: `vault copy ${vaultCopyId} failed` };
  return { status: 'pending' };
}

/** A stable, valid identifier: RDS identifiers allow no colon (automated ids have one) and clusters allow 63 characters. */
function hubName(prefix: string, ...parts: string[]): string {
  return `${prefix}${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32)}`;
}

/** Per life: a lingering copy of an earlier life of the identifier is never taken for this one's. */
const lifeOf = (point: RecoveryPoint) => (point.life === undefined ? [] : [point.life]);
const intermediateName = (point: RecoveryPoint) => hubName(SHARE_PREFIX, point.sourceId, ...lifeOf(point));
const vaultCopyName = (point: RecoveryPoint) => hubName(HUB_PREFIX, point.account, point.region, point.sourceId, ...lifeOf(point));
const restoreName = (point: RecoveryPoint, account: string) => hubName(RESTORE_PREFIX, point.vaultCopyId!, account);

/**
 * The hub's snapshot of that name, once its tags confirm it is the one expected.
 * @throws PermanentFailure when someone else's snapshot holds the name
 */
async function findHubSnapshot(
  api: RdsSnapshotApi,
  rds: RDSClient,
  name: string,
  tags: Record<string, string>,
): Promise<RdsSnapshotFacts | undefined> {
  const found = await api.describe(rds, name);
  if (!found) return undefined;
  const mismatch = Object.entries(tags).find(([key, value]) => found.tags[key] !== value);
  if (mismatch)
    throw new PermanentFailure(
      `${name} exists but is not the hub's snapshot for this artifact (tag ${mismatch[0]} is ${JSON.stringify(found.tags[mismatch[0]])}, expected ${mismatch[1]})`,
      { code: 'NameTaken' },
    );
  if (found.status === 'failed') throw new PermanentFailure(`the hub's copy ${name} failed`, { code: 'CopyFailedInAws' });
  return found;
}

/**
 * Adds the vault to a snapshot's `restore` attribute. RDS refuses for good what the snapshot itself
 * forbids: an option group with permanent or persistent options ("You can't share a DB snapshot that
 * uses an option group with permanent or persistent options", RDS User Guide, "Sharing a DB snapshot").
 * @throws PermanentFailure about the artifact, with RDS's reason
 */
async function shareWithVault(api: RdsSnapshotApi, rds: RDSClient, identifier: string, vault: string): Promise<void> {
  try {
    await api.setRestore(rds, identifier, { add: [vault] });
  } catch (error) {
    if (!isAwsError(error, ...UNSHAREABLE)) throw error;
    throw new PermanentFailure(`${identifier} cannot be shared with the vault: ${describeError(error)}`, {
      cause: error,
      aboutArtifact: true,
    });
  }
}

/** The identifier of the hub's snapshot of that name (its intermediate-of tag confirms it), whatever its status; undefined when there is none. */
async function hubSnapshotNamed(api: RdsSnapshotApi, rds: RDSClient, name: string): Promise<string | undefined> {
  const found = await api.describe(rds, name);
  return found && found.tags[TAG.intermediateOf] !== undefined ? found.id : undefined;
}

/** The manual snapshot under the share key, in the source: automated and aws/rds snapshots cannot be shared. */
async function makeIntermediate(
  spec: RdsKindSpec<ArtifactKindName>,
  rds: RDSClient,
  point: RecoveryPoint,
  shareKeyArn: string,
): Promise<string> {
  const quota = copyQuotaKey(spec.name, point.account, point.region);
  const copy = await rdsCall(quota, () =>
    spec.api.copy(rds, {
      source: point.sourceId,
      target: intermediateName(point),
      kmsKeyId: shareKeyArn,
      tags: [{ Key: TAG.intermediateOf, Value: point.sourceId }],
    }),
  );
  return copy.id;
}

/** Maps RDS's quota refusals: a full snapshot or copy quota parks the point (CopyQuotaFull). */
async function rdsCall<T>(quota: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAwsError(error, ...QUOTA_ERRORS)) throw new CopyQuotaFull(`RDS quota ${quota} is full: ${describeError(error)}`, quota);
    throw error;
  }
}
