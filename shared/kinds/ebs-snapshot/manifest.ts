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
  shareWithTheRecoveryAccountOnly,
  shareWithTheVaultOnly,
  vaultCopyKeyStatements,
} from '../common/statements.js';

/**
 * EBS user guide, "Amazon EventBridge events for Amazon EBS": createSnapshots arrives as "EBS
 * Multi-Volume Snapshots Completion Status", createSnapshot and copySnapshot as "EBS Snapshot
 * Notification". Failed results are routed too: the handler records them as skipped.
 */
export const pattern = {
  source: ['aws.ec2'],
  'detail-type': ['EBS Snapshot Notification', 'EBS Multi-Volume Snapshots Completion Status'],
  detail: { event: ['createSnapshot', 'createSnapshots', 'copySnapshot'], result: ['succeeded', 'failed'] },
} as const satisfies EventPattern;

/**
 * A restore copy, made in its region: tagged as a restore copy, then shared with that account only
 * (ModifySnapshotAttribute takes ec2:Add/userId and aws:ResourceTag), under its restore key.
 */
const restoreLanding = (s: RestoreLandingScope): Statement[] => [
  {
    Sid: 'CopyVaultCopiesForARestore',
    Effect: 'Allow',
    Action: 'ec2:CopySnapshot',
    Resource: ec2Arn(s.vaultRegion, 'snapshot'),
    Condition: { Null: { [`aws:RequestTag/${TAG.restoreFor}`]: 'false' } },
  },
  {
    Sid: 'TagRestoreCopiesOnCreationOnly',
    Effect: 'Allow',
    Action: 'ec2:CreateTags',
    Resource: ec2Arn(s.vaultRegion, 'snapshot'),
    Condition: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': RESTORE_TAG_KEYS } },
  },
  describeInTheVault(s, 'DescribeVaultSnapshots', 'ec2:DescribeSnapshots'),
  shareWithTheRecoveryAccountOnly(s, 'ShareRestoreCopiesWithTheirRecoveryAccountOnly', 'ec2:ModifySnapshotAttribute', 'snapshot'),
  ...restoreCopyKeyStatements(s),
];

/**
 * Facts (EBS user guide): "Copy a snapshot": 20 concurrent snapshot copy requests per destination
 * Region (ResourceLimitExceeded beyond); "Resource-level permissions specified for the CopySnapshot
 * action apply to both the new snapshot and the source snapshot" (identity-based policy examples);
 * DeleteSnapshot takes aws:ResourceTag (Service Authorization Reference for Amazon EC2).
 */
export const manifest: KindManifest = {
  pattern,
  // The vault's own CopySnapshot settling, in the vault ("copySnapshot" is sent in the destination account and region).
  completion: {
    source: ['aws.ec2'],
    'detail-type': ['EBS Snapshot Notification'],
    detail: { event: ['copySnapshot'], result: ['succeeded', 'failed'] },
  },
  queue: {
    timeout: 120,
    // At most 10 CopySnapshot calls in flight from this queue, within the 20 concurrent copies a
    // destination region allows (the reconciler starts copies too). Beyond the quota
    // (ResourceLimitExceeded) the point waits in the catalog until the reconciler finds a free slot.
    batchSize: 5,
    maximumConcurrency: 2,
    copyQuota: 20,
  },

  sharesThrough: 'ec2',

  vault: (s) => [
    {
      // The request goes to the vault's region; the source snapshot may be in any of the sources' regions.
      Sid: 'CopySharedSnapshotsIntoTheVault',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: ec2Arn('*', 'snapshot'),
      Condition: allOf(
        { Null: { [`aws:RequestTag/${TAG.sourceId}`]: 'false' }, StringEquals: { 'aws:RequestedRegion': s.vaultRegion } },
        s.inSources,
      ),
    },
    {
      Sid: 'TagVaultCopiesOnCreationOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2Arn(s.vaultRegion, 'snapshot'),
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CopySnapshot' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': PROVENANCE_TAG_KEYS },
      },
    },
    describeInTheVault(s, 'DescribeVaultSnapshots', 'ec2:DescribeSnapshots'),
    ...lockVaultSnapshots(s),
    ...vaultCopyKeyStatements(s, 'DecryptSnapshotsSharedUnderSourceShareKeys'),
  ],

  // The copy request goes to the DR region; its source is a vault copy in the vault's region.
  regionCopy: (s) => [
    {
      Sid: 'CopyVaultCopiesIntoTheDrRegion',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: [ec2Arn(s.vaultRegion, 'snapshot'), ec2Arn(s.drRegion, 'snapshot')],
      Condition: { Null: { [`aws:RequestTag/${TAG.sourceId}`]: 'false' }, StringEquals: { 'aws:RequestedRegion': s.drRegion } },
    },
    {
      Sid: 'TagDrCopiesOnCreationOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2Arn(s.drRegion, 'snapshot'),
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CopySnapshot' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': PROVENANCE_TAG_KEYS },
      },
    },
    describeInTheVault({ vaultRegion: s.drRegion }, 'DescribeDrSnapshots', 'ec2:DescribeSnapshots'),
    // The DR copies are locked as the vault copies are.
    ...lockVaultSnapshots({ vaultRegion: s.drRegion }, 'Dr'),
    ...drKeyStatements(s, 'ec2'),
  ],

  // The sweep lists snapshots and volumes, and asks which snapshots back an AMI (those are the AMI's).
  reader: (s) => [
    {
      Sid: 'DescribeSnapshotsVolumesAndTheirImages',
      Effect: 'Allow',
      Action: ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes', 'ec2:DescribeImages'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': s.regions } },
    },
    ...shareWithTheVaultOnly(
      s,
      { share: 'ShareSnapshotsWithTheVaultOnly', unshare: 'UnshareSnapshotsFromTheVaultOnly' },
      'ec2:ModifySnapshotAttribute',
      'snapshot',
    ),
    {
      Sid: 'ReencryptUnderTheShareKeyAsATaggedCopy',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: ec2Arn('*', 'snapshot'),
      Condition: { Null: { [`aws:RequestTag/${TAG.intermediateOf}`]: 'false' } },
    },
    {
      Sid: 'TagTheReencryptedCopyOnCreationOnly',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: ec2Arn('*', 'snapshot'),
      Condition: {
        StringEquals: { 'ec2:CreateAction': 'CopySnapshot' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.intermediateOf] },
      },
    },
    {
      Sid: 'DeleteOnlyTheHubsIntermediateCopies',
      Effect: 'Allow',
      Action: 'ec2:DeleteSnapshot',
      Resource: ec2Arn('*', 'snapshot'),
      Condition: { StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: 'snap-*' } },
    },
    ...reencryptingCopyKeyStatements(s),
  ],

  // It deletes vault copies only, recognised by their provenance tag.
  prune: (s) => [
    {
      Sid: 'DeleteOnlyVaultCopies',
      Effect: 'Allow',
      Action: 'ec2:DeleteSnapshot',
      Resource: ec2Arn(s.vaultRegion, 'snapshot'),
      Condition: { Null: { [`aws:ResourceTag/${TAG.sourceId}`]: 'false' } },
    },
  ],

  // A vault copy is copied in the vault under the recovery account's restore key, and the copy read
  // there under the vault key.
  restore: (s) => [...restoreLanding(s), readVaultCopiesThroughEc2(s)],
  restoreLanding,

  // The copy request goes to the landing region; its source is a vault copy in the region restored from.
  restoreAcross: (s) => [
    {
      Sid: 'CopyVaultCopiesOfTheRegionRestoredFrom',
      Effect: 'Allow',
      Action: 'ec2:CopySnapshot',
      Resource: ec2Arn(s.fromRegion, 'snapshot'),
      Condition: { Null: { [`aws:RequestTag/${TAG.restoreFor}`]: 'false' }, StringEquals: { 'aws:RequestedRegion': s.vaultRegion } },
    },
    ...restoreAcrossKeyStatements(s, 'ec2'),
  ],
};
