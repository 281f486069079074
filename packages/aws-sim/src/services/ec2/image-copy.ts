import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import type { SnapshotStore } from './ebs-snapshot.js';
import { type CopyPlan, planCopy, SOURCE_NOT_VALID } from './ebs-snapshot-copy.js';
import type { ImageBlockDevice, ImageStore, SimImage } from './image.js';

/** The CopyImage parameters that decide the copy. */
export interface ImageCopyRequest {
  sourceRegion: string;
  sourceImageId: string;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** What a requested AMI copy becomes: each backing snapshot's copy, and whether the copy is doomed. */
export interface ImageCopyPlan {
  source: SimImage;
  devices: { device: ImageBlockDevice; plan: CopyPlan }[];
  /** Why the copy fails: it is accepted, then the AMI turns `failed` with this reason. */
  failure?: string;
}

/** EC2's refusal when the caller may launch the AMI but not read its snapshots (quoted in awslabs/amazon-eks-ami#52). */
export const NO_STORAGE_ACCESS = 'You do not have permission to access the storage of this ami';

/**
 * Decides a CopyImage request into `region` for `caller`. The caller needs to see the AMI (own it,
 * or hold launch permission) and every backing snapshot (createVolumePermission), as the EC2 User
 * Guide requires for cross-account copies; each backing snapshot is then planned as CopySnapshot
 * plans it, so key problems show later, as a failed AMI.
 * @throws AwsError InvalidAMIID.NotFound, IncorrectState, InvalidRequest, InvalidParameterDependency
 */
export function planImageCopy(
  request: ImageCopyRequest,
  caller: Principal,
  region: string,
  stores: { images: ImageStore; snapshots: SnapshotStore },
  kms: KmsSim,
): ImageCopyPlan {
  const source = stores.images.visible(caller.account, request.sourceRegion, request.sourceImageId);
  if (source.state !== 'available')
    throw new AwsError('IncorrectState', `Image '${source.id}' is not in the 'available' state (it is '${source.state}').`);
  const devices = source.blockDevices.map((device) => ({
    device,
    plan: planCopy(
      { sourceRegion: request.sourceRegion, sourceSnapshotId: device.snapshotId, encrypted: request.encrypted, kmsKeyId: request.kmsKeyId },
      caller,
      region,
      stores.snapshots,
      kms,
    ),
  }));
  if (devices.some((d) => d.plan.failure === SOURCE_NOT_VALID)) throw new AwsError('InvalidRequest', NO_STORAGE_ACCESS);
  return { source, devices, failure: devices.find((d) => d.plan.failure)?.plan.failure };
}
