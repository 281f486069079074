import type { EventPattern, Statement } from '../../../accounts/stack/cloudformation.js';
import { NAMES } from '../../../accounts/stack/names.js';
import { all, type KindManifest, type ReaderScope } from '../common/manifest.js';
import { TAG } from '../common/provenance-tags.js';
import { listKeyAliases } from '../common/statements.js';

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

  // Only what the account file opts in (ssmParameters: path prefixes, or the backup-hub:protect tag),
  // and only SecureStrings under aws/ssm or a key the file lists: the reader of another kind reads none.
  reader: (s) => {
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
      },
    ];
  },

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
    // Any recovery account's role: each one's trust admits this role only, with the ExternalId.
    { Sid: 'AssumeTheRecoveryRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::*:role/${NAMES.recoveryRole}` },
  ],

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
};

/** GetParameterHistory and GetParameter on the opted-in parameters: under the listed paths, or tagged. */
function readOptedInParameters(s: ReaderScope): Statement[] {
  const actions = ['ssm:GetParameterHistory', 'ssm:GetParameter'];
  const parameter = (path: string) => `arn:aws:ssm:*:${s.account}:parameter/${path.replace(/^\//, '')}`;
  const optedIn = s.parameters.paths.length > 0 || s.parameters.tagged;
  return [
    // The inventory sweep lists the parameters, then keeps only the opted-in ones itself:
    // DescribeParameters supports no resource-level permission (Service Authorization Reference).
    ...(optedIn
      ? [
          {
            Sid: 'ListParameters',
            Effect: 'Allow' as const,
            Action: 'ssm:DescribeParameters',
            Resource: '*',
            Condition: { StringEquals: { 'aws:RequestedRegion': s.regions } },
          },
        ]
      : []),
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
