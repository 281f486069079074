import type { EventPattern, Statement } from '../../../accounts/stack/cloudformation.js';
import { NAMES } from '../../../accounts/stack/names.js';
import { all, type KindManifest } from '../common/manifest.js';

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

/**
 * Facts (Systems Manager API reference and user guide): PutParameter refuses Tags with Overwrite;
 * history keeps 100 versions (the 101st drops the oldest, ParameterMaxVersionLimitExceeded when it
 * is labelled); GetParameter takes `name:version`; reading a SecureString needs kms:Decrypt on its
 * key (the aws/ssm key allows every principal of its account).
 */
export const manifest: KindManifest = {
  pattern,
  queue: {
    timeout: 60,
    batchSize: 10,
    // No copy quota applies (PutParameter is synchronous); this bounds the PutParameter rate instead.
    maximumConcurrency: 2,
    copyQuota: 20,
  },

  vault: (s) => {
    const vaultParameters = `arn:aws:ssm:${s.vaultRegion}:${s.vaultAccount}:parameter/backup-hub/*`;
    return [
      { Sid: 'ReadVaultParameterHistory', Effect: 'Allow', Action: 'ssm:GetParameterHistory', Resource: vaultParameters },
      { Sid: 'WriteVaultParameters', Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:AddTagsToResource'], Resource: vaultParameters },
      {
        Sid: 'EncryptVaultParametersWithTheVaultKey',
        Effect: 'Allow',
        Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: s.vaultKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': `ssm.${s.vaultRegion}.amazonaws.com` } },
      },
    ];
  },

  reader: (s): Statement[] => [
    // The sweep lists the parameters; DescribeParameters supports no resource-level permission.
    {
      Sid: 'ListParameters',
      Effect: 'Allow',
      Action: 'ssm:DescribeParameters',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': all(s.eachSource(({ region }) => region)) } },
    },
    {
      Sid: 'ReadParameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameterHistory', 'ssm:GetParameter'],
      Resource: s.eachSource(({ account, region }) => `arn:aws:ssm:${region}:${account}:parameter/*`),
    },
    {
      Sid: 'DecryptSecureStringsThroughSsm',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: s.eachSource(({ account, region }) => `arn:aws:kms:${region}:${account}:key/*`),
      Condition: { StringEquals: { 'kms:ViaService': all(s.eachSource(({ region }) => `ssm.${region}.amazonaws.com`)) } },
    },
  ],

  integrity: (s) => [
    {
      Sid: 'ReadVaultParameterHistory',
      Effect: 'Allow',
      Action: 'ssm:GetParameterHistory',
      Resource: `arn:aws:ssm:${s.vaultRegion}:${s.vaultAccount}:parameter/backup-hub/*`,
    },
  ],

  // Parameter Store deletes a parameter with all its versions; there is no call for one version.
  prune: (s) => [
    {
      Sid: 'DeleteVaultParameters',
      Effect: 'Allow',
      Action: 'ssm:DeleteParameter',
      Resource: `arn:aws:ssm:${s.vaultRegion}:${s.vaultAccount}:parameter/backup-hub/*`,
    },
  ],

  // A parameter is restored by value: read in the vault with decryption, written in the recovery
  // account through its backup-hub-recovery role (`recovery`), which trusts only the vault's
  // restore role.
  restore: (s) => [
    {
      Sid: 'ReadVaultParameters',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: `arn:aws:ssm:${s.vaultRegion}:${s.vaultAccount}:parameter/backup-hub/*`,
    },
    {
      Sid: 'DecryptVaultParametersThroughSsm',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: s.vaultKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': `ssm.${s.vaultRegion}.amazonaws.com` } },
    },
    ...s.eachRecoveryAccount((account) => ({
      Sid: 'AssumeTheRecoveryRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: `arn:aws:iam::${account}:role/${NAMES.recoveryRole}`,
    })),
  ],

  // Writing a SecureString under the account's aws/ssm key needs no KMS statement: that key's policy
  // lets every principal of the account use it through Systems Manager.
  recovery: (s) =>
    s.eachRecoveryAccount((account) => ({
      Sid: 'WriteRestoredParameters',
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:GetParameter'],
      Resource: `arn:aws:ssm:${s.vaultRegion}:${account}:parameter/*`,
    })),
};
