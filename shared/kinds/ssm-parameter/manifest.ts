import { type EventPattern, type Statement, sub } from '../../../accounts/stack/cloudformation.js';
import { NAMES, ssmStoreBucket, vaultKeyAliasArn } from '../../../accounts/stack/names.js';
import { all, allOf, type KindManifest, type ReaderScope, type RestoreScope } from '../common/manifest.js';
import { TAG } from '../common/provenance-tags.js';
import { drVaultKey, listKeyAliases, vaultKeyIn } from '../common/statements.js';

/**
 * Systems Manager user guide, "EventBridge event examples". The event never carries the value:
 * the handler reads it through the reader role. Delete is routed too: the handler records it (the
 * vault copies are kept).
 */
export const pattern = {
  source: ['aws.ssm'],
  'detail-type': ['Parameter Store Change'],
  detail: { operation: ['Create', 'Update', 'Delete', 'LabelParameterVersion'] },
} as const satisfies EventPattern;

/** Why the migration's statements are kept though no drill calls them. */
export const MIGRATION_REASON =
  'vaults deployed by an earlier release hold parameter versions as vault parameters (/backup-hub/…), which the reconciler moves into the store once; the drills deploy a new vault with none (test/e2e/ssm-migration.test.ts migrates some)';

/** The vault's SSM store, and every version object in it. */
type StoreScope = Pick<RestoreScope, 'vaultAccount' | 'vaultRegion'>;
const storeBucket = (s: StoreScope) => `arn:aws:s3:::${ssmStoreBucket(s.vaultAccount, s.vaultRegion)}`;
const storeObjects = (s: StoreScope) => `${storeBucket(s)}/*`;
/** SSE-KMS: S3 uses the vault key on the caller's behalf, with the caller's permissions (`kms:ViaService` s3). */
const throughS3 = (s: StoreScope) => ({ StringEquals: { 'kms:ViaService': `s3.${s.vaultRegion}.amazonaws.com` } });

/**
 * Facts (Systems Manager API reference and user guide; S3 user guide and Service Authorization
 * Reference): GetParameterHistory pages the 100 versions a parameter keeps; GetParameter takes
 * `name:version`; reading a SecureString needs kms:Decrypt on its key (the aws/ssm key allows every
 * principal of its account). In S3, HeadObject is authorized as s3:GetObject, GetObject of a version
 * as s3:GetObjectVersion, DeleteObject of a version as s3:DeleteObjectVersion; an SSE-KMS PutObject
 * needs kms:GenerateDataKey and a GetObject kms:Decrypt.
 */
export const manifest: KindManifest = {
  pattern,
  queue: {
    timeout: 60,
    batchSize: 10,
    // No copy quota applies (PutObject is synchronous); this bounds the rate of reads in the sources.
    maximumConcurrency: 2,
    copyQuota: 20,
  },

  // Writes each version once, under the vault key only (a new key, never over another: If-None-Match),
  // and finds one an earlier attempt wrote (HeadObject); never reads a value back.
  vault: (s) => [
    // The versions of a parameter the vault already holds: the catalog's byResource index.
    {
      Sid: 'FindTheParametersRecordedVersions',
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: sub('${CatalogTable.Arn}/index/byResource'),
    },
    {
      Sid: 'WriteEachParameterVersionOnceUnderTheVaultKey',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: storeObjects(s),
      Condition: { StringEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': s.vaultKeyArn, 's3:if-none-match': '*' } },
    },
    {
      Sid: 'FindParameterVersionsAnEarlierAttemptWrote',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: storeObjects(s),
      Reason:
        'a write retried after a crash finds the version the first attempt stored (HeadObject, authorized as s3:GetObject); the drills never crash a worker between its write and its catalog update (test/e2e/ssm.test.ts does)',
    },
    // Without it, S3 answers the HeadObject of a key never written 403 instead of 404, and a retried point never completes.
    {
      Sid: 'TellAMissingParameterVersionFromARefusal',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: storeBucket(s),
      Reason:
        'S3 tells a key that does not exist (404) only to a caller allowed s3:ListBucket, when a retried write looks for what a crashed worker never stored; the drills crash none (test/e2e/ssm.test.ts does)',
    },
    // The integrity sweep: which versions of a parameter the store still holds, one listing per parameter.
    { Sid: 'ListTheStoredParameterVersions', Effect: 'Allow', Action: 's3:ListBucketVersions', Resource: storeBucket(s) },
    lockStoredVersions('LockEachParameterVersion', s),
    {
      Sid: 'EncryptParameterVersionsWithTheVaultKey',
      Effect: 'Allow',
      Action: 'kms:GenerateDataKey',
      Resource: s.vaultKeyArn,
      Condition: throughS3(s),
    },
  ],

  // Each stored version is read from the vault's store, decrypted through S3, and written once into
  // the DR region's store, under the DR region's vault key, named by its alias ARN.
  regionCopy: (s) => {
    const dr = { ...s, vaultRegion: s.drRegion };
    const key = drVaultKey(s);
    return [
      { Sid: 'ReadParameterVersionsForTheDrStore', Effect: 'Allow', Action: 's3:GetObjectVersion', Resource: storeObjects(s) },
      {
        Sid: 'DecryptParameterVersionsThroughS3',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: s.vaultKeyArn,
        Condition: throughS3(s),
      },
      lockStoredVersions('LockEachParameterVersionInTheDrStore', dr),
      {
        Sid: 'WriteEachParameterVersionOnceIntoTheDrStore',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: storeObjects(dr),
        Condition: {
          StringEquals: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': vaultKeyAliasArn(s.vaultAccount, s.drRegion),
            's3:if-none-match': '*',
          },
        },
      },
      {
        Sid: 'FindParameterVersionsAnEarlierAttemptWroteInTheDrStore',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: storeObjects(dr),
        Reason:
          'a DR copy retried after a crash finds the version the first attempt stored (HeadObject, authorized as s3:GetObject); the drills crash no worker between its write and its catalog update',
      },
      {
        Sid: 'TellAMissingParameterVersionFromARefusalInTheDrStore',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: storeBucket(dr),
        Reason:
          'S3 tells a key that does not exist (404) only to a caller allowed s3:ListBucket, when a retried DR copy looks for what a crashed worker never stored; the drills crash none',
      },
      // The integrity sweep over the DR copies: which versions the DR store still holds.
      { Sid: 'ListTheStoredParameterVersionsInTheDrStore', Effect: 'Allow', Action: 's3:ListBucketVersions', Resource: storeBucket(dr) },
      {
        Sid: 'EncryptParameterVersionsWithTheDrVaultKey',
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: key.Resource,
        Condition: allOf(key.Condition, throughS3(dr)),
      },
    ];
  },

  // Only what the account file opts in (ssmParameters: path prefixes, or the backup-hub:protect tag),
  // and only SecureStrings under aws/ssm or a key the file lists: the reader of another kind reads none.
  // An account that opts nothing in gets no statement: the handler records each announced parameter
  // as not opted in, saying what to list.
  reader: (s) => {
    if (!s.parameters.paths.length && !s.parameters.tagged) return [];
    const keys = `arn:aws:kms:*:${s.account}:key/*`;
    const listedKeys = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': all('alias/aws/ssm', s.customerKeyAliases) } };
    return [
      ...readOptedInParameters(s),
      // Any key's description and aliases: verify names the alias to list for a key the reader may not use.
      { Sid: 'DescribeParameterKeys', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: keys },
      listKeyAliases(s),
      {
        Sid: 'DecryptSecureStringsThroughSsm',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keys,
        Condition: { ...listedKeys, StringLike: { 'kms:ViaService': 'ssm.*.amazonaws.com' } },
        Reason:
          "a SecureString under a customer managed key needs the reader's kms:Decrypt through Systems Manager; the drills' SecureStrings use aws/ssm, whose key policy admits every principal of its account (test/e2e/ssm.test.ts reads one under a customer key)",
      },
    ];
  },

  // One version at a time; Object Lock refuses while the version is still locked.
  prune: (s) => [{ Sid: 'DeleteParameterVersions', Effect: 'Allow', Action: 's3:DeleteObjectVersion', Resource: storeObjects(s) }],

  // A parameter is restored by value: read from the store with decryption, written in the recovery
  // account through its backup-hub-recovery role (`recovery`), which trusts only the vault's
  // restore role.
  restore: (s) => [
    { Sid: 'ReadParameterVersions', Effect: 'Allow', Action: 's3:GetObjectVersion', Resource: storeObjects(s) },
    { Sid: 'DecryptParameterVersionsThroughS3', Effect: 'Allow', Action: 'kms:Decrypt', Resource: s.vaultKeyArn, Condition: throughS3(s) },
    // Any recovery account's role: each one's trust admits this role only, with the ExternalId.
    { Sid: 'AssumeTheRecoveryRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::*:role/${NAMES.recoveryRole}` },
  ],
  // Written into the recovery account through its role (`recovery`), wherever the restore lands.
  restoreLanding: () => [],
  // Read from the store of the region restored from; written into the recovery account through its role (`recovery`).
  restoreAcross: (s) => {
    const from = { vaultAccount: s.vaultAccount, vaultRegion: s.fromRegion };
    const key = vaultKeyIn(s.vaultAccount, s.fromRegion);
    return [
      { Sid: 'ReadParameterVersionsOfTheRegionRestoredFrom', Effect: 'Allow', Action: 's3:GetObjectVersion', Resource: storeObjects(from) },
      {
        Sid: 'DecryptThemThroughS3There',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: key.Resource,
        Condition: allOf(key.Condition, throughS3(from)),
      },
    ];
  },

  // Writing a SecureString under the account's aws/ssm key needs no KMS statement: that key's policy
  // lets every principal of the account use it through Systems Manager.
  recovery: (s) => [
    {
      Sid: 'WriteRestoredParameters',
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:GetParameter'],
      Resource: `arn:aws:ssm:${s.vaultRegion}:${s.account}:parameter/*`,
    },
  ],

  // Earlier releases kept every version as a version of one vault parameter (/backup-hub/…), which
  // Parameter Store evicts at the 101st: the reconciler copies those into the store once. Remove when
  // every vault has migrated.
  migration: (s): Statement[] => [
    // DescribeParameters takes no resource narrower than every parameter of the account and region.
    {
      Sid: 'ListLegacyVaultParameters',
      Effect: 'Allow',
      Action: 'ssm:DescribeParameters',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': s.vaultRegion } },
    },
    {
      Sid: 'ReadLegacyVaultParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameterHistory',
      Resource: `arn:aws:ssm:${s.vaultRegion}:${s.vaultAccount}:parameter/backup-hub/*`,
      Reason: MIGRATION_REASON,
    },
    {
      Sid: 'DecryptLegacyVaultParametersThroughSsm',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: s.vaultKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': `ssm.${s.vaultRegion}.amazonaws.com` } },
      Reason: MIGRATION_REASON,
    },
  ],
};

/** GetParameterHistory and GetParameter on the opted-in parameters: under the listed paths, or tagged. */
function readOptedInParameters(s: ReaderScope): Statement[] {
  const actions = ['ssm:GetParameterHistory', 'ssm:GetParameter'];
  const parameter = (path: string) => `arn:aws:ssm:*:${s.account}:parameter/${path.replace(/^\//, '')}`;
  return [
    // The inventory sweep lists the parameters, then keeps only the opted-in ones itself:
    // DescribeParameters supports no resource-level permission (Service Authorization Reference).
    {
      Sid: 'ListParameters',
      Effect: 'Allow',
      Action: 'ssm:DescribeParameters',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': s.regions } },
    },
    ...(s.parameters.paths.length
      ? [
          {
            Sid: 'ReadParametersUnderTheListedPaths',
            Effect: 'Allow' as const,
            Action: actions,
            Resource: s.parameters.paths.map((p) => parameter(`${p}*`)),
          },
        ]
      : []),
    ...(s.parameters.tagged
      ? [
          {
            Sid: 'ReadTaggedParameters',
            Effect: 'Allow' as const,
            Action: actions,
            Resource: parameter('*'),
            Condition: { StringEquals: { [`aws:ResourceTag/${TAG.protect}`]: 'true' } },
          },
        ]
      : []),
  ];
}

/** Locking a stored version in compliance mode (reading its retention first: one that lasts longer is kept). */
function lockStoredVersions(sid: string, s: RestoreScope): Statement {
  return { Sid: sid, Effect: 'Allow', Action: ['s3:GetObjectRetention', 's3:PutObjectRetention'], Resource: storeObjects(s) };
}
