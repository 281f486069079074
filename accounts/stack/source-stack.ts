import type { AccountsConfig, SourceAccount } from '../../shared/config/accounts.js';
import { all, type ReaderScope } from '../../shared/kinds/common/manifest.js';
import { grantForAwsResource } from '../../shared/kinds/common/statements.js';
import { KINDS } from '../../shared/kinds/index.js';
import { getAtt, type Resource, ref, type Statement, sub, type Value } from './cloudformation.js';
import { kindRoleName, NAMES, readerRoleName, roleArn } from './names.js';
import { keyAdministration, keyUseBy, pascal, role, VAULT_FUNCTION_IDENTITY, vaultRoleTrust } from './policies.js';
import type { ServiceModel } from './service.js';

/** The forwarding rules' names start with it: the forwarder role's trust admits those rules only. */
const FORWARD_RULE_PREFIX = 'backup-hub-forward-';

/**
 * A source account's stack in one region. No Lambda function: a source only announces (a rule per
 * kind forwards its AWS service events to the vault bus) and offers the reader role. IAM is global,
 * so the roles live in the account's primary (first) region only; rules and the share key are
 * regional.
 */
export function buildSource(
  config: AccountsConfig,
  account: SourceAccount,
  { region }: { stage: string; region: string },
): Pick<ServiceModel, 'functions' | 'resources'> {
  const { vault } = config;
  const vaultRegion = vault.regions[0]!;
  const primaryRegion = account.regions[0]!;
  const scope: ReaderScope = {
    vaultAccount: vault.id,
    vaultRegion,
    account: account.id,
    regions: account.regions,
    keyAliases: all('alias/aws/ebs', NAMES.shareKeyAlias, account.customerKeyAliases),
    customerKeyAliases: account.customerKeyAliases,
    parameters: account.ssmParameters,
  };
  // The kinds whose vault copies read what the reader shares under the share key.
  const sharing = KINDS.filter((k) => k.manifest.sharesThrough !== undefined).map((k) => k.module.name);
  const vaultRoot = `arn:aws:iam::${vault.id}:root`;
  const vaultBusArn = `arn:aws:events:${vaultRegion}:${vault.id}:event-bus/${NAMES.bus}`;

  const resources: Record<string, Resource> = {
    // One per kind. The vault assumes it to verify, share, re-encrypt and clean up that kind's
    // artifacts. It trusts only that kind's vault role, only with the ExternalId and a source
    // identity naming the vault function (CloudTrail shows which function acted), and, with an
    // organization id, only from inside it; it holds only that kind's `reader` statements: the EBS
    // handler cannot read a parameter.
    ...Object.fromEntries(
      KINDS.map((k) => [
        `${pascal(k.module.name)}ReaderRole`,
        role({
          name: readerRoleName(k.module.name),
          description: `backup-hub ${k.module.name} reader; assumed by the vault's ${k.module.name} role only`,
          condition: 'IsPrimaryRegion',
          maxSessionDuration: 3600,
          trust: [
            vaultRoleTrust(
              vault,
              'OnlyTheKindsVaultRoleWithTheExternalId',
              roleArn(vault.id, kindRoleName(k.module.name)),
              VAULT_FUNCTION_IDENTITY,
            ),
          ],
          statements: k.manifest.reader(scope),
        }),
      ]),
    ),
    // The vault's configuration capture reads through it: the Describe calls of what a rebuild needs
    // (network, instances and their volumes, launch templates, databases), nothing that reads data,
    // writes or shares. It trusts only the vault's capture role, with the ExternalId and the source identity.
    ConfigReaderRole: role({
      name: NAMES.configReaderRole,
      description: "backup-hub config reader; assumed by the vault's configuration capture only; Describe calls, no data",
      condition: 'IsPrimaryRegion',
      maxSessionDuration: 3600,
      trust: [
        vaultRoleTrust(
          vault,
          'OnlyTheVaultsCaptureRoleWithTheExternalId',
          roleArn(vault.id, NAMES.configCaptureRole),
          VAULT_FUNCTION_IDENTITY,
        ),
      ],
      statements: configReaderStatements(account.id, account.regions),
    }),
    // The rules' target role: it may put events on the vault bus and nothing else. Only EventBridge
    // may assume it, and only for this account's forwarding rules (in any of its regions), so that
    // no other rule or service can put events on the vault bus through it (confused deputy).
    ForwarderRole: role({
      name: NAMES.forwarderRole,
      description: "backup-hub forwarder; lets this account's rules put events on the vault bus",
      condition: 'IsPrimaryRegion',
      trust: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
            ArnLike: { 'aws:SourceArn': sub(`arn:aws:events:*:\${AWS::AccountId}:rule/${FORWARD_RULE_PREFIX}*`) },
          },
        },
      ],
      statements: [{ Sid: 'PutEventsOnTheVaultBusOnly', Effect: 'Allow', Action: 'events:PutEvents', Resource: vaultBusArn }],
    }),
    // Snapshots under aws/ebs or aws/rds cannot be shared: the reader re-encrypts them under this key
    // first. The vault may use it through EC2 or RDS to read the shared copy, and for nothing else.
    ShareKey: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: 'backup-hub share key; the vault may use it to copy shared snapshots, nothing else',
        EnableKeyRotation: true,
        PendingWindowInDays: 30,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            keyAdministration('AccountAdministersTheKey', { disable: true, scheduleDeletion: true }),
            keyUseBy(
              'ReaderReencryptsSnapshotsThroughEc2',
              sharing.map((kind) => roleArn(account.id, readerRoleName(kind))),
              ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
              {
                StringEquals: { 'kms:ViaService': sub('ec2.${AWS::Region}.amazonaws.com') },
              },
            ),
            // EC2 (snapshots, AMIs) and RDS (DB and cluster snapshots) make grants for the intermediate copies.
            keyUseBy(
              'ReaderLetsEbsUseTheKey',
              sharing.map((kind) => roleArn(account.id, readerRoleName(kind))),
              'kms:CreateGrant',
              grantForAwsResource(`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`),
            ),
            // EC2 uses the share key in the vault's region (the copy) and in this region (the source
            // side); RDS describes it when the vault copies a shared DB (cluster) snapshot, in the
            // vault's region, and in this one when the copy crosses regions (a key is used in its own region).
            // What the EBS User Guide lists for users of a shared customer managed key ("Share the KMS key
            // used to encrypt a shared snapshot"): GenerateDataKey and GenerateDataKeyWithoutPlaintext too.
            keyUseBy(
              'VaultCopiesSharedSnapshotsThroughEc2',
              sharing.map((kind) => roleArn(vault.id, kindRoleName(kind))),
              ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
              {
                StringEquals: {
                  'kms:ViaService': all(
                    `ec2.${vaultRegion}.amazonaws.com`,
                    `ec2.${region}.amazonaws.com`,
                    `rds.${vaultRegion}.amazonaws.com`,
                    `rds.${region}.amazonaws.com`,
                  ),
                },
              },
              vaultRoot,
            ),
            keyUseBy(
              'VaultLetsEbsUseTheKeyForTheCopy',
              sharing.map((kind) => roleArn(vault.id, kindRoleName(kind))),
              'kms:CreateGrant',
              grantForAwsResource(
                ...all(
                  `ec2.${vaultRegion}.amazonaws.com`,
                  `ec2.${region}.amazonaws.com`,
                  `rds.${vaultRegion}.amazonaws.com`,
                  `rds.${region}.amazonaws.com`,
                ),
              ),
              vaultRoot,
            ),
          ],
        },
      },
    },
    ShareKeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: NAMES.shareKeyAlias, TargetKeyId: ref('ShareKey') } },
  };
  // In the primary region this very stack creates the forwarder role: the rules refer to it there,
  // so that CloudFormation creates it first (a DependsOn on a resource under a condition is invalid
  // where the condition is false); elsewhere they name it.
  const forwarderRoleArn: Value = { 'Fn::If': ['IsPrimaryRegion', getAtt('ForwarderRole'), roleArn(account.id, NAMES.forwarderRole)] };
  for (const kind of KINDS) {
    const name = kind.module.name;
    // The kind's AWS service events on this region's default bus go to the vault bus, through the
    // forwarder role (required for a bus in another account or region).
    resources[`Forward${pascal(name)}Rule`] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${FORWARD_RULE_PREFIX}${name}`,
        Description: `backup-hub forwards ${name} events to the vault bus`,
        EventBusName: 'default',
        State: 'ENABLED',
        EventPattern: kind.manifest.pattern,
        Targets: [{ Id: 'vault-bus', Arn: vaultBusArn, RoleArn: forwarderRoleArn }],
      },
    };
  }
  return {
    functions: {},
    resources: {
      Conditions: { IsPrimaryRegion: { 'Fn::Equals': [ref('AWS::Region'), primaryRegion] } },
      Resources: resources,
      Outputs: { ShareKeyArn: { Description: 'The share key of this region', Value: getAtt('ShareKey') } },
    },
  };
}

/**
 * What a configuration capture reads. EC2's Describe calls support no resource-level permissions
 * (Service Authorization Reference: no resource type), so they are on `*`; RDS's are on the
 * account's DB instances, clusters and subnet groups.
 */
function configReaderStatements(account: string, regions: string[]): Statement[] {
  return [
    {
      Sid: 'DescribeTheNetworkInstancesAndVolumes',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeVpcs',
        'ec2:DescribeSubnets',
        'ec2:DescribeRouteTables',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeInstances',
        'ec2:DescribeVolumes',
        'ec2:DescribeLaunchTemplates',
        'ec2:DescribeLaunchTemplateVersions',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': regions } },
    },
    {
      Sid: 'DescribeTheDatabases',
      Effect: 'Allow',
      Action: ['rds:DescribeDBInstances', 'rds:DescribeDBClusters', 'rds:DescribeDBSubnetGroups'],
      Resource: [`arn:aws:rds:*:${account}:db:*`, `arn:aws:rds:*:${account}:cluster:*`, `arn:aws:rds:*:${account}:subgrp:*`],
    },
  ];
}
