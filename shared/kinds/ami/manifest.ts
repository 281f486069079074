import type { EventPattern, Statement } from '../../../accounts/stack/cloudformation.js';
import { allOf, type KindManifest, type RestoreLandingScope } from '../common/manifest.js';
import { TAG } from '../common/provenance-tags.js';
import {
  describeInTheVault,
  drKeyStatements,
  ec2Arn,
  lockVaultSnapshots,
  PROVENANCE_TAG_KEYS,
  RESTORE_TAG_KEYS,
  readVaultCopiesThroughEc2,
  reencryptingCopyKeyStatements,
  restoreAcrossKeyStatements,
  restoreCopyKeyStatements,
  shareIntermediateSnapshotsWithTheVaultOnly,
  shareWithTheRecoveryAccountOnly,
  vaultCopyKeyStatements,
} from '../common/statements.js';

/**
 * EC2 user guide, "Monitor AMI events". `failed` and `deregistered` are routed so that the handler
 * records them (skipped; a deregistered AMI keeps its vault copy); `disabled` is not a backup trigger.
 */
export const pattern = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 AMI State Change'],
  detail: { State: ['available', 'failed', 'deregistered'] },
} as const satisfies EventPattern;

/** A restore copy of an image, made in its region, launchable and its snapshots usable by its recovery account only. */
const restoreLanding = (s: RestoreLandingScope): Statement[] => [
  {
    Sid: 'CopyVaultCopiesForARestore',
    Effect: 'Allow',
    Action: 'ec2:CopyImage',
    Resource: [ec2Arn(s.vaultRegion, 'image'), ec2Arn(s.vaultRegion, 'snapshot')],
    Condition: { Null: { [`aws:RequestTag/${TAG.restoreFor}`]: 'false' } },
  },
  {
    Sid: 'TagRestoreCopiesOnCreationOnly',
    Effect: 'Allow',
    Action: 'ec2:CreateTags',
    Resource: [ec2Arn(s.vaultRegion, 'image'), ec2Arn(s.vaultRegion, 'snapshot')],
    Condition: { StringEquals: { 'ec2:CreateAction': 'CopyImage' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': RESTORE_TAG_KEYS } },
  },
  describeInTheVault(s, 'DescribeVaultImages', 'ec2:DescribeImages'),
  shareWithTheRecoveryAccountOnly(s, 'LetTheirRecoveryAccountOnlyLaunchRestoreCopies', 'ec2:ModifyImageAttribute', 'image'),
  shareWithTheRecoveryAccountOnly(s, 'ShareRestoreCopySnapshotsWithTheirRecoveryAccountOnly', 'ec2:ModifySnapshotAttribute', 'snapshot'),
  ...restoreCopyKeyStatements(s),
];

/**
 * Facts (EC2 User Guide, "Grant permissions to copy Amazon EC2 AMIs"): ec2:CopyImage also grants
 * copying the backing snapshots; ec2:CreateTags with CopyImage's TagSpecifications tags the new AMI
 * and its snapshots (ec2:CreateAction = CopyImage). Since 2024-10-28 CopyImage is also authorized on
 * the source image and snapshots. A cross-account copy needs launch permission on the image and
 * createVolumePermission on its snapshots, and the keys.
 */
export const manifest: KindManifest = {
  pattern,
  // The vault's own CopyImage settling: EC2 sends the state change in the AMI owner's account and region.
  completion: { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'], detail: { State: ['available', 'failed'] } },
  queue: {
    timeout: 120,
    // At most 10 CopyImage calls in flight from this queue, within the 100 concurrent AMI copies a
    // destination region allows ("Destination Regions are limited to 100 concurrent AMI copies", EC2
    // User Guide, Copy an AMI). Beyond the quota (ResourceLimitExceeded) the point waits in the
    // catalog until the reconciler finds a free slot.
    batchSize: 5,
    maximumConcurrency: 2,
    copyQuota: 100,
  },

  sharesThrough: 'ec2',

  vault: (s) => [
    {
      // The request goes to the vault's region; the source image may be in any of the sources' regions.
      Sid: 'CopySharedImagesIntoTheVault',
      Effect: 'Allow',
      Action: 'ec2:CopyImage',
      Resource: [ec2Arn('*', 'image'), ec2Arn('*', 'snapshot')],
      Condition: allOf(
        { Null: { [`aws:RequestTag/${TAG.sourceId}`]: 'false' }, StringEquals: { 'aws:RequestedRegion': s.vaultRegion } },
        s.inSources,
      ),
    },
    {
      Sid: 'TagVaultCopiesOnCreationOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: [ec2Arn(s.vaultRegion, 'image'), ec2Arn(s.vaultRegion, 'snapshot')],
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopyImage' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': PROVENANCE_TAG_KEYS } },
    },
    // The integrity sweep (acting through this role) also checks that a vault image's snapshots are still there.
    describeInTheVault(s, 'DescribeVaultImagesAndTheirSnapshots', ['ec2:DescribeImages', 'ec2:DescribeSnapshots']),
    ...lockVaultSnapshots(s),
    protectFromDeregistration(s.vaultRegion, 'ProtectVaultCopiesFromDeregistration'),
    ...vaultCopyKeyStatements(s, 'DecryptImagesSharedUnderSourceShareKeys'),
  ],

  // The copy request goes to the DR region; its source is a vault copy in the vault's region.
  regionCopy: (s) => [
    {
      Sid: 'CopyVaultCopiesIntoTheDrRegion',
      Effect: 'Allow',
      Action: 'ec2:CopyImage',
      Resource: [
        ec2Arn(s.vaultRegion, 'image'),
        ec2Arn(s.vaultRegion, 'snapshot'),
        ec2Arn(s.drRegion, 'image'),
        ec2Arn(s.drRegion, 'snapshot'),
      ],
      Condition: { Null: { [`aws:RequestTag/${TAG.sourceId}`]: 'false' }, StringEquals: { 'aws:RequestedRegion': s.drRegion } },
    },
    {
      Sid: 'TagDrCopiesOnCreationOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: [ec2Arn(s.drRegion, 'image'), ec2Arn(s.drRegion, 'snapshot')],
      Condition: { StringEquals: { 'ec2:CreateAction': 'CopyImage' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': PROVENANCE_TAG_KEYS } },
    },
    // The completion of a DR copy; the integrity sweep also reads the DR images' snapshots.
    describeInTheVault({ vaultRegion: s.drRegion }, 'DescribeDrImagesAndTheirSnapshots', ['ec2:DescribeImages', 'ec2:DescribeSnapshots']),
    // The DR copies are locked and protected as the vault copies are.
    ...lockVaultSnapshots({ vaultRegion: s.drRegion }, 'Dr'),
    protectFromDeregistration(s.drRegion, 'ProtectDrCopiesFromDeregistration'),
    ...drKeyStatements(s, 'ec2'),
  ],

  reader: (s) => {
    const images = ec2Arn('*', 'image');
    const snapshots = ec2Arn('*', 'snapshot');
    return [
      // The sweep lists images, and the instances they are made of.
      {
        Sid: 'DescribeImagesTheirSnapshotsAndInstances',
        Effect: 'Allow',
        Action: ['ec2:DescribeImages', 'ec2:DescribeSnapshots', 'ec2:DescribeInstances'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': s.regions } },
      },
      // IAM has no condition key for the accounts ModifyImageAttribute adds: the reader may share the
      // hub's intermediate copies only (their tag, set on creation only), which are under the share key,
      // whose policy lets the vault alone use them.
      {
        Sid: 'ShareOnlyTheHubsIntermediateImages',
        Effect: 'Allow',
        Action: 'ec2:ModifyImageAttribute',
        Resource: images,
        Condition: { StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: 'ami-*' } },
      },
      ...shareIntermediateSnapshotsWithTheVaultOnly(s, 'ShareTheIntermediateImagesSnapshotsWithTheVaultOnly', 'ami-*'),
      {
        Sid: 'ReencryptUnderTheShareKeyAsATaggedCopy',
        Effect: 'Allow',
        Action: 'ec2:CopyImage',
        Resource: [images, snapshots],
        Condition: { Null: { [`aws:RequestTag/${TAG.intermediateOf}`]: 'false' } },
      },
      {
        Sid: 'TagTheReencryptedCopyOnCreationOnly',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: [images, snapshots],
        Condition: {
          StringEquals: { 'ec2:CreateAction': 'CopyImage' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.intermediateOf] },
        },
      },
      {
        Sid: 'DeregisterOnlyTheHubsIntermediateCopies',
        Effect: 'Allow',
        Action: 'ec2:DeregisterImage',
        Resource: images,
        Condition: { StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: 'ami-*' } },
      },
      {
        Sid: 'DeleteOnlyTheSnapshotsOfTheHubsIntermediateCopies',
        Effect: 'Allow',
        Action: 'ec2:DeleteSnapshot',
        Resource: snapshots,
        Condition: { StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: 'ami-*' } },
      },
      ...reencryptingCopyKeyStatements(s),
    ];
  },

  // Deregistering an AMI leaves its snapshots unless asked otherwise ("By default, deregistering an
  // AMI also has no effect on any snapshots that were created during the AMI creation process", EC2
  // User Guide, "Deregister an AMI"); the pruner deletes them itself, so a retry finds them by tag.
  prune: (s) => [
    describeInTheVault(s, 'DescribeVaultImagesAndTheirSnapshots', ['ec2:DescribeImages', 'ec2:DescribeSnapshots']),
    {
      // Only once the pruner has decided a copy may go: its snapshots' locks have expired by then.
      Sid: 'LiftDeregistrationProtectionOfVaultCopies',
      Effect: 'Allow',
      Action: 'ec2:DisableImageDeregistrationProtection',
      Resource: ec2Arn(s.vaultRegion, 'image'),
      Condition: { Null: { [`aws:ResourceTag/${TAG.sourceId}`]: 'false' } },
    },
    {
      Sid: 'DeregisterOnlyVaultCopies',
      Effect: 'Allow',
      Action: 'ec2:DeregisterImage',
      Resource: ec2Arn(s.vaultRegion, 'image'),
      Condition: { Null: { [`aws:ResourceTag/${TAG.sourceId}`]: 'false' } },
    },
    {
      Sid: 'DeleteOnlyTheSnapshotsOfVaultCopies',
      Effect: 'Allow',
      Action: 'ec2:DeleteSnapshot',
      Resource: ec2Arn(s.vaultRegion, 'snapshot'),
      Condition: { Null: { [`aws:ResourceTag/${TAG.sourceId}`]: 'false' } },
    },
  ],

  restore: (s) => [...restoreLanding(s), readVaultCopiesThroughEc2(s)],
  restoreLanding,

  // The copy request goes to the landing region; its source is a vault copy (image and snapshots) in the region restored from.
  restoreAcross: (s) => [
    {
      Sid: 'CopyVaultCopiesOfTheRegionRestoredFrom',
      Effect: 'Allow',
      Action: 'ec2:CopyImage',
      Resource: [ec2Arn(s.fromRegion, 'image'), ec2Arn(s.fromRegion, 'snapshot')],
      Condition: { Null: { [`aws:RequestTag/${TAG.restoreFor}`]: 'false' }, StringEquals: { 'aws:RequestedRegion': s.vaultRegion } },
    },
    ...restoreAcrossKeyStatements(s, 'ec2'),
  ],
};

/** Deregistration protection for the vault's copies (their provenance tag) in one vault region. */
function protectFromDeregistration(region: string, sid: string): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: 'ec2:EnableImageDeregistrationProtection',
    Resource: ec2Arn(region, 'image'),
    Condition: { Null: { [`aws:ResourceTag/${TAG.sourceId}`]: 'false' } },
  };
}
