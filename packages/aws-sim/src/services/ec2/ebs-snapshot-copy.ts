import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import { canSee, eventSnapshotArn, type SnapshotStore } from './ebs-snapshot.js';

/** The CopySnapshot parameters that decide the copy. */
export interface CopyRequest {
  sourceRegion: string;
  sourceSnapshotId: string;
  encrypted: boolean;
  kmsKeyId?: string;
}

/** What a requested copy becomes: its shape, and whether it is doomed. */
export interface CopyPlan {
  sourceArn: string;
  volumeSizeGiB: number;
  encrypted: boolean;
  /** The destination key ARN (or the identifier the request gave, when it does not resolve). */
  kmsKeyId?: string;
  /** Why the copy fails. EC2 accepts such a request, then fails the copy (state `error`, this message). */
  failure?: string;
}

/** The cause AWS's documented failed `copySnapshot` event gives for a source it cannot use. */
export const SOURCE_NOT_VALID = 'Source snapshot ID is not valid';
/** The StateMessage of a copy made without permission to use a key (EBS User Guide, "Copy a snapshot"). */
export const KEY_NOT_ACCESSIBLE = 'Given key ID is not accessible';

/**
 * What EBS asks KMS on the caller's behalf (EBS User Guide, "Permissions for copying encrypted
 * snapshots" and "Share the KMS key used to encrypt a shared snapshot"): it describes both keys and
 * creates grants on them for the copy; it decrypts the data key under the source key and re-encrypts
 * it from there to the destination key, generating one when the source is unencrypted.
 */
const SOURCE_KEY_ACTIONS = ['DescribeKey', 'CreateGrant', 'Decrypt', 'ReEncryptFrom'];
const DESTINATION_KEY_ACTIONS = ['DescribeKey', 'CreateGrant', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptTo'];
/**
 * "Users of your shared customer managed key who are accessing encrypted snapshots must be granted
 * permissions to perform the following actions on the key: kms:DescribeKey, kms:CreateGrant,
 * kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncrypt, kms:Decrypt" (EBS User
 * Guide, "Share the KMS key used to encrypt a shared snapshot").
 */
const SHARED_SOURCE_KEY_ACTIONS = [...SOURCE_KEY_ACTIONS, 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext'];

/**
 * Decides a CopySnapshot request into `region` for `caller`. Problems with the request itself fail
 * the call; problems with the source or a key only show later in the copy, as AWS documents ("the
 * operation fails silently"; "AWS authenticates the KMS key asynchronously").
 * @throws AwsError InvalidParameterDependency, IncorrectState
 */
export function planCopy(request: CopyRequest, caller: Principal, region: string, store: SnapshotStore, kms: KmsSim): CopyPlan {
  if (request.kmsKeyId !== undefined && !request.encrypted) {
    throw new AwsError('InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set.');
  }
  const sourceArn = eventSnapshotArn(request.sourceRegion, request.sourceSnapshotId);
  const source = store.get(request.sourceRegion, request.sourceSnapshotId);
  if (!source || !canSee(source, caller.account)) {
    return { sourceArn, volumeSizeGiB: 0, encrypted: request.encrypted, kmsKeyId: request.kmsKeyId, failure: SOURCE_NOT_VALID };
  }
  if (source.state !== 'completed') throw new AwsError('IncorrectState', `Snapshot '${source.id}' is not 'completed'.`);
  const encrypted = source.encrypted || request.encrypted;
  if (!encrypted) return { sourceArn, volumeSizeGiB: source.volumeSizeGiB, encrypted };
  const destination = destinationKey(request.kmsKeyId, caller, region, kms);
  const checks = [
    ...(source.kmsKeyId
      ? [
          {
            keyArn: source.kmsKeyId,
            region: source.region,
            actions: source.owner === caller.account ? SOURCE_KEY_ACTIONS : SHARED_SOURCE_KEY_ACTIONS,
          },
        ]
      : []),
    ...(destination.arn ? [{ keyArn: destination.arn, region, actions: DESTINATION_KEY_ACTIONS }] : []),
  ];
  const failure = destination.arn ? keyFailure(kms, caller, checks) : KEY_NOT_ACCESSIBLE;
  return { sourceArn, volumeSizeGiB: source.volumeSizeGiB, encrypted, kmsKeyId: destination.arn ?? request.kmsKeyId, failure };
}

/** The requested key in the caller's account and region, or the caller's `aws/ebs` key when none is given. */
function destinationKey(kmsKeyId: string | undefined, caller: Principal, region: string, kms: KmsSim): { arn?: string } {
  if (kmsKeyId === undefined) return { arn: kms.awsManagedKey(caller.account, region, 'ebs').arn };
  try {
    return { arn: kms.resolveKey(kmsKeyId, caller.account, region).arn };
  } catch (error) {
    if (error instanceof AwsError) return {};
    throw error;
  }
}

function keyFailure(kms: KmsSim, caller: Principal, checks: { keyArn: string; region: string; actions: string[] }[]): string | undefined {
  try {
    for (const { keyArn, region, actions } of checks) {
      for (const action of actions)
        kms.authorize(keyArn, caller, action, {
          viaService: `ec2.${region}.amazonaws.com`,
          grantIsForAwsResource: action === 'CreateGrant',
        });
    }
    return undefined;
  } catch (error) {
    if (error instanceof AwsError) return KEY_NOT_ACCESSIBLE;
    throw error;
  }
}
