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
import { Deferral, Rejection } from '../../core/errors.js';
import { arnRegion, parseArn } from '../../events/arn.js';
import { describeIssues, type EventEnvelope } from '../../events/envelope.js';
import {
  type ArtifactKind,
  type ArtifactRef,
  type CopyStatus,
  inSource,
  inVault,
  type KindDeps,
  type ListedArtifact,
  type RestoreTarget,
  type ShareProgress,
  type SourceArtifact,
  type SourceRegion,
  type Triggers,
  type VaultCopy,
} from '../common/artifact-kind.js';
import { EC2_FILTER_VALUES, EC2_PAGE, liveRestoreCopy, tagFilters, withCopyQuota } from '../common/ec2-calls.js';
import { chunks, hubMadeSkip, inventoryPage } from '../common/inventory.js';
import { provenanceTags, restoreTags, sourceIdentityTags, TAG, tagMap } from '../common/provenance-tags.js';
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
    if (detail.result !== 'succeeded') return { skip: `${detail.event} ${detail.result}${detail.cause ? `: ${detail.cause}` : ''}` };
    const arns =
      detail.event === 'createSnapshots'
        ? (detail.snapshots ?? []).filter((s) => s.status === undefined || s.status === 'completed').map((s) => s.snapshot_id)
        : [detail.snapshot_id];
    const refs = arns.map((arn) => snapshotRef(arn, event));
    return refs.length ? { refs } : { skip: `${detail.event} announced no completed snapshot` };
  },

  async verify(ref: ArtifactRef, deps: KindDeps<EC2Client>): Promise<SourceArtifact> {
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
    if (snapshot.State !== 'completed')
      throw new Deferral(`snapshot ${ref.sourceId} is ${snapshot.State}, not completed yet`, PENDING_RETRY_SECONDS);
    const tags = tagMap(snapshot.Tags);
    const key = snapshot.Encrypted && snapshot.KmsKeyId ? await deps.keys.describe(ref.account, ref.region, snapshot.KmsKeyId) : undefined;
    await deps.keys.requireListed(ref.account, ref.region, `snapshot ${ref.sourceId}`, key);
    return {
      ref,
      resourceId: snapshot.VolumeId ?? 'unknown-volume',
      createdAt: (snapshot.StartTime ?? deps.now()).toISOString(),
      encryption: key === undefined ? 'none' : key.awsManaged ? 'aws-managed' : 'customer',
      keyArn: key?.arn,
      tags,
      intermediateOf: tags[TAG.intermediateOf],
    };
  },

  async prepareShare(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<ShareProgress> {
    const ec2 = inSource(deps, point.account, point.region);
    const shareKey = await deps.keys.shareKey(point.account, point.region);
    if (point.sourceEncryption === 'none' || point.sourceKeyArn === shareKey.arn) {
      await share(ec2, point.sourceId, deps.vault.account);
      return { status: 'ready', sharedId: point.sourceId };
    }
    const intermediate =
      (point.intermediateId && (await describeSnapshot(ec2, point.intermediateId))) || (await findIntermediate(ec2, point.sourceId));
    if (!intermediate) return { status: 'reencrypting', intermediateId: await reencrypt(ec2, point, shareKey.arn) };
    if (intermediate.State === 'error')
      throw new Error(`re-encrypted copy ${intermediate.SnapshotId} failed: ${intermediate.StateMessage ?? 'no reason given'}`);
    if (intermediate.State !== 'completed') return { status: 'reencrypting', intermediateId: intermediate.SnapshotId! };
    await share(ec2, intermediate.SnapshotId!, deps.vault.account);
    return { status: 'ready', sharedId: intermediate.SnapshotId! };
  },

  async findCopy(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<VaultCopy | undefined> {
    const existing = await findTagged(inVault(deps), sourceIdentityTags(point));
    return existing && { vaultCopyId: existing.SnapshotId!, vaultKeyArn: existing.KmsKeyId ?? deps.vault.keyArn };
  },

  async copy(point: RecoveryPoint, sharedId: string, deps: KindDeps<EC2Client>): Promise<VaultCopy> {
    const ec2 = inVault(deps);
    const vaultKeyArn = deps.vault.keyArn;
    const { SnapshotId } = await withCopyQuota(copyQuotaKey('ebs-snapshot', deps.vault.account, deps.vault.region), QUOTA, () =>
      ec2.send(
        new CopySnapshotCommand({
          SourceRegion: point.region,
          SourceSnapshotId: sharedId,
          Encrypted: true,
          KmsKeyId: vaultKeyArn,
          Description: `backup-hub copy of ${point.account}/${point.region}/${point.sourceId}`,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: provenanceTags(point) }],
        }),
      ),
    );
    return { vaultCopyId: SnapshotId!, vaultKeyArn };
  },

  async copyStatus(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<CopyStatus> {
    const copy = await describeSnapshot(inVault(deps), point.vaultCopyId!);
    if (!copy) return { status: 'failed', reason: `vault copy ${point.vaultCopyId} no longer exists` };
    if (copy.State === 'completed') return { status: 'available' };
    if (copy.State === 'error')
      return { status: 'failed', reason: `vault copy ${point.vaultCopyId} failed: ${copy.StateMessage ?? 'no reason given'}` };
    return { status: 'pending' };
  },

  async cleanup(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<void> {
    const ec2 = inSource(deps, point.account, point.region);
    if (point.intermediateId) {
      await ignoreNotFound(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: point.intermediateId })), 'InvalidSnapshot.NotFound');
    } else {
      await ignoreNotFound(
        () =>
          ec2.send(
            new ModifySnapshotAttributeCommand({
              SnapshotId: point.sourceId,
              Attribute: 'createVolumePermission',
              OperationType: 'remove',
              UserIds: [deps.vault.account],
            }),
          ),
        'InvalidSnapshot.NotFound',
      );
    }
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
    const ec2 = inVault(deps);
    const tags = restoreTags(point, target.account);
    const copy = await restoreCopy(ec2, tags);
    if (!copy) {
      const { SnapshotId } = await withCopyQuota(copyQuotaKey('ebs-snapshot', deps.vault.account, deps.vault.region), QUOTA, () =>
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
      return { status: 'in-progress' as const, detail: `re-encrypting ${point.vaultCopyId} as ${SnapshotId} under ${target.keyAlias}` };
    }
    if (copy.State !== 'completed')
      return { status: 'in-progress' as const, detail: `re-encrypting as ${copy.SnapshotId} (${copy.Progress ?? 'pending'})` };
    await share(ec2, copy.SnapshotId!, target.account);
    return { status: 'usable' as const, restoredId: copy.SnapshotId!, detail: `under ${target.keyAlias}, shared with ${target.account}` };
  },
};

async function restoreCopy(ec2: EC2Client, tags: { Key: string; Value: string }[]): Promise<Snapshot | undefined> {
  const { Snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilters(tagMap(tags)) }));
  return liveRestoreCopy(Snapshots, (s) =>
    s.State === 'error' ? `restore copy ${s.SnapshotId} failed: ${s.StateMessage ?? 'no reason given'}` : undefined,
  );
}

/** A snapshot as the sweep lists it: only a completed one that the hub did not make is for the vault. */
function listedSnapshot(source: SourceRegion, snapshot: Snapshot): ListedArtifact {
  const tags = tagMap(snapshot.Tags);
  return {
    ref: { ...source, sourceId: snapshot.SnapshotId! },
    sourceId: snapshot.SnapshotId!,
    resourceId: snapshot.VolumeId ?? 'unknown-volume',
    createdAt: (snapshot.StartTime ?? new Date(0)).toISOString(),
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

async function findTagged(ec2: EC2Client, tags: Record<string, string>): Promise<Snapshot | undefined> {
  const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilters(tags) }));
  return Snapshots?.find((s) => s.State !== 'error');
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

async function share(ec2: EC2Client, snapshotId: string, vaultAccountId: string): Promise<void> {
  await ec2.send(
    new ModifySnapshotAttributeCommand({
      SnapshotId: snapshotId,
      Attribute: 'createVolumePermission',
      OperationType: 'add',
      UserIds: [vaultAccountId],
    }),
  );
}
