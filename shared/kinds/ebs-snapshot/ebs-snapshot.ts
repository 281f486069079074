import {
  CopySnapshotCommand,
  DeleteSnapshotCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  ModifySnapshotAttributeCommand,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import * as z from 'zod/mini';
import { ignoreNotFound, isAwsError } from '../../aws/aws-errors.js';
import { ec2Client } from '../../aws/clients.js';
import type { RecoveryPoint } from '../../catalog/recovery-point.js';
import { copyQuotaKey } from '../../core/copy-quota.js';
import { Deferral, PermanentFailure, Rejection } from '../../core/errors.js';
import { arnRegion, parseArn } from '../../events/arn.js';
import { describeIssues, type EventEnvelope } from '../../events/envelope.js';
import {
  type ArtifactKind,
  type ArtifactRef,
  acrossRegions,
  type CopyStatus,
  confirmed,
  inRestoreRegion,
  inSource,
  inVault,
  type KindDeps,
  type ListedArtifact,
  type ProviderLockTerms,
  type RestoreTarget,
  type ShareProgress,
  type SourceRegion,
  type Triggers,
  type VaultCopy,
  type Verified,
} from '../common/artifact-kind.js';
import { EC2_FILTER_VALUES, EC2_PAGE, liveRestoreCopy, lockSnapshots, tagFilters, withCopyQuota } from '../common/ec2-calls.js';
import { chunks, hubMadeSkip, inventoryPage } from '../common/inventory.js';
import { NOT_A_VAULT_COPY, provenanceTags, restoreTags, sourceIdentityTags, sourceOfCopy, TAG, tagMap } from '../common/provenance-tags.js';
import { pattern } from './manifest.js';

/** Events that mean a new snapshot exists in the source (shareSnapshot is about someone else's). */
const TRIGGERS = new Set(['createSnapshot', 'createSnapshots', 'copySnapshot']);
const QUOTA = 'snapshot copy';
const PENDING_RETRY_SECONDS = 120;

const detailSchema = z.object({
  event: z.string(),
  result: z.string(),
  cause: z.optional(z.string()),
  snapshot_id: z.optional(z.string()),
  snapshots: z.optional(z.array(z.object({ snapshot_id: z.string(), status: z.optional(z.string()) }))),
});

/** EBS snapshots announced by `EBS Snapshot Notification` and `EBS Multi-Volume Snapshots Completion Status`. */
export const ebsSnapshot: ArtifactKind<'ebs-snapshot', EC2Client> = {
  name: 'ebs-snapshot',
  sdk: ec2Client,
  detailTypes: pattern['detail-type'],

  triggers(event: EventEnvelope): Triggers {
    const parsed = detailSchema.safeParse(event.detail);
    if (!parsed.success) throw new Rejection('malformed-event', `EBS snapshot event detail is malformed: ${describeIssues(parsed.error)}`);
    const detail = parsed.data;
    if (!TRIGGERS.has(detail.event)) return { skip: `${detail.event} is not a backup trigger` };
    // A failed copySnapshot may be the hub's own re-encrypting copy: verify tells, and fails its point at once.
    // A failed createSnapshots set can hold snapshots that completed: those are backed up.
    const examined = detail.result === 'succeeded' || detail.event === 'copySnapshot' || detail.event === 'createSnapshots';
    if (!examined) return { skip: `${detail.event} ${detail.result}${detail.cause ? `: ${detail.cause}` : ''}` };
    const arns =
      detail.event === 'createSnapshots'
        ? (detail.snapshots ?? []).filter((s) => s.status === undefined || s.status === 'completed').map((s) => s.snapshot_id)
        : [detail.snapshot_id];
    const refs = arns.map((arn) => snapshotRef(arn, event));
    return refs.length
      ? { refs }
      : { skip: `${detail.event} ${detail.result}: no completed snapshot${detail.cause ? ` (${detail.cause})` : ''}` };
  },

  async verify(ref: ArtifactRef, deps: KindDeps<EC2Client>): Promise<Verified> {
    const snapshot = await describeSnapshot(inSource(deps, ref.account, ref.region), ref.sourceId);
    if (!snapshot) {
      throw new Rejection(
        'not-found',
        `snapshot ${ref.sourceId} does not exist in ${ref.account}/${ref.region} as seen by that account's reader role (forged or stale event)`,
      );
    }
    if (snapshot.OwnerId !== ref.account) {
      throw new Rejection(
        'forged-ownership',
        `snapshot ${ref.sourceId} is owned by ${snapshot.OwnerId}, not by ${ref.account} that announced it`,
      );
    }
    const tags = tagMap(snapshot.Tags);
    const owningImage = imageThatMade(snapshot, tags);
    if (owningImage !== undefined)
      return {
        found: 'part-of-another',
        ref,
        skip: `${ref.sourceId} belongs to AMI ${owningImage}: it is backed up with that AMI (or is the hub's own AMI intermediate)`,
      };
    const intermediateOf = tags[TAG.intermediateOf];
    if (intermediateOf !== undefined) return { found: 'intermediate', ref, intermediateOf };
    if (snapshot.State === 'error')
      throw new Rejection(
        'not-found',
        `snapshot ${ref.sourceId} failed in the source (${snapshot.StateMessage ?? 'no reason given'}): nothing to copy`,
      );
    if (snapshot.State !== 'completed')
      throw new Deferral(`snapshot ${ref.sourceId} is ${snapshot.State}, not completed yet`, PENDING_RETRY_SECONDS);
    const key = snapshot.Encrypted && snapshot.KmsKeyId ? await deps.keys.describe(ref.account, ref.region, snapshot.KmsKeyId) : undefined;
    await deps.keys.requireListed(ref.account, ref.region, `snapshot ${ref.sourceId}`, key);
    return confirmed({
      ref,
      resourceId: snapshot.VolumeId ?? 'unknown-volume',
      createdAt: (snapshot.StartTime ?? deps.now()).toISOString(),
      encryption: key === undefined ? 'none' : key.awsManaged ? 'aws-managed' : 'customer',
      keyArn: key?.arn,
      tags,
    });
  },

  async prepareShare(point: RecoveryPoint, deps: KindDeps<EC2Client>, fresh?: boolean): Promise<ShareProgress> {
    const ec2 = inSource(deps, point.account, point.region);
    const shareKey = await deps.keys.shareKey(point.account, point.region);
    if (point.sourceEncryption === 'none' || point.sourceKeyArn === shareKey.arn) {
      await share(ec2, point.sourceId, deps.vault.account);
      return { status: 'ready', sharedId: point.sourceId };
    }
    const intermediate =
      (point.intermediateId && (await describeSnapshot(ec2, point.intermediateId))) ||
      (fresh ? undefined : await findIntermediate(ec2, point.sourceId));
    if (!intermediate) return { status: 'reencrypting', intermediateId: await reencrypt(ec2, point, shareKey.arn) };
    if (intermediate.State === 'error') {
      // Deleted with the point's other leftovers when the failure is recorded.
      throw new PermanentFailure(`re-encrypted copy ${intermediate.SnapshotId} failed: ${intermediate.StateMessage ?? 'no reason given'}`, {
        code: 'CopyFailedInAws',
      });
    }
    if (intermediate.State !== 'completed') return { status: 'reencrypting', intermediateId: intermediate.SnapshotId! };
    await share(ec2, intermediate.SnapshotId!, deps.vault.account);
    return { status: 'ready', sharedId: intermediate.SnapshotId! };
  },

  async findCopy(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<VaultCopy | undefined> {
    const existing = await findTagged(inVault(deps), sourceIdentityTags(point));
    return existing && { vaultCopyId: existing.SnapshotId!, vaultKeyArn: existing.KmsKeyId ?? deps.vault.keyArn };
  },

  copy: (point: RecoveryPoint, sharedId: string, deps: KindDeps<EC2Client>) =>
    copyIntoVault(point, { region: point.region, snapshotId: sharedId }, deps),

  copyAcross: (point: RecoveryPoint, fromRegion: string, deps: KindDeps<EC2Client>) =>
    copyIntoVault(point, { region: fromRegion, snapshotId: point.vaultCopyId! }, deps),

  async copyStatus(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<CopyStatus> {
    return snapshotStatus(await describeSnapshot(inVault(deps), point.vaultCopyId!), point.vaultCopyId!);
  },

  completion: {
    copyNamed(event: EventEnvelope) {
      const parsed = detailSchema.safeParse(event.detail);
      if (!parsed.success)
        throw new Rejection('malformed-event', `EBS snapshot event detail is malformed: ${describeIssues(parsed.error)}`);
      if (parsed.data.event !== 'copySnapshot') return { skip: `${parsed.data.event} in the vault is no vault copy settling` };
      return { vaultCopyId: snapshotRef(parsed.data.snapshot_id, event).sourceId };
    },
    async read(vaultCopyId: string, deps: KindDeps<EC2Client>) {
      const copy = await describeSnapshot(inVault(deps), vaultCopyId);
      const tags = tagMap(copy?.Tags);
      // A vault AMI copy's snapshots carry its provenance too: the AMI's own completion speaks for them.
      const image = copy && imageThatMade(copy, tags);
      if (image) return { skip: `${vaultCopyId} belongs to AMI ${image}: it completes with that AMI` };
      const source = sourceOfCopy(tags);
      return source ? { source, status: snapshotStatus(copy, vaultCopyId) } : { skip: `${vaultCopyId} is ${NOT_A_VAULT_COPY}` };
    },
  },

  lockVaultCopy: (point: RecoveryPoint, terms: ProviderLockTerms, deps: KindDeps<EC2Client>) =>
    lockSnapshots(inVault(deps), [point.vaultCopyId!], terms),

  async cleanup(point: RecoveryPoint, deps: KindDeps<EC2Client>, scope): Promise<string[]> {
    const ec2 = inSource(deps, point.account, point.region);
    const removed: string[] = [];
    // After a completed copy the record names what the copy went through; otherwise a crash may have left more.
    const intermediates = new Set(point.intermediateId ? [point.intermediateId] : []);
    if (scope === 'abandoned')
      for (const s of await ownTagged(ec2, { [TAG.intermediateOf]: point.sourceId })) intermediates.add(s.SnapshotId!);
    for (const id of intermediates) {
      const deleted = await ignoreNotFound(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: id })), 'InvalidSnapshot.NotFound');
      if (deleted) removed.push(`deleted the intermediate copy ${id}`);
    }
    const shared = scope === 'completed' ? !point.intermediateId : await isSharedWith(ec2, point.sourceId, deps.vault.account);
    if (shared) {
      const unshared = await ignoreNotFound(
        () => ec2.send(volumePermission(point.sourceId, 'remove', deps.vault.account)),
        'InvalidSnapshot.NotFound',
      );
      if (unshared) removed.push(`removed the vault's createVolumePermission on ${point.sourceId}`);
    }
    return removed;
  },

  async deleteVaultCopy(point: RecoveryPoint, deps: KindDeps<EC2Client>) {
    const ec2 = inVault(deps);
    await ignoreNotFound(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: point.vaultCopyId })), 'InvalidSnapshot.NotFound');
    return { deleted: [point.vaultCopyId!] };
  },

  async inventory(source: SourceRegion, token: string | undefined, deps: KindDeps<EC2Client>) {
    const ec2 = inSource(deps, source.account, source.region);
    return inventoryPage(token, {
      snapshots: async (NextToken) => {
        const page = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: EC2_PAGE, NextToken }));
        return { artifacts: (page.Snapshots ?? []).map((s) => listedSnapshot(source, s)), next: page.NextToken };
      },
      volumes: async (NextToken) => {
        const page = await ec2.send(new DescribeVolumesCommand({ MaxResults: EC2_PAGE, NextToken }));
        return { resources: (page.Volumes ?? []).map((v) => ({ resourceId: v.VolumeId!, tags: tagMap(v.Tags) })), next: page.NextToken };
      },
    });
  },

  // An AMI's snapshots are the AMI's: its own kind protects them with it (one DescribeImages per 200 snapshots).
  async screen(source: SourceRegion, unknown: ListedArtifact[], deps: KindDeps<EC2Client>) {
    const ec2 = inSource(deps, source.account, source.region);
    const owned = new Set<string>();
    for (const ids of chunks(
      unknown.map((a) => a.sourceId),
      EC2_FILTER_VALUES,
    )) {
      const { Images = [] } = await ec2.send(
        new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'block-device-mapping.snapshot-id', Values: ids }] }),
      );
      for (const image of Images) for (const m of image.BlockDeviceMappings ?? []) if (m.Ebs?.SnapshotId) owned.add(m.Ebs.SnapshotId);
    }
    return unknown.filter((a) => !owned.has(a.sourceId));
  },

  async missingCopies(points: RecoveryPoint[], deps: KindDeps<EC2Client>) {
    const ec2 = inVault(deps);
    const { Snapshots = [] } = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values: points.map((p) => p.vaultCopyId!) }] }),
    );
    const usable = new Set(Snapshots.filter((s) => s.State === 'completed').map((s) => s.SnapshotId));
    const missing = new Map<string, string>();
    for (const point of points.filter((p) => !usable.has(p.vaultCopyId))) {
      // A listing can lag behind (eventual consistency): the snapshot itself has the last word.
      const copy = await describeSnapshot(ec2, point.vaultCopyId!);
      if (copy?.State !== 'completed')
        missing.set(
          point.pk,
          copy ? `vault copy ${point.vaultCopyId} is ${copy.State}` : `vault copy ${point.vaultCopyId} no longer exists`,
        );
    }
    return missing;
  },

  restoreActions(point: RecoveryPoint, target: RestoreTarget) {
    return [
      {
        call: 'ec2:CopySnapshot',
        what: `copy ${point.vaultCopyId} in the vault, re-encrypted under ${target.keyAlias} (a key ${target.account} may use)`,
      },
      { call: 'ec2:ModifySnapshotAttribute', what: `share that copy with ${target.account} (createVolumePermission)` },
    ];
  },

  async restore(point: RecoveryPoint, target: RestoreTarget, deps: KindDeps<EC2Client>) {
    const ec2 = inRestoreRegion(deps, target);
    const tags = restoreTags(point, target.account);
    const copy = await restoreCopy(ec2, tags);
    if (!copy) {
      const { SnapshotId } = await withCopyQuota(copyQuotaKey('ebs-snapshot', deps.vault.account, target.region), QUOTA, () =>
        ec2.send(
          new CopySnapshotCommand({
            SourceRegion: deps.vault.region,
            SourceSnapshotId: point.vaultCopyId,
            Encrypted: true,
            KmsKeyId: target.keyArn,
            Description: `backup-hub restore of ${point.account}/${point.region}/${point.sourceId} for ${target.account}`,
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
          }),
        ),
      );
      return {
        status: 'in-progress' as const,
        detail: `re-encrypting ${point.vaultCopyId}${acrossRegions(deps, target)} as ${SnapshotId} under ${target.keyAlias}`,
      };
    }
    if (copy.State !== 'completed')
      return { status: 'in-progress' as const, detail: `re-encrypting as ${copy.SnapshotId} (${copy.Progress ?? 'pending'})` };
    await share(ec2, copy.SnapshotId!, target.account);
    return {
      status: 'usable' as const,
      restoredId: copy.SnapshotId!,
      detail: `under ${target.keyAlias} in ${target.region}, shared with ${target.account}`,
    };
  },
};

/** Copies a snapshot into `deps.vault` (its region and key), tagged with the point's provenance. */
async function copyIntoVault(
  point: RecoveryPoint,
  from: { region: string; snapshotId: string },
  deps: KindDeps<EC2Client>,
): Promise<VaultCopy> {
  const vaultKeyArn = deps.vault.keyArn;
  const { SnapshotId } = await withCopyQuota(copyQuotaKey('ebs-snapshot', deps.vault.account, deps.vault.region), QUOTA, () =>
    inVault(deps).send(
      new CopySnapshotCommand({
        SourceRegion: from.region,
        SourceSnapshotId: from.snapshotId,
        Encrypted: true,
        KmsKeyId: vaultKeyArn,
        Description: `backup-hub copy of ${point.account}/${point.region}/${point.sourceId}`,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: provenanceTags(point) }],
      }),
    ),
  );
  return { vaultCopyId: SnapshotId!, vaultKeyArn };
}

async function restoreCopy(ec2: EC2Client, tags: { Key: string; Value: string }[]): Promise<Snapshot | undefined> {
  const { Snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilters(tagMap(tags)) }));
  return liveRestoreCopy(Snapshots, (s) =>
    s.State === 'error' ? `restore copy ${s.SnapshotId} failed: ${s.StateMessage ?? 'no reason given'}` : undefined,
  );
}

/** Where a vault copy stands, from its Describe (undefined: the vault does not see it). */
function snapshotStatus(copy: Snapshot | undefined, vaultCopyId: string): CopyStatus {
  if (!copy) return { status: 'missing' };
  if (copy.State === 'completed') return { status: 'available' };
  if (copy.State === 'error')
    return {
      status: 'failed',
      code: 'CopyFailedInAws',
      reason: `vault copy ${vaultCopyId} failed: ${copy.StateMessage ?? 'no reason given'}`,
    };
  return { status: 'pending' };
}

/** A snapshot as the sweep lists it: only a completed one that the hub did not make is for the vault. */
function listedSnapshot(source: SourceRegion, snapshot: Snapshot): ListedArtifact {
  const tags = tagMap(snapshot.Tags);
  return {
    ref: { ...source, sourceId: snapshot.SnapshotId! },
    sourceId: snapshot.SnapshotId!,
    resourceId: snapshot.VolumeId ?? 'unknown-volume',
    createdAt: (snapshot.StartTime ?? new Date(0)).toISOString(),
    known: { byKey: {} },
    skip: snapshot.State === 'completed' ? hubMadeSkip(tags) : `${snapshot.State ?? 'in an unknown state'}, not completed yet`,
  };
}

function snapshotRef(arn: string | undefined, event: EventEnvelope): ArtifactRef {
  const parsed = arn === undefined ? undefined : parseArn(arn);
  const sourceId = parsed?.resource.match(/^snapshot\/(snap-[0-9a-f]+)$/)?.[1];
  if (!parsed || !sourceId) throw new Rejection('malformed-event', `EBS snapshot event names no snapshot ARN (got ${JSON.stringify(arn)})`);
  const region = arnRegion(parsed);
  if (region !== undefined && region !== event.region) {
    throw new Rejection('region-mismatch', `event from region ${event.region} names snapshot ${sourceId} in ${region}`);
  }
  return { account: event.account, region: event.region, sourceId };
}

async function describeSnapshot(ec2: EC2Client, snapshotId: string): Promise<Snapshot | undefined> {
  try {
    const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    return Snapshots?.[0];
  } catch (error) {
    if (isAwsError(error, 'InvalidSnapshot.NotFound')) return undefined;
    throw error;
  }
}

/**
 * The AMI a snapshot was made for, if any. EC2 describes the snapshots CreateImage takes as "Created by
 * CreateImage(i-…) for ami-…" and those CopyImage makes as "Copied for DestinationAmi ami-…"; the hub's
 * own AMI intermediates carry its intermediate-of tag naming the source AMI. Such a snapshot is backed
 * up with its AMI, whether or not AWS announces it as an EBS snapshot too.
 */
function imageThatMade(snapshot: Snapshot, tags: Record<string, string>): string | undefined {
  const intermediateOf = tags[TAG.intermediateOf];
  if (intermediateOf?.startsWith('ami-')) return intermediateOf;
  return /^(?:Created by CreateImage\([^)]*\) for|Copied for DestinationAmi) (ami-[0-9a-f]+)/.exec(snapshot.Description ?? '')?.[1];
}

/** The caller's own snapshots carrying every given tag, in any state. */
async function ownTagged(ec2: EC2Client, tags: Record<string, string>): Promise<Snapshot[]> {
  const { Snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilters(tags) }));
  return Snapshots;
}

/** The caller's own snapshot carrying every given tag, unless it failed (a failed copy is made again). */
async function findTagged(ec2: EC2Client, tags: Record<string, string>): Promise<Snapshot | undefined> {
  return (await ownTagged(ec2, tags)).find((s) => s.State !== 'error');
}

/** Whether the owner's snapshot gives `account` createVolumePermission (DescribeSnapshots' RestorableByUserIds). */
async function isSharedWith(ec2: EC2Client, snapshotId: string, account: string): Promise<boolean> {
  try {
    const { Snapshots = [] } = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId], OwnerIds: ['self'], RestorableByUserIds: [account] }),
    );
    return Snapshots.length > 0;
  } catch (error) {
    if (isAwsError(error, 'InvalidSnapshot.NotFound')) return false;
    throw error;
  }
}

function volumePermission(snapshotId: string, operation: 'add' | 'remove', account: string): ModifySnapshotAttributeCommand {
  return new ModifySnapshotAttributeCommand({
    SnapshotId: snapshotId,
    Attribute: 'createVolumePermission',
    OperationType: operation,
    UserIds: [account],
  });
}

function findIntermediate(ec2: EC2Client, sourceId: string): Promise<Snapshot | undefined> {
  return findTagged(ec2, { [TAG.intermediateOf]: sourceId });
}

async function reencrypt(ec2: EC2Client, point: RecoveryPoint, shareKeyArn: string): Promise<string> {
  const { SnapshotId } = await withCopyQuota(copyQuotaKey('ebs-snapshot', point.account, point.region), QUOTA, () =>
    ec2.send(
      new CopySnapshotCommand({
        SourceRegion: point.region,
        SourceSnapshotId: point.sourceId,
        Encrypted: true,
        KmsKeyId: shareKeyArn,
        Description: `backup-hub: ${point.sourceId} re-encrypted under the share key for the vault; deleted after the vault copy`,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAG.intermediateOf, Value: point.sourceId }] }],
      }),
    ),
  );
  return SnapshotId!;
}

async function share(ec2: EC2Client, snapshotId: string, account: string): Promise<void> {
  await ec2.send(volumePermission(snapshotId, 'add', account));
}
