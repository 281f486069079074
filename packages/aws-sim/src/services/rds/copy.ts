import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import { type RdsFamily, type RdsOptionGroup, type RdsSnapshotStore, type SimRdsSnapshot, snapshotArn } from './snapshot.js';

/** The CopyDB(Cluster)Snapshot parameters that decide the copy. */
export interface RdsCopyRequest {
  /** An identifier of the caller's own snapshot, or the ARN of one in another region, or shared with it. */
  source: string;
  target: string;
  kmsKeyId?: string;
  /** The option group of the copy (DB snapshots only). */
  optionGroupName?: string;
  tags: Map<string, string>;
  copyTags: boolean;
}

/** What the copy becomes. */
export interface RdsCopyPlan {
  source: SimRdsSnapshot;
  encrypted: boolean;
  kmsKeyId?: string;
  optionGroup?: RdsOptionGroup;
  tags: Map<string, string>;
}

/**
 * What RDS asks KMS on the caller's behalf to read the source and encrypt the copy: it describes
 * each key and creates a grant on it for the new snapshot (RDS User Guide, "Sharing encrypted
 * snapshots": the recipient needs kms:CreateGrant and kms:DescribeKey on the source key).
 */
const KEY_ACTIONS = ['DescribeKey', 'CreateGrant'];

/** The two RDS limits a copy meets in its destination account and region. */
export interface RdsQuotas {
  manualSnapshots: number;
  concurrentCopies: number;
}

/**
 * Decides a copy into `region` for `caller`, or refuses it as RDS does. Unlike EBS, RDS checks
 * keys when the call is made: an inaccessible key fails the call with KMSKeyNotAccessibleFault.
 * @throws AwsError not-found and invalid-state faults, InvalidParameterValue, KMSKeyNotAccessibleFault, SnapshotQuotaExceeded (manual snapshots, or copies in progress)
 */
export function planRdsCopy(
  family: RdsFamily,
  store: RdsSnapshotStore,
  kms: KmsSim,
  request: RdsCopyRequest,
  caller: Principal,
  region: string,
  quotas: RdsQuotas,
): RdsCopyPlan {
  const source = store.copySource(caller.account, region, request.source);
  if (source.status !== 'available')
    throw new AwsError(family.errors.invalidState, `Snapshot ${source.id} is not in available state (it is ${source.status}).`);
  const foreign = source.owner !== caller.account;
  const crossRegion = source.region !== region;
  // "If you copy an encrypted DB snapshot that is shared from another AWS account, then you must specify" KmsKeyId, and so
  // "if you copy an encrypted snapshot to a different AWS Region": a key of the destination Region (CopyDBSnapshot, KmsKeyId).
  if ((foreign || crossRegion) && source.encrypted && request.kmsKeyId === undefined) throw keyNotAccessible('None');
  if (!source.encrypted && request.kmsKeyId !== undefined && !family.encryptsOnCopy) {
    throw new AwsError('InvalidParameterValue', `KmsKeyId should not be specified when copying an unencrypted ${family.label}.`);
  }
  const optionGroup = copiedOptionGroup(source, request, crossRegion);
  const encrypted = source.encrypted || request.kmsKeyId !== undefined;
  const destination = encrypted ? destinationKey(kms, request.kmsKeyId ?? source.kmsKeyId!, caller, region) : undefined;
  // Each key is used in its own Region: the source's where the source lives.
  if (source.kmsKeyId) authorizeKey(kms, source.kmsKeyId, caller, source.region);
  if (destination) authorizeKey(kms, destination, caller, region);
  if (store.get(caller.account, region, request.target)) {
    throw new AwsError(
      family.errors.alreadyExists,
      `Cannot copy the snapshot because a snapshot with the identifier ${request.target} already exists.`,
    );
  }
  if (store.manualCount(caller.account, region) >= quotas.manualSnapshots) {
    throw new AwsError(
      'SnapshotQuotaExceeded',
      `Cannot copy ${snapshotArn(family, source)}: the allowed number of manual snapshots (${quotas.manualSnapshots}) in ${region} would be exceeded.`,
    );
  }
  if (store.copyingCount(caller.account, region) >= quotas.concurrentCopies) {
    throw new AwsError(
      'SnapshotQuotaExceeded',
      `Cannot copy more than ${quotas.concurrentCopies} snapshots at a time into ${region}: wait for the copies in progress to complete.`,
    );
  }
  const tags = new Map([...(request.copyTags && !foreign ? source.tags : []), ...request.tags]);
  return { source, encrypted, kmsKeyId: destination, optionGroup, tags };
}

/**
 * The copy's option group. Within a Region it keeps the source's. Across Regions the option group
 * named by OptionGroupName, which "if your source DB instance uses Transparent Data Encryption for
 * Oracle or Microsoft SQL Server, you must specify … when copying across … Regions" (CopyDBSnapshot,
 * OptionGroupName): a source whose option group holds permanent or persistent options is refused without it.
 * @throws AwsError InvalidParameterCombination
 */
function copiedOptionGroup(source: SimRdsSnapshot, request: RdsCopyRequest, crossRegion: boolean): RdsOptionGroup | undefined {
  if (request.optionGroupName !== undefined)
    return { name: request.optionGroupName, persistentOptions: source.optionGroup?.persistentOptions ?? false };
  if (!crossRegion) return source.optionGroup;
  if (source.optionGroup?.persistentOptions) {
    throw new AwsError(
      'InvalidParameterCombination',
      `The snapshot's option group ${source.optionGroup.name} holds permanent or persistent options: specify OptionGroupName, an option group of the destination Region with those options.`,
    );
  }
  return undefined;
}

/** The requested key, resolved in the caller's account and region (ids, aliases, ARNs). */
function destinationKey(kms: KmsSim, keyId: string, caller: Principal, region: string): string {
  try {
    return kms.resolveKey(keyId, caller.account, region).arn;
  } catch (error) {
    if (error instanceof AwsError) throw keyNotAccessible(keyId);
    throw error;
  }
}

function authorizeKey(kms: KmsSim, keyArn: string, caller: Principal, region: string): void {
  try {
    // RDS refuses a key that "does not exist, is not enabled or you do not have permissions to access it" (its fault's message).
    if (!kms.resolveKey(keyArn, caller.account, region).enabled) throw keyNotAccessible(keyArn);
    for (const action of KEY_ACTIONS)
      kms.authorize(keyArn, caller, action, { viaService: `rds.${region}.amazonaws.com`, grantIsForAwsResource: action === 'CreateGrant' });
  } catch (error) {
    if (error instanceof AwsError) throw keyNotAccessible(keyArn);
    throw error;
  }
}

/** RDS's message, as reported in awslabs/aurora-snapshot-tool#25. */
function keyNotAccessible(keyId: string): AwsError {
  return new AwsError(
    'KMSKeyNotAccessibleFault',
    `Specified KMS key [${keyId}] does not exist, is not enabled or you do not have permissions to access it.`,
  );
}
