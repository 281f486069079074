import {
  DeleteSnapshotCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  type EC2Client,
  type Image,
  ModifyImageAttributeCommand,
  ModifySnapshotAttributeCommand,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { ignoreNotFound, isAwsError } from '../../aws/aws-errors.js';
import { tagFilters } from '../common/ec2-calls.js';

/** An image as its account sees it, or undefined when that account cannot see it. */
export async function describeImage(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
  try {
    const { Images } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return Images?.[0];
  } catch (error) {
    if (isAwsError(error, 'InvalidAMIID.NotFound')) return undefined;
    throw error;
  }
}

/** What DeregisterImage answers for an image that is gone, or deregistered already. */
export const GONE_IMAGE = ['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'];

/** The caller's own images carrying every given tag, but for deregistered ones (which DescribeImages still shows for a while). */
export async function ownTaggedImages(ec2: EC2Client, tags: Record<string, string>): Promise<Image[]> {
  const { Images = [] } = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: tagFilters(tags) }));
  return Images.filter((i) => i.State !== 'deregistered');
}

/** The caller's own image carrying every given tag, unless it failed (a failed copy is made again). */
export async function findTaggedImage(ec2: EC2Client, tags: Record<string, string>): Promise<Image | undefined> {
  // A failed or deregistered image (still listed for a while after it went) is no copy to go on with.
  return (await ownTaggedImages(ec2, tags)).find((i) => i.State !== 'failed' && i.State !== 'deregistered');
}

/** The ids of an image's EBS snapshots (one per block device). */
export function backingSnapshotIds(image: Image): string[] {
  return (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
}

/** The image's backing snapshots as its owner describes them: their encryption and keys are not part of DescribeImages. */
export async function backingSnapshots(ec2: EC2Client, image: Image): Promise<Snapshot[]> {
  const ids = backingSnapshotIds(image);
  if (ids.length === 0) return [];
  const { Snapshots } = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ids }));
  return Snapshots ?? [];
}

/**
 * Shares an image with an account: launch permission on the image and createVolumePermission on
 * each backing snapshot, both of which a cross-account CopyImage needs (EC2 User Guide,
 * "Cross-account copying").
 */
export async function shareImage(ec2: EC2Client, image: Image, account: string): Promise<void> {
  await ec2.send(new ModifyImageAttributeCommand({ ImageId: image.ImageId, LaunchPermission: { Add: [{ UserId: account }] } }));
  for (const snapshotId of backingSnapshotIds(image)) {
    await ec2.send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: snapshotId,
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        UserIds: [account],
      }),
    );
  }
}

/**
 * Deletes the caller's snapshots carrying every given tag (what a deregistered image leaves behind).
 * @returns the ids deleted
 */
export async function deleteTaggedSnapshots(ec2: EC2Client, tags: Record<string, string>): Promise<string[]> {
  const { Snapshots = [] } = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilters(tags) }));
  for (const snapshot of Snapshots) {
    await ignoreNotFound(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot.SnapshotId })), 'InvalidSnapshot.NotFound');
  }
  return Snapshots.map((s) => s.SnapshotId!);
}
