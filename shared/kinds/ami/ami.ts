import { createHash } from 'node:crypto';
import {
  CopyImageCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DisableImageDeregistrationProtectionCommand,
  type EC2Client,
  EnableImageDeregistrationProtectionCommand,
  type Image,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import * as z from 'zod/mini';
import { ignoreNotFound } from '../../aws/aws-errors.js';
import { ec2Client } from '../../aws/clients.js';
import type { RecoveryPoint, SourceEncryption } from '../../catalog/recovery-point.js';
import { copyQuotaKey } from '../../core/copy-quota.js';
import { Deferral, PermanentFailure, Rejection } from '../../core/errors.js';
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
import { EC2_FILTER_VALUES, EC2_PAGE, liveRestoreCopy, lockSnapshots, withCopyQuota } from '../common/ec2-calls.js';
import { chunks, hubMadeSkip, inventoryPage } from '../common/inventory.js';
import { NOT_A_VAULT_COPY, provenanceTags, restoreTags, sourceIdentityTags, sourceOfCopy, TAG, tagMap } from '../common/provenance-tags.js';
import {
  backingSnapshotIds,
  backingSnapshots,
  deleteTaggedSnapshots,
  describeImage,
  findTaggedImage,
  GONE_IMAGE,
  ownTaggedImages,
  shareImage,
} from './ami-images.js';
import { pattern } from './manifest.js';

const PENDING_RETRY_SECONDS = 120;
const QUOTA = 'AMI copy';

/** The documented detail of `EC2 AMI State Change` (EC2 User Guide, "Monitor AMI events using Amazon EventBridge"). */
const detailSchema = z.object({
  ImageId: z.string().check(z.regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id')),
  State: z.string(),
  ErrorMessage: z.optional(z.string()),
});

/** AMIs announced by `EC2 AMI State Change` once `available`; the vault copy is a re-encrypted CopyImage. */
export const ami: ArtifactKind<'ami', EC2Client> = {
  name: 'ami',
  sdk: ec2Client,
  detailTypes: pattern['detail-type'],

  triggers(event: EventEnvelope): Triggers {
    const parsed = detailSchema.safeParse(event.detail);
    if (!parsed.success) throw new Rejection('malformed-event', `AMI event detail is malformed: ${describeIssues(parsed.error)}`);
    const { ImageId, State } = parsed.data;
    // A failed image may be the hub's own re-encrypting copy: verify tells, and fails its point at once.
    if (State === 'available' || State === 'failed') return { refs: [{ account: event.account, region: event.region, sourceId: ImageId }] };
    // A backup outlives its source: that is what it is for.
    if (State === 'deregistered') return { skip: `${ImageId} deregistered in the source; the vault copy is kept` };
    return { skip: `${ImageId} ${State} is not a backup trigger` };
  },

  async verify(ref: ArtifactRef, deps: KindDeps<EC2Client>): Promise<Verified> {
    const ec2 = inSource(deps, ref.account, ref.region);
    const image = await describeImage(ec2, ref.sourceId);
    if (!image) {
      throw new Rejection(
        'not-found',
        `image ${ref.sourceId} does not exist in ${ref.account}/${ref.region} as seen by that account's reader role (forged or stale event)`,
      );
    }
    if (image.OwnerId !== ref.account) {
      throw new Rejection(
        'forged-ownership',
        `image ${ref.sourceId} is owned by ${image.OwnerId}, not by ${ref.account} that announced it`,
      );
    }
    const tags = tagMap(image.Tags);
    const intermediateOf = tags[TAG.intermediateOf];
    if (intermediateOf !== undefined) return { found: 'intermediate', ref, intermediateOf };
    if (image.State === 'pending') throw new Deferral(`image ${ref.sourceId} is pending, not available yet`, PENDING_RETRY_SECONDS);
    if (image.State !== 'available') {
      const why = image.StateReason?.Message ? ` (${image.StateReason.Message})` : '';
      throw new Rejection('not-copyable', `image ${ref.sourceId} is ${image.State} in the source${why}, nothing to copy`);
    }
    return confirmed({
      ref,
      resourceId: resourceOf(image),
      createdAt: image.CreationDate ?? deps.now().toISOString(),
      ...(await encryptionOf(ref, await backingSnapshots(ec2, image), deps)),
      tags,
    });
  },

  async prepareShare(point: RecoveryPoint, deps: KindDeps<EC2Client>, fresh?: boolean): Promise<ShareProgress> {
    // Only a hub-made copy under the share key is ever shared: IAM has no condition key for the
    // accounts added to an AMI, so the reader may share hub intermediates only (by their tag), and
    // the share key's policy keeps them to the vault.
    const ec2 = inSource(deps, point.account, point.region);
    const shareKey = await deps.keys.shareKey(point.account, point.region);
    const intermediate =
      (point.intermediateId && (await describeImage(ec2, point.intermediateId))) ||
      (fresh ? undefined : await findTaggedImage(ec2, { [TAG.intermediateOf]: point.sourceId }));
    if (!intermediate) return { status: 'reencrypting', intermediateId: await reencrypt(ec2, point, shareKey.arn) };
    if (intermediate.State === 'failed')
      throw new PermanentFailure(
        `re-encrypted copy ${intermediate.ImageId} failed: ${intermediate.StateReason?.Message ?? 'no reason given'}`,
        { code: intermediate.StateReason?.Code ?? 'CopyFailedInAws' },
      );
    if (intermediate.State !== 'available') return { status: 'reencrypting', intermediateId: intermediate.ImageId! };
    await shareImage(ec2, intermediate, deps.vault.account);
    return { status: 'ready', sharedId: intermediate.ImageId! };
  },

  async findCopy(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<VaultCopy | undefined> {
    const existing = await findTaggedImage(inVault(deps), sourceIdentityTags(point));
    return existing && { vaultCopyId: existing.ImageId!, vaultKeyArn: deps.vault.keyArn };
  },

  copy: (point: RecoveryPoint, sharedId: string, deps: KindDeps<EC2Client>) =>
    copyIntoVault(point, { region: point.region, imageId: sharedId, token: 'vault-copy' }, deps),

  // A copy there taken up again (it failed, or the integrity sweep found it gone) is a new CopyImage:
  // the token of the first would return the first AMI, and its name stays taken a while after it goes.
  copyAcross: (point: RecoveryPoint, fromRegion: string, deps: KindDeps<EC2Client>) =>
    copyIntoVault(
      point,
      {
        region: fromRegion,
        imageId: point.vaultCopyId!,
        token: 'region-copy',
        copyAttempt: point.copies?.find((c) => c.region === deps.vault.region)?.attempt ?? 1,
      },
      deps,
    ),

  async copyStatus(point: RecoveryPoint, deps: KindDeps<EC2Client>): Promise<CopyStatus> {
    return imageStatus(await describeImage(inVault(deps), point.vaultCopyId!), point.vaultCopyId!);
  },

  completion: {
    copyNamed(event: EventEnvelope) {
      const parsed = detailSchema.safeParse(event.detail);
      if (!parsed.success) throw new Rejection('malformed-event', `AMI state change detail is malformed: ${describeIssues(parsed.error)}`);
      const { ImageId, State } = parsed.data;
      return State === 'available' || State === 'failed'
        ? { vaultCopyId: ImageId }
        : { skip: `${ImageId} ${State} in the vault settles no copy` };
    },
    async read(vaultCopyId: string, deps: KindDeps<EC2Client>) {
      const copy = await describeImage(inVault(deps), vaultCopyId);
      const source = sourceOfCopy(tagMap(copy?.Tags));
      return source ? { source, status: imageStatus(copy, vaultCopyId) } : { skip: `${vaultCopyId} is ${NOT_A_VAULT_COPY}` };
    },
  },

  // Every snapshot of the copy is locked; deregistration protection (with its 24-hour cooldown) keeps the image itself registered.
  async lockVaultCopy(point: RecoveryPoint, terms: ProviderLockTerms, deps: KindDeps<EC2Client>) {
    const ec2 = inVault(deps);
    const image = await describeImage(ec2, point.vaultCopyId!);
    const snapshotIds = (image?.BlockDeviceMappings ?? []).flatMap((d) => (d.Ebs?.SnapshotId ? [d.Ebs.SnapshotId] : []));
    if (!image || snapshotIds.length === 0)
      throw new PermanentFailure(`vault copy ${point.vaultCopyId} shows no snapshots to lock`, { code: 'CopyFailedInAws' });
    const lock = await lockSnapshots(ec2, snapshotIds, terms);
    if (!image.DeregistrationProtection?.startsWith('enabled'))
      await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: image.ImageId, WithCooldown: true }));
    return lock;
  },

  async cleanup(point: RecoveryPoint, deps: KindDeps<EC2Client>, scope): Promise<string[]> {
    const ec2 = inSource(deps, point.account, point.region);
    const removed: string[] = [];
    const intermediateTag = { [TAG.intermediateOf]: point.sourceId };
    // After a completed copy the record names what the copy went through; otherwise a crash may have left more.
    // The source image itself is never shared (only the intermediate is), so nothing else is to take back.
    const intermediates = new Set(point.intermediateId ? [point.intermediateId] : []);
    if (scope === 'abandoned') for (const image of await ownTaggedImages(ec2, intermediateTag)) intermediates.add(image.ImageId!);
    for (const id of intermediates) {
      const deregistered = await ignoreNotFound(() => ec2.send(new DeregisterImageCommand({ ImageId: id })), ...GONE_IMAGE);
      if (deregistered) removed.push(`deregistered the intermediate image ${id}`);
    }
    // The snapshots outlive the deregistered image; they carry the same tag (CopyImage tagged them).
    for (const id of await deleteTaggedSnapshots(ec2, intermediateTag)) removed.push(`deleted the intermediate image's snapshot ${id}`);
    return removed;
  },

  async deleteVaultCopy(point: RecoveryPoint, deps: KindDeps<EC2Client>) {
    const ec2 = inVault(deps);
    const image = await describeImage(ec2, point.vaultCopyId!);
    // A deregistered image stays visible for a while; deregistering it again is refused.
    if (image && image.State !== 'deregistered') {
      await liftDeregistrationProtection(ec2, image);
      await ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId }));
    }
    // The copy's snapshots outlive the image; CopyImage tagged them with the provenance tags, which a retried deletion finds too.
    const snapshots = await deleteTaggedSnapshots(ec2, sourceIdentityTags(point));
    return { deleted: [point.vaultCopyId!, ...snapshots] };
  },

  async inventory(source: SourceRegion, token: string | undefined, deps: KindDeps<EC2Client>) {
    const ec2 = inSource(deps, source.account, source.region);
    return inventoryPage(token, {
      images: async (NextToken) => {
        const page = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: EC2_PAGE, NextToken }));
        return { artifacts: (page.Images ?? []).map((i) => listedImage(source, i)), next: page.NextToken };
      },
      instances: async (NextToken) => {
        const page = await ec2.send(new DescribeInstancesCommand({ MaxResults: EC2_PAGE, NextToken }));
        const instances = (page.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
        return { resources: instances.map((i) => ({ resourceId: i.InstanceId!, tags: tagMap(i.Tags) })), next: page.NextToken };
      },
    });
  },

  async missingCopies(points: RecoveryPoint[], deps: KindDeps<EC2Client>) {
    const ec2 = inVault(deps);
    const { Images = [] } = await ec2.send(
      new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'image-id', Values: points.map((p) => p.vaultCopyId!) }] }),
    );
    const listed = new Map(Images.map((i) => [i.ImageId!, i]));
    const missing = new Map<string, string>();
    const images = new Map<string, Image>();
    for (const point of points) {
      // A listing can lag behind (eventual consistency): the image itself has the last word.
      const image = listed.get(point.vaultCopyId!) ?? (await describeImage(ec2, point.vaultCopyId!));
      if (image?.State === 'available') images.set(point.pk, image);
      else
        missing.set(
          point.pk,
          image ? `vault copy ${point.vaultCopyId} is ${image.State}` : `vault copy ${point.vaultCopyId} no longer exists`,
        );
    }
    // A vault copy is only as good as its snapshots.
    const completed = await completedSnapshots(ec2, [...images.values()].flatMap(backingSnapshotIds));
    for (const [pk, image] of images) {
      const gone = backingSnapshotIds(image).filter((id) => !completed.has(id));
      if (gone.length) missing.set(pk, `vault copy ${image.ImageId} lost its snapshot${gone.length > 1 ? 's' : ''} ${gone.join(', ')}`);
    }
    return missing;
  },

  restoreActions(point: RecoveryPoint, target: RestoreTarget) {
    return [
      {
        call: 'ec2:CopyImage',
        what: `copy ${point.vaultCopyId} in the vault, its snapshots re-encrypted under ${target.keyAlias} (a key ${target.account} may use)`,
      },
      { call: 'ec2:ModifyImageAttribute', what: `give ${target.account} launch permission on that copy` },
      { call: 'ec2:ModifySnapshotAttribute', what: `share the copy's snapshots with ${target.account} (createVolumePermission)` },
    ];
  },

  async restore(point: RecoveryPoint, target: RestoreTarget, deps: KindDeps<EC2Client>) {
    const ec2 = inRestoreRegion(deps, target);
    const tags = restoreTags(point, target.account);
    const copy = await restoreCopy(ec2, tags);
    if (!copy) {
      const name = `backup-hub-restore-${target.account}-${point.vaultCopyId}`;
      const imageId = await copyImage(ec2, copyQuotaKey('ami', deps.vault.account, target.region), {
        sourceRegion: deps.vault.region,
        sourceImageId: point.vaultCopyId!,
        name,
        // A request repeated after a lost answer (the copy not yet found by its tags) gets the same AMI.
        clientToken: createHash('sha256').update(`${name}|${target.region}`).digest('hex'),
        description: `backup-hub restore of ${point.account}/${point.region}/${point.sourceId} for ${target.account}`,
        kmsKeyId: target.keyArn,
        tags,
      });
      return {
        status: 'in-progress' as const,
        detail: `re-encrypting ${point.vaultCopyId}${acrossRegions(deps, target)} as ${imageId} under ${target.keyAlias}`,
      };
    }
    if (copy.State !== 'available') return { status: 'in-progress' as const, detail: `re-encrypting as ${copy.ImageId} (${copy.State})` };
    await shareImage(ec2, copy, target.account);
    return {
      status: 'usable' as const,
      restoredId: copy.ImageId!,
      detail: `its snapshots under ${target.keyAlias} in ${target.region}, launchable by ${target.account}`,
    };
  },
};

async function restoreCopy(ec2: EC2Client, tags: { Key: string; Value: string }[]): Promise<Image | undefined> {
  return liveRestoreCopy(await ownTaggedImages(ec2, tagMap(tags)), (i) =>
    i.State === 'failed' ? `restore copy ${i.ImageId} failed: ${i.StateReason?.Message ?? 'no reason given'}` : undefined,
  );
}

/**
 * What an AMI protects: the instance CreateImage made it of (EC2 keeps `SourceInstanceId`), so that
 * an instance's AMIs are one resource; an image registered otherwise stands for itself, by name.
 */
const resourceOf = (image: Image): string => image.SourceInstanceId ?? image.Name ?? image.ImageId!;

/** An image as the sweep lists it: only an available one that the hub did not make is for the vault. */
function listedImage(source: SourceRegion, image: Image): ListedArtifact {
  const tags = tagMap(image.Tags);
  return {
    ref: { ...source, sourceId: image.ImageId! },
    sourceId: image.ImageId!,
    resourceId: resourceOf(image),
    createdAt: image.CreationDate ?? new Date(0).toISOString(),
    known: { byKey: {} },
    skip: image.State === 'available' ? hubMadeSkip(tags) : `${image.State ?? 'in an unknown state'}, not available`,
  };
}

/** Of the given snapshot ids, those the caller owns and that are completed (one DescribeSnapshots per 200). */
async function completedSnapshots(ec2: EC2Client, ids: string[]): Promise<Set<string>> {
  const completed = new Set<string>();
  for (const Values of chunks(ids, EC2_FILTER_VALUES)) {
    const { Snapshots = [] } = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'snapshot-id', Values }] }),
    );
    for (const s of Snapshots) if (s.State === 'completed') completed.add(s.SnapshotId!);
  }
  return completed;
}

/**
 * How an image is encrypted, from its backing snapshots: any snapshot under an AWS managed key
 * makes it unshareable; one customer key is recorded (it may be the share key); several keys, or
 * a mix, leave no single key, so the image is re-encrypted.
 */
async function encryptionOf(
  ref: ArtifactRef,
  snapshots: Snapshot[],
  deps: KindDeps<EC2Client>,
): Promise<{ encryption: SourceEncryption; keyArn?: string }> {
  const keyIds = [...new Set(snapshots.flatMap((s) => (s.Encrypted && s.KmsKeyId ? [s.KmsKeyId] : [])))];
  const keys = await Promise.all(keyIds.map((id) => deps.keys.describe(ref.account, ref.region, id)));
  for (const key of keys) await deps.keys.requireListed(ref.account, ref.region, `image ${ref.sourceId}`, key);
  if (keys.length === 0) return { encryption: 'none' };
  if (keys.some((k) => k.awsManaged)) return { encryption: 'aws-managed' };
  const single = keys.length === 1 && snapshots.every((s) => s.Encrypted);
  return { encryption: 'customer', keyArn: single ? keys[0]!.arn : undefined };
}

/** "If true, enforces deregistration protection for 24 hours after deregistration protection is disabled" (EnableImageDeregistrationProtection). */
const PROTECTION_COOLDOWN_SECONDS = 24 * 3600;

/**
 * Disables the deregistration protection the hub set on a vault copy. It was set with a cooldown:
 * AWS refuses deregistration for 24 hours after, so the deletion is deferred to a later run.
 * @throws Deferral while the cooldown runs
 */
async function liftDeregistrationProtection(ec2: EC2Client, image: Image): Promise<void> {
  const protection = image.DeregistrationProtection ?? 'disabled';
  if (protection === 'disabled') return;
  if (protection.startsWith('enabled')) {
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: image.ImageId }));
    if (protection === 'enabled') return;
    throw new Deferral(
      `lifted the deregistration protection of ${image.ImageId}: AWS refuses its deregistration for 24 hours (cooldown); a run after that deletes it`,
      PROTECTION_COOLDOWN_SECONDS,
    );
  }
  throw new Deferral(
    `${image.ImageId}: deregistration protection ${protection} (cooldown); a run after that deletes it`,
    PROTECTION_COOLDOWN_SECONDS,
  );
}

function reencrypt(ec2: EC2Client, point: RecoveryPoint, shareKeyArn: string): Promise<string> {
  return copyImage(ec2, copyQuotaKey('ami', point.account, point.region), {
    sourceRegion: point.region,
    sourceImageId: point.sourceId,
    name: attemptName(point, `backup-hub-share-${point.sourceId}`),
    clientToken: clientToken(point, 'share-copy'),
    description: `backup-hub: ${point.sourceId} re-encrypted under the share key for the vault; deregistered after the vault copy`,
    kmsKeyId: shareKeyArn,
    tags: [{ Key: TAG.intermediateOf, Value: point.sourceId }],
  });
}

/**
 * A copy's name for this attempt at the point. AMI names are unique per account and region, failed and
 * recently deregistered images included: the copy of a reopened point cannot take the failed one's name.
 */
/** Where a vault copy stands, from its Describe (undefined: the vault does not see it). */
function imageStatus(copy: Image | undefined, vaultCopyId: string): CopyStatus {
  if (!copy) return { status: 'missing' };
  if (copy.State === 'available') return { status: 'available' };
  if (copy.State === 'pending') return { status: 'pending' };
  return {
    status: 'failed',
    // EC2's StateReason code (Client.…, Server.…) names the cause.
    code: copy.StateReason?.Code ?? 'CopyFailedInAws',
    reason: `vault copy ${vaultCopyId} is ${copy.State}: ${copy.StateReason?.Message ?? 'no reason given'}`,
  };
}

function attemptName(point: RecoveryPoint, name: string): string {
  return (point.attempt ?? 1) > 1 ? `${name}-attempt-${point.attempt}` : name;
}

/** CopyImage's idempotency token for this copy of this attempt: a request repeated after a lost answer gets the same AMI. */
function clientToken(point: RecoveryPoint, copy: 'vault-copy' | 'region-copy' | 'share-copy', copyAttempt = 1): string {
  return createHash('sha256')
    .update(`${point.pk}|${point.attempt ?? 1}|${copy}${copyAttempt > 1 ? `|${copyAttempt}` : ''}`)
    .digest('hex')
    .slice(0, 64);
}

/** Copies an image into `deps.vault` (its region and key), the image and its snapshots tagged with the point's provenance. */
async function copyIntoVault(
  point: RecoveryPoint,
  from: { region: string; imageId: string; token: 'vault-copy' | 'region-copy'; copyAttempt?: number },
  deps: KindDeps<EC2Client>,
): Promise<VaultCopy> {
  const again = (from.copyAttempt ?? 1) > 1 ? `-copy-${from.copyAttempt}` : '';
  const vaultKeyArn = deps.vault.keyArn;
  const vaultCopyId = await copyImage(inVault(deps), copyQuotaKey('ami', deps.vault.account, deps.vault.region), {
    sourceRegion: from.region,
    sourceImageId: from.imageId,
    name: `${attemptName(point, `backup-hub-${point.account}-${point.region}-${point.sourceId}`)}${again}`,
    clientToken: clientToken(point, from.token, from.copyAttempt),
    description: `backup-hub copy of ${point.account}/${point.region}/${point.sourceId}`,
    kmsKeyId: vaultKeyArn,
    tags: provenanceTags(point),
  });
  return { vaultCopyId, vaultKeyArn };
}

interface ImageCopy {
  sourceRegion: string;
  sourceImageId: string;
  name: string;
  /** CopyImage's ClientToken (64 ASCII characters at most), when the copy must be made once only. */
  clientToken?: string;
  description: string;
  kmsKeyId: string;
  /** Put on the new AMI and on its snapshots, so both can be found (and cleaned up) by tag. */
  tags: { Key: string; Value: string }[];
}

/** CopyImage from the point's region, encrypted under the given key; a full AMI copy quota makes the point wait. */
async function copyImage(ec2: EC2Client, quota: string, copy: ImageCopy): Promise<string> {
  const { ImageId } = await withCopyQuota(quota, QUOTA, () =>
    ec2.send(
      new CopyImageCommand({
        SourceRegion: copy.sourceRegion,
        SourceImageId: copy.sourceImageId,
        Name: copy.name,
        ClientToken: copy.clientToken,
        Description: copy.description,
        Encrypted: true,
        KmsKeyId: copy.kmsKeyId,
        TagSpecifications: [
          { ResourceType: 'image', Tags: copy.tags },
          { ResourceType: 'snapshot', Tags: copy.tags },
        ],
      }),
    ),
  );
  return ImageId!;
}
