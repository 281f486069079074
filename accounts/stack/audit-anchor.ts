import { ANCHOR_KEY_SPEC, ANCHOR_PREFIX, ANCHOR_SIGNING_ALGORITHM } from '../../shared/audit/anchor.js';
import type { AccountsConfig, VaultAccount } from '../../shared/config/accounts.js';
import { getAtt, type Resource, ref, type Statement, sub } from './cloudformation.js';
import { AUDIT_ANCHOR, auditAnchorBucket, NAMES, roleArn } from './names.js';
import { alarm, keyAdministration, keyUseBy, LAMBDA_TRUST, objectLockBucket, role } from './policies.js';
import type { ServiceModel } from './service.js';

/** Sign only what the hub signs: its one algorithm, over the message itself (no digest made elsewhere). */
const SIGNING = { StringEquals: { 'kms:SigningAlgorithm': ANCHOR_SIGNING_ALGORITHM, 'kms:MessageType': 'RAW' } };

/**
 * The audit log's anchors: an asymmetric key (ECC_NIST_P256) whose `kms:Sign` only the audit anchor
 * role may use (the key policy denies it to every other principal, the account's administrators
 * included), and an S3 Object Lock bucket in compliance mode that only that role writes to. Anyone
 * the account's IAM allows reads the public key and the anchors, to verify the log on their own.
 */
export function auditAnchorResources(
  vault: VaultAccount,
  { region, functionName, logs }: { region: string; functionName: string; logs: Statement },
): Record<string, Resource> {
  const anchorRoleArn = roleArn(vault.id, NAMES.auditAnchorRole);
  const bucket = auditAnchorBucket(vault.auditAnchors.account, region);
  const bucketArn = `arn:aws:s3:::${bucket}`;
  return {
    AuditAnchorKey: {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Description: "backup-hub audit anchor key; signs the audit log's head (only the audit anchor role may)",
        KeySpec: ANCHOR_KEY_SPEC,
        KeyUsage: 'SIGN_VERIFY',
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              ...keyAdministration('VaultAccountAdministersTheKey'),
              Reason:
                "the vault's administrators manage the key (its policy, alias, tags) through CloudFormation updates, and KMS's lockout safety check needs a principal that may put the policy; no drill administers it",
            },
            keyUseBy('TheAuditAnchorRoleSigns', anchorRoleArn, 'kms:Sign', SIGNING),
            {
              Sid: 'NobodyElseSigns',
              Effect: 'Deny',
              Principal: '*',
              Action: 'kms:Sign',
              Resource: '*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': anchorRoleArn } },
            },
            // The account's IAM decides who reads the public key (the anchor role, auditors): verifying needs no secret.
            {
              Sid: 'TheAccountReadsThePublicKey',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${vault.id}:root` },
              Action: ['kms:GetPublicKey', 'kms:DescribeKey'],
              Resource: '*',
            },
          ],
        },
      },
    },
    AuditAnchorKeyAlias: {
      Type: 'AWS::KMS::Alias',
      Properties: { AliasName: NAMES.auditAnchorKeyAlias, TargetKeyId: ref('AuditAnchorKey') },
    },
    ...(vault.auditAnchors.account === vault.id ? anchorBucket(vault, region) : {}),
    AuditAnchorRole: role({
      name: NAMES.auditAnchorRole,
      description: "backup-hub audit anchor; signs the audit log's head and stores it in the Object Lock bucket",
      trust: LAMBDA_TRUST,
      statements: [
        logs,
        { Sid: 'ReadTheAuditLog', Effect: 'Allow', Action: 'dynamodb:Query', Resource: getAtt('AuditTable') },
        { Sid: 'SignTheHead', Effect: 'Allow', Action: 'kms:Sign', Resource: getAtt('AuditAnchorKey'), Condition: SIGNING },
        { Sid: 'CheckTheNewestAnchor', Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: getAtt('AuditAnchorKey') },
        {
          Sid: 'FindTheNewestAnchor',
          Effect: 'Allow',
          Action: 's3:ListBucketVersions',
          Resource: bucketArn,
          Condition: { StringEquals: { 's3:prefix': ANCHOR_PREFIX, 's3:ResourceAccount': vault.auditAnchors.account } },
        },
        {
          Sid: 'ReadAndWriteAnchors',
          Effect: 'Allow',
          Action: ['s3:GetObjectVersion', 's3:PutObject'],
          Resource: `${bucketArn}/${ANCHOR_PREFIX}*`,
          Condition: { StringEquals: { 's3:ResourceAccount': vault.auditAnchors.account } },
        },
      ],
    }),
    AuditAnchorErrorsAlarm: alarm({
      name: 'backup-hub-audit-anchor-errors',
      description: "The backup-hub audit anchor failed: the audit log's head is not being signed. Its log group says why.",
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functionName }],
      statistic: 'Sum',
      period: AUDIT_ANCHOR.everyMinutes * 60,
    }),
  };
}

/**
 * A log-archive account's stack: the anchors' bucket, in the vault's region, written by the vault's
 * audit anchor role and read by the vault account (its IAM decides who: the anchor role, auditors).
 */
export function buildLogArchive(config: AccountsConfig): Pick<ServiceModel, 'functions' | 'resources'> {
  const region = config.vault.regions[0]!;
  const resources = Object.fromEntries(
    Object.entries(anchorBucket(config.vault, region)).map(([id, resource]) => [id, { ...resource, Condition: 'IsVaultRegion' }]),
  );
  return {
    functions: {},
    resources: { Conditions: { IsVaultRegion: { 'Fn::Equals': [ref('AWS::Region'), region] } }, Resources: resources },
  };
}

/**
 * The anchors' bucket: versioned, Object Lock in compliance mode (no one, root included, deletes or
 * overwrites a version before its retention ends), written only by the audit anchor role, over TLS.
 * Deleting the stack keeps it. In a log-archive account, its policy lets the vault in.
 */
function anchorBucket(vault: VaultAccount, region: string): Record<string, Resource> {
  const name = auditAnchorBucket(vault.auditAnchors.account, region);
  const anchorRoleArn = roleArn(vault.id, NAMES.auditAnchorRole);
  const vaultRoot = `arn:aws:iam::${vault.id}:root`;
  const objects = sub(`\${AuditAnchorBucket.Arn}/${ANCHOR_PREFIX}*`);
  // Another account's principals need the bucket policy as well as their own IAM.
  const forTheVault: Statement[] =
    vault.auditAnchors.account === vault.id
      ? []
      : [
          {
            Sid: 'TheVaultReadsAnchors',
            Effect: 'Allow',
            Principal: { AWS: vaultRoot },
            Action: ['s3:ListBucketVersions', 's3:GetObjectVersion'],
            Resource: [getAtt('AuditAnchorBucket'), objects],
          },
          {
            Sid: 'TheVaultsAuditAnchorRoleWrites',
            Effect: 'Allow',
            Principal: { AWS: vaultRoot },
            Action: 's3:PutObject',
            Resource: objects,
            Condition: { ArnEquals: { 'aws:PrincipalArn': anchorRoleArn } },
          },
        ];
  return objectLockBucket('AuditAnchorBucket', {
    name,
    lockDays: vault.auditAnchors.retentionDays,
    statements: [
      ...forTheVault,
      {
        Sid: 'OnlyTheAuditAnchorRoleWrites',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: sub('${AuditAnchorBucket.Arn}/*'),
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': anchorRoleArn } },
      },
    ],
  });
}
