import type { EventPattern, Statement } from '../../../accounts/stack/cloudformation.js';
import { NAMES } from '../../../accounts/stack/names.js';
import { all, allOf, type KindManifest, type QueueSettings, type RestoreLandingScope } from './manifest.js';
import { TAG } from './provenance-tags.js';
import {
  drKeyStatements,
  grantForAwsResource,
  keysOf,
  listKeyAliases,
  PROVENANCE_TAG_KEYS,
  RESTORE_TAG_KEYS,
  restoreAcrossKeyStatements,
  vaultAndRestoreKeys,
} from './statements.js';

/** What tells the RDS snapshot kinds' statements apart: the ARN type and the API's noun. */
export interface RdsManifestSpec {
  pattern: EventPattern;
  completion?: EventPattern;
  queue: QueueSettings;
  /** The snapshot ARN's resource type. */
  arnType: 'snapshot' | 'cluster-snapshot';
  /** The noun of the API's actions: rds:Copy<noun>, rds:Describe<noun>s, rds:Modify<noun>Attribute, rds:Delete<noun>. */
  noun: 'DBSnapshot' | 'DBClusterSnapshot';
  /** What the snapshots are of, as the sweep lists them: `rds:Describe<noun>s` on its ARN type. */
  database: { noun: 'DBInstance' | 'DBCluster'; arnType: 'db' | 'cluster' };
}

/**
 * The manifest of an RDS snapshot kind (DB instance or Aurora cluster). Facts (RDS API reference,
 * CopyDBSnapshot / CopyDBClusterSnapshot / ModifyDB(Cluster)SnapshotAttribute; RDS User Guide,
 * "Sharing a DB snapshot"): a shared snapshot is copied by its ARN, an encrypted one only with
 * KmsKeyId; Tags on the copy are also authorized as rds:AddTagsToResource; RDS uses the keys on the
 * caller's behalf (kms:DescribeKey, and kms:CreateGrant for the new snapshot). RDS has no condition
 * key for the accounts added to `restore`: only the vault's handlers can assume the reader, and they
 * add the vault only; the restore role may share only the hub's restore copies
 * (backup-hub-restore-*), which it names after their recovery account.
 */
export function rdsManifest({ pattern, completion, queue, arnType, noun, database }: RdsManifestSpec): KindManifest {
  const arn = (region: string, account: string, name: string) => `arn:aws:rds:${region}:${account}:${arnType}:${name}`;
  return {
    pattern,
    ...(completion ? { completion } : {}),
    queue,
    sharesThrough: 'rds',

    vault: (s): Statement[] => {
      const vaultCopies = arn(s.vaultRegion, s.vaultAccount, 'backup-hub-*');
      const shareKeys = allOf({ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': NAMES.shareKeyAlias } }, s.inSources);
      const throughRds = { 'kms:ViaService': `rds.${s.vaultRegion}.amazonaws.com` };
      // RDS uses a source's share key in that source's region: a copy into the vault may cross regions.
      const rdsAnywhere = 'rds.*.amazonaws.com';
      return [
        {
          // The source snapshot is shared by one of the sources, in any of its regions.
          Sid: 'CopySharedSnapshotsIntoTheVault',
          Effect: 'Allow',
          Action: `rds:Copy${noun}`,
          Resource: [vaultCopies, arn('*', '*', '*')],
          Condition: allOf({ Null: { [`aws:RequestTag/${TAG.sourceId}`]: 'false' } }, s.inSources),
        },
        {
          Sid: 'TagVaultCopiesWithProvenanceOnly',
          Effect: 'Allow',
          Action: 'rds:AddTagsToResource',
          Resource: vaultCopies,
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': PROVENANCE_TAG_KEYS } },
        },
        // The integrity sweep (acting through this role) lists the vault's snapshots with a filter:
        // that is authorized on the account's snapshots of the region, not on one.
        { Sid: 'DescribeVaultCopies', Effect: 'Allow', Action: `rds:Describe${noun}s`, Resource: arn(s.vaultRegion, s.vaultAccount, '*') },
        {
          Sid: 'DescribeTheVaultKeyThroughRds',
          Effect: 'Allow',
          Action: 'kms:DescribeKey',
          Resource: s.vaultKeyArn,
          Condition: { StringEquals: throughRds },
        },
        {
          Sid: 'LetRdsUseTheVaultKey',
          Effect: 'Allow',
          Action: 'kms:CreateGrant',
          Resource: s.vaultKeyArn,
          Condition: grantForAwsResource(`rds.${s.vaultRegion}.amazonaws.com`),
        },
        {
          Sid: 'DescribeSourceShareKeysThroughRds',
          Effect: 'Allow',
          Action: 'kms:DescribeKey',
          Resource: keysOf('*', '*'),
          Condition: allOf(shareKeys, { StringLike: { 'kms:ViaService': rdsAnywhere } }),
        },
        {
          Sid: 'LetRdsUseSourceShareKeys',
          Effect: 'Allow',
          Action: 'kms:CreateGrant',
          Resource: keysOf('*', '*'),
          Condition: allOf(shareKeys, grantForAwsResource(rdsAnywhere)),
        },
      ];
    },

    reader: (s): Statement[] => {
      const snapshots = (name: string) => arn('*', s.account, name);
      const keys = keysOf(s.account, '*');
      return [
        { Sid: `Describe${noun}s`, Effect: 'Allow', Action: `rds:Describe${noun}s`, Resource: snapshots('*') },
        {
          Sid: `Describe${database.noun}s`,
          Effect: 'Allow',
          Action: `rds:Describe${database.noun}s`,
          // The sweep lists the databases (for the unprotected table): authorized on the region's db:* / cluster:*.
          Resource: `arn:aws:rds:*:${s.account}:${database.arnType}:*`,
        },
        // RDS has no condition key for the accounts added to `restore`: the reader may share the hub's
        // intermediate copies only (named and tagged so on creation), which are under the share key,
        // whose policy lets the vault alone use them.
        {
          Sid: `ShareOnlyTheHubsIntermediate${noun}s`,
          Effect: 'Allow',
          Action: `rds:Modify${noun}Attribute`,
          Resource: snapshots('backup-hub-share-*'),
          Condition: { StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: '*' } },
        },
        {
          Sid: 'CopyToTheShareKeyAsATaggedManualSnapshot',
          Effect: 'Allow',
          Action: `rds:Copy${noun}`,
          Resource: snapshots('*'),
          Condition: { Null: { [`aws:RequestTag/${TAG.intermediateOf}`]: 'false' } },
        },
        {
          Sid: 'TagTheIntermediateCopyOnly',
          Effect: 'Allow',
          Action: 'rds:AddTagsToResource',
          Resource: snapshots('backup-hub-share-*'),
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.intermediateOf] } },
        },
        {
          Sid: 'DeleteOnlyTheHubsIntermediateCopies',
          Effect: 'Allow',
          Action: `rds:Delete${noun}`,
          Resource: snapshots('backup-hub-share-*'),
          Condition: { StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: '*' } },
        },
        { Sid: `Describe${noun}Keys`, Effect: 'Allow', Action: 'kms:DescribeKey', Resource: keys },
        listKeyAliases(s),
        {
          Sid: `LetRdsUse${noun}Keys`,
          Effect: 'Allow',
          Action: 'kms:CreateGrant',
          Resource: keys,
          // RDS re-encrypts automated and aws/rds snapshots for the vault.
          Condition: {
            'ForAnyValue:StringEquals': { 'kms:ResourceAliases': all(s.keyAliases, 'alias/aws/rds') },
            ...grantForAwsResource(...s.regions.map((region) => `rds.${region}.amazonaws.com`)),
          },
        },
      ];
    },

    // The copy request goes to the DR region; its source is a vault copy in the vault's region, by its ARN.
    // rds:Copy… itself is the vault statement's, which copies from any region into a copy named backup-hub-*.
    regionCopy: (s): Statement[] => {
      const drCopies = arn(s.drRegion, s.vaultAccount, 'backup-hub-*');
      return [
        {
          Sid: 'TagDrCopiesWithProvenanceOnly',
          Effect: 'Allow',
          Action: 'rds:AddTagsToResource',
          Resource: drCopies,
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': PROVENANCE_TAG_KEYS } },
        },
        { Sid: 'DescribeDrCopies', Effect: 'Allow', Action: `rds:Describe${noun}s`, Resource: drCopies },
        ...drKeyStatements(s, 'rds'),
      ];
    },

    prune: (s) => [
      {
        Sid: 'DeleteOnlyVaultCopies',
        Effect: 'Allow',
        Action: `rds:Delete${noun}`,
        Resource: arn(s.vaultRegion, s.vaultAccount, 'backup-hub-*'),
      },
    ],

    // The copy request goes to the landing region; its source is a vault copy in the region restored
    // from, described there first for its option group.
    restoreAcross: (s): Statement[] => {
      const vaultCopies = arn(s.fromRegion, s.vaultAccount, 'backup-hub-*');
      return [
        {
          Sid: 'CopyVaultCopiesOfTheRegionRestoredFrom',
          Effect: 'Allow',
          Action: `rds:Copy${noun}`,
          Resource: vaultCopies,
          Condition: { Null: { [`aws:RequestTag/${TAG.restoreFor}`]: 'false' } },
        },
        { Sid: 'DescribeVaultCopiesOfTheRegionRestoredFrom', Effect: 'Allow', Action: `rds:Describe${noun}s`, Resource: vaultCopies },
        ...restoreAcrossKeyStatements(s, 'rds'),
      ];
    },

    // Every call of a restore is in the region its copy is made in (the vault copy's own, or the
    // landing region's): the vault copy of another region is the `restoreAcross` statements'.
    restore: restoreLanding,
    restoreLanding,
  };

  function restoreLanding(s: RestoreLandingScope): Statement[] {
    const vaultCopies = arn(s.vaultRegion, s.vaultAccount, 'backup-hub-*');
    const restoreCopies = arn(s.vaultRegion, s.vaultAccount, 'backup-hub-restore-*');
    const vaultKeys = keysOf(s.vaultAccount, s.vaultRegion);
    return [
      {
        Sid: 'CopyVaultCopiesForARestore',
        Effect: 'Allow',
        Action: `rds:Copy${noun}`,
        Resource: vaultCopies,
        Condition: { Null: { [`aws:RequestTag/${TAG.restoreFor}`]: 'false' } },
      },
      {
        Sid: 'TagRestoreCopiesOnly',
        Effect: 'Allow',
        Action: 'rds:AddTagsToResource',
        Resource: restoreCopies,
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': RESTORE_TAG_KEYS } },
      },
      { Sid: 'DescribeVaultSnapshots', Effect: 'Allow', Action: `rds:Describe${noun}s`, Resource: vaultCopies },
      { Sid: 'ShareRestoreCopies', Effect: 'Allow', Action: `rds:Modify${noun}Attribute`, Resource: restoreCopies },
      {
        Sid: 'DescribeTheVaultAndRestoreKeysThroughRds',
        Effect: 'Allow',
        Action: 'kms:DescribeKey',
        Resource: vaultKeys,
        Condition: allOf(vaultAndRestoreKeys, { StringEquals: { 'kms:ViaService': `rds.${s.vaultRegion}.amazonaws.com` } }),
      },
      {
        Sid: 'LetRdsUseTheVaultAndRestoreKeys',
        Effect: 'Allow',
        Action: 'kms:CreateGrant',
        Resource: vaultKeys,
        Condition: allOf(vaultAndRestoreKeys, grantForAwsResource(`rds.${s.vaultRegion}.amazonaws.com`)),
      },
    ];
  }
}
