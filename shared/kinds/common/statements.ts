import { type Statement, sub } from '../../../accounts/stack/cloudformation.js';
import { NAMES } from '../../../accounts/stack/names.js';
import {
  allOf,
  type Condition,
  type ReaderScope,
  type RegionCopyScope,
  type RestoreAcrossScope,
  type RestoreLandingScope,
  type RestoreScope,
  type VaultScope,
} from './manifest.js';
import { TAG } from './provenance-tags.js';

/**
 * IAM statements several kinds share (most of them the EC2 kinds': EBS snapshots and AMIs). Facts they rest on (AWS documentation):
 *   - EBS "Requirements for Amazon EBS encryption": kms:CreateGrant (with kms:GrantIsForAWSResource),
 *     kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncrypt*; "When copying
 *     an encrypted snapshot, you must have DescribeKey permissions on the default CMK".
 *   - EC2 condition keys ec2:Add/userId, ec2:Remove/userId, ec2:Add/group, ec2:CreateAction; KMS
 *     kms:ResourceAliases, kms:ViaService (KMS developer guide, "Use aliases to control access").
 *   - EC2 Describe* actions support no resource-level permissions (Resource "*"); EBS snapshot and
 *     AMI ARNs carry no account id.
 * No statement lists the sources or their regions: ARNs take `*` for both, and the scope's
 * `inSources` (the organization) or the reader's own account keeps them to the sources.
 */

/** The keys a provenance-tagged vault copy carries (provenanceTags). */
export const PROVENANCE_TAG_KEYS = [TAG.sourceAccount, TAG.sourceRegion, TAG.sourceId, TAG.sourceLife, TAG.resourceId, TAG.eventId];
/** The keys a restore copy carries (restoreTags). */
export const RESTORE_TAG_KEYS = [TAG.restoreOf, TAG.restoreFor];

/** An EC2 resource ARN (snapshot, image) in a region, `*` for every region: they carry no account id. */
export const ec2Arn = (region: string, type: 'snapshot' | 'image') => `arn:aws:ec2:${region}::${type}/*`;
/** Every key of an account in a region (`*` for every account or region), narrowed by conditions. */
export const keysOf = (account: string, region: string) => `arn:aws:kms:${region}:${account}:key/*`;

const USE_FOR_COPY = ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'];
/** What the EBS User Guide lists for users of a shared customer managed key ("Share the KMS key used to encrypt a shared snapshot"). */
const USE_SHARED_KEY = ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];
/**
 * kms:CreateGrant only for the grants the named services (EC2, RDS) make on the caller's behalf:
 * kms:GrantIsForAWSResource alone would admit any integrated service.
 */
export const grantForAwsResource = (...services: string[]): Condition => ({
  Bool: { 'kms:GrantIsForAWSResource': 'true' },
  // A pattern (`ec2.*.amazonaws.com`: any region) keeps the policy the same size whatever the sources' regions.
  [services.some((s) => s.includes('*')) ? 'StringLike' : 'StringEquals']: {
    'kms:ViaService': services.length === 1 ? services[0]! : services,
  },
});
/** Keeps ModifySnapshotAttribute and ModifyImageAttribute to the one change allowed: no group, no other account change. */
const nothingBut = (allowed: string) =>
  Object.fromEntries(
    ['ec2:Add/userId', 'ec2:Add/group', 'ec2:Remove/userId', 'ec2:Remove/group']
      .filter((key) => key !== allowed)
      .map((key) => [key, 'true']),
  );
const ec2Via = (region: string) => `ec2.${region}.amazonaws.com`;
/** EC2 in any region: the source's, or the vault's when it copies across regions. */
const throughEc2Anywhere = { StringLike: { 'kms:ViaService': ec2Via('*') } };

/** Describe* in the vault's region only: the action supports no narrower resource. */
export const describeInTheVault = (s: Pick<VaultScope, 'vaultRegion'>, sid: string, action: string | readonly string[]): Statement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: action,
  Resource: '*',
  Condition: { StringEquals: { 'aws:RequestedRegion': s.vaultRegion } },
});

/**
 * Locking vault copies (their provenance tag) in AWS: LockSnapshot, and DescribeLockedSnapshots
 * (no resource-level permission) to leave a lock that lasts long enough alone.
 */
export const lockVaultSnapshots = (s: Pick<VaultScope, 'vaultRegion'>, sidPrefix = ''): Statement[] => [
  {
    Sid: `${sidPrefix}LockVaultCopiesInAws`,
    Effect: 'Allow',
    Action: 'ec2:LockSnapshot',
    Resource: ec2Arn(s.vaultRegion, 'snapshot'),
    Condition: { Null: { [`aws:ResourceTag/${TAG.sourceId}`]: 'false' } },
  },
  describeInTheVault(s, `${sidPrefix}DescribeVaultCopyLocks`, 'ec2:DescribeLockedSnapshots'),
];

/** What a vault copy through EC2 needs of the keys: the vault key, the sources' share keys, and the vault's default EBS key. */
export function vaultCopyKeyStatements(s: VaultScope, decryptSid: string): Statement[] {
  const shareKeys = allOf({ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': NAMES.shareKeyAlias } }, s.inSources);
  return [
    {
      Sid: 'EncryptCopiesWithTheVaultKey',
      Effect: 'Allow',
      Action: USE_FOR_COPY,
      Resource: s.vaultKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': ec2Via(s.vaultRegion) } },
    },
    {
      Sid: 'LetEbsUseTheVaultKey',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: s.vaultKeyArn,
      Condition: grantForAwsResource(ec2Via(s.vaultRegion)),
    },
    {
      Sid: decryptSid,
      Effect: 'Allow',
      Action: USE_SHARED_KEY,
      Resource: keysOf('*', '*'),
      Condition: allOf(shareKeys, throughEc2Anywhere),
    },
    {
      Sid: 'LetEbsUseSourceShareKeys',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: keysOf('*', '*'),
      Condition: allOf(shareKeys, grantForAwsResource(ec2Via('*'))),
    },
    {
      Sid: 'DescribeTheVaultDefaultEbsKey',
      Effect: 'Allow',
      Action: 'kms:DescribeKey',
      Resource: keysOf(s.vaultAccount, s.vaultRegion),
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/aws/ebs' } },
      Reason:
        'EBS describes the default EBS key when copying an encrypted snapshot ("you must have DescribeKey permissions on the default CMK", EBS User Guide); the simulated EC2 makes no such call',
    },
  ];
}

/**
 * The DR region's vault key, by its alias (the DR stack makes it; the vault stack cannot name its
 * ARN): every vault key of the account in that region carrying the vault key's alias, which is one.
 */
export const drVaultKey = (s: RegionCopyScope) => vaultKeyIn(s.vaultAccount, s.drRegion);

/** The vault key of a vault region, by its alias: a stack can name only its own region's key. */
export const vaultKeyIn = (account: string, region: string) => ({
  Resource: keysOf(account, region),
  Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': NAMES.vaultKeyAlias } },
});

/**
 * What a restore copy across regions through EC2 or RDS needs of the vault key of the region it
 * copies from, which the service uses there ("each key is used in its own Region"): read the vault
 * copy (EC2 decrypts and re-encrypts its data key; RDS describes the key) and let the service use it.
 */
export function restoreAcrossKeyStatements(s: RestoreAcrossScope, service: 'ec2' | 'rds'): Statement[] {
  const via = `${service}.${s.fromRegion}.amazonaws.com`;
  const key = vaultKeyIn(s.vaultAccount, s.fromRegion);
  return [
    {
      Sid: 'ReadTheVaultCopiesOfTheRegionRestoredFrom',
      Effect: 'Allow',
      Action: service === 'ec2' ? ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey'] : 'kms:DescribeKey',
      Resource: key.Resource,
      Condition: allOf(key.Condition, { StringEquals: { 'kms:ViaService': via } }),
    },
    {
      Sid: 'LetTheServiceUseTheVaultKeyThere',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: key.Resource,
      Condition: allOf(key.Condition, grantForAwsResource(via)),
    },
  ];
}

/** What a copy into the DR region through EC2 or RDS needs of the DR region's vault key: encrypt under it, and let the service use it. */
export function drKeyStatements(s: RegionCopyScope, service: 'ec2' | 'rds'): Statement[] {
  const via = `${service}.${s.drRegion}.amazonaws.com`;
  const key = drVaultKey(s);
  return [
    {
      Sid: 'EncryptDrCopiesWithTheDrVaultKey',
      Effect: 'Allow',
      Action: service === 'ec2' ? USE_FOR_COPY : 'kms:DescribeKey',
      Resource: key.Resource,
      Condition: allOf(key.Condition, { StringEquals: { 'kms:ViaService': via } }),
    },
    {
      Sid: 'LetTheServiceUseTheDrVaultKey',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: key.Resource,
      Condition: allOf(key.Condition, grantForAwsResource(via)),
    },
  ];
}

/** The reader lets the vault account, and only it, use (or stop using) an artifact of the source. */
export function shareWithTheVaultOnly(
  s: ReaderScope,
  sids: { share: string; unshare: string },
  action: string,
  type: 'snapshot' | 'image',
): Statement[] {
  const resource = ec2Arn('*', type);
  const only = (change: 'Add' | 'Remove') => ({
    StringEquals: { [`ec2:${change}/userId`]: s.vaultAccount },
    Null: nothingBut(`ec2:${change}/userId`),
  });
  return [
    { Sid: sids.share, Effect: 'Allow', Action: action, Resource: resource, Condition: only('Add') },
    { Sid: sids.unshare, Effect: 'Allow', Action: action, Resource: resource, Condition: only('Remove') },
  ];
}

/** The reader shares the snapshots of the hub's intermediate copies (tagged on creation) with the vault account, and with no other. */
export function shareIntermediateSnapshotsWithTheVaultOnly(s: ReaderScope, sid: string, intermediateOf: string): Statement[] {
  return [
    {
      Sid: sid,
      Effect: 'Allow',
      Action: 'ec2:ModifySnapshotAttribute',
      Resource: ec2Arn('*', 'snapshot'),
      Condition: {
        StringEquals: { 'ec2:Add/userId': s.vaultAccount },
        StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: intermediateOf },
        Null: nothingBut('ec2:Add/userId'),
      },
    },
  ];
}

/** The hub checks in verify that a customer key has an alias the account file lists (kms:ListAliases supports no resource-level permission). */
export const listKeyAliases = (s: ReaderScope): Statement => ({
  Sid: 'ListKeyAliases',
  Effect: 'Allow',
  Action: 'kms:ListAliases',
  Resource: '*',
  Condition: { StringEquals: { 'aws:RequestedRegion': s.regions } },
});

/** What the reader's re-encrypting copy (under the share key) needs of the source's keys. */
export function reencryptingCopyKeyStatements(s: ReaderScope): Statement[] {
  const keys = keysOf(s.account, '*');
  const listed = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': s.keyAliases } };
  return [
    { Sid: 'DescribeSnapshotKeys', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: keys },
    listKeyAliases(s),
    {
      Sid: 'UseSnapshotKeysForTheReencryptingCopy',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext'],
      Resource: keys,
      Condition: allOf(listed, throughEc2Anywhere),
    },
    {
      Sid: 'LetEbsUseSnapshotKeys',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: keys,
      Condition: allOf(listed, grantForAwsResource(...s.regions.map(ec2Via))),
    },
  ];
}

/**
 * A restore shares a restore copy with the recovery account it is tagged for, and with no other.
 * Snapshots: the account added must equal the copy's own `restore-for` tag (a policy variable), so
 * one statement serves every recovery account. ModifyImageAttribute has no ec2:Add/userId key, so
 * an image is shared by its restore-for tag alone, and the restore key's policy is the boundary.
 */
export function shareWithTheRecoveryAccountOnly(
  s: RestoreLandingScope,
  sid: string,
  action: string,
  type: 'snapshot' | 'image',
): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: action,
    Resource: ec2Arn(s.vaultRegion, type),
    Condition:
      type === 'snapshot'
        ? {
            // `${!…}` is Fn::Sub's literal `${…}`: serverless would take a bare `${aws:…}` for its own variable.
            StringEquals: { 'ec2:Add/userId': sub(`\${!aws:ResourceTag/${TAG.restoreFor}}`) },
            Null: { ...nothingBut('ec2:Add/userId'), [`aws:ResourceTag/${TAG.restoreFor}`]: 'false' },
          }
        : { Null: { [`aws:ResourceTag/${TAG.restoreFor}`]: 'false' } },
  };
}

/**
 * The vault key and the restore keys (by their aliases: the restore keys are one per recovery
 * account, which no statement lists): a restore role's grant or DescribeKey reaches no other key of
 * the vault account.
 */
export const vaultAndRestoreKeys: Condition = {
  'ForAnyValue:StringLike': { 'kms:ResourceAliases': [NAMES.vaultKeyAlias, `${NAMES.restoreKeyAliasPrefix}*`] },
};

/** A restore copy through EC2 reads the vault copy of its region under the vault key. */
export const readVaultCopiesThroughEc2 = (s: RestoreScope): Statement => ({
  Sid: 'ReadVaultCopiesThroughEc2',
  Effect: 'Allow',
  Action: ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey'],
  Resource: s.vaultKeyArn,
  Condition: { StringEquals: { 'kms:ViaService': ec2Via(s.vaultRegion) } },
});

/** What a restore copy through EC2 needs of the keys of the region it lands in: encrypt under a restore key, and let EBS use it. */
export function restoreCopyKeyStatements(s: RestoreLandingScope): Statement[] {
  const vaultKeys = keysOf(s.vaultAccount, s.vaultRegion);
  const throughEc2 = { 'kms:ViaService': ec2Via(s.vaultRegion) };
  return [
    {
      Sid: 'EncryptRestoreCopiesThroughEc2',
      Effect: 'Allow',
      Action: ['kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      Resource: vaultKeys,
      Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': `${NAMES.restoreKeyAliasPrefix}*` }, StringEquals: throughEc2 },
    },
    {
      Sid: 'LetEbsUseTheVaultAndRestoreKeys',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: vaultKeys,
      Condition: allOf(vaultAndRestoreKeys, grantForAwsResource(ec2Via(s.vaultRegion))),
    },
  ];
}
