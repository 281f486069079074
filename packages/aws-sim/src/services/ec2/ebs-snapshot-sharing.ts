import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { KmsSim } from '../kms/kms.js';
import type { SimSnapshot } from './ebs-snapshot.js';
import { shareSnapshotEvent } from './ebs-snapshot-events.js';

/** One createVolumePermission entry: an account, or the group `all` (public). */
export interface VolumePermission {
  userId?: string;
  group?: string;
}

export interface PermissionChanges {
  add: VolumePermission[];
  remove: VolumePermission[];
}

/**
 * Applies createVolumePermission changes as ModifySnapshotAttribute does, all or nothing. AWS
 * refuses to share a snapshot encrypted with the AWS managed key, and to make an encrypted
 * snapshot public. Nothing in the EBS documentation restricts sharing to completed snapshots, so a
 * pending snapshot can be shared (copying it still waits for `completed`). Every account newly
 * given access receives AWS's `shareSnapshot` event.
 * @throws AwsError InvalidParameterValue, OperationNotPermitted
 */
export function changePermissions(snapshot: SimSnapshot, changes: PermissionChanges, kms: KmsSim, cloud: CloudCore): void {
  for (const permission of [...changes.add, ...changes.remove]) validatePermission(permission);
  if (changes.add.length > 0) refuseUnshareable(snapshot, changes.add, kms);
  const newcomers = changes.add.flatMap((p) => (p.userId && !snapshot.sharedWith.has(p.userId) ? [p.userId] : []));
  for (const p of changes.add) setPermission(snapshot, p, true);
  for (const p of changes.remove) setPermission(snapshot, p, false);
  // Only accounts the simulation knows have a default bus to receive the event.
  for (const account of newcomers.filter((a) => a !== snapshot.owner && cloud.account(a)))
    cloud.emitServiceEvent(shareSnapshotEvent(snapshot, account, cloud.clock.now()));
}

function setPermission(snapshot: SimSnapshot, permission: VolumePermission, granted: boolean): void {
  if (permission.userId === undefined) snapshot.isPublic = granted;
  else if (granted) snapshot.sharedWith.add(permission.userId);
  else snapshot.sharedWith.delete(permission.userId);
}

/**
 * A permission entry as EC2 validates it, for snapshots and AMIs alike.
 * @throws AwsError InvalidParameterValue
 */
export function validatePermission(permission: VolumePermission): void {
  if (permission.userId !== undefined && !/^\d{12}$/.test(permission.userId)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${permission.userId}) for parameter userId is invalid. Expected a 12-digit AWS account ID.`,
    );
  }
  if (permission.userId === undefined && permission.group !== 'all') {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${permission.group ?? ''}) for parameter group is invalid. The only valid group is 'all'.`,
    );
  }
}

function refuseUnshareable(snapshot: SimSnapshot, added: VolumePermission[], kms: KmsSim): void {
  if (!snapshot.encrypted) return;
  // EC2's answer, as quoted in hashicorp/packer#7499 and #8271.
  if (kms.key(snapshot.kmsKeyId ?? '')?.keyManager === 'AWS')
    throw new AwsError('OperationNotPermitted', 'Encrypted snapshots with EBS default key cannot be shared');
  if (added.some((p) => p.group === 'all')) throw new AwsError('OperationNotPermitted', 'Encrypted snapshots cannot be made public.');
}
