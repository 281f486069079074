import { type AccountsConfig, type RecoveryAccount, vaultRegions } from '../../shared/config/accounts.js';
import { KINDS } from '../../shared/kinds/index.js';
import { ref, type Statement } from './cloudformation.js';
import { NAMES, roleArn } from './names.js';
import { pascal, prefixSids, role, vaultRoleTrust } from './policies.js';
import type { ServiceModel } from './service.js';

/** What `backup-hub restore --rebuild` creates in the recovery account: EC2's and RDS's create calls, as the rebuild tags them. */
const REBUILD_EC2 = [
  'ec2:CreateVpc',
  'ec2:CreateSubnet',
  'ec2:CreateRouteTable',
  'ec2:AssociateRouteTable',
  'ec2:CreateSecurityGroup',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:RunInstances',
  'ec2:CreateVolume',
  'ec2:AttachVolume',
];

/**
 * The rebuild of a lost account's systems from its captured configuration: the network, instances
 * launched from the restored images (shared by the vault), volumes from the restored snapshots,
 * databases restored from the restored DB snapshots; Describe calls to find what an earlier run
 * made. Nothing is deleted or modified.
 */
function rebuildStatements(account: RecoveryAccount, vault: string): Statement[] {
  const createActions = REBUILD_EC2.map((a) => a.slice('ec2:'.length));
  return [
    {
      Sid: 'RebuildDescribesWhatItMade',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeVpcs',
        'ec2:DescribeSubnets',
        'ec2:DescribeRouteTables',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeInstances',
        'ec2:DescribeVolumes',
      ],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': account.regions } },
    },
    {
      Sid: 'RebuildCreatesTheNetworkInstancesAndVolumes',
      Effect: 'Allow',
      Action: REBUILD_EC2,
      // Its own resources, and the images and snapshots the vault shared with it.
      Resource: [`arn:aws:ec2:*:${account.id}:*`, 'arn:aws:ec2:*::image/*', 'arn:aws:ec2:*::snapshot/*'],
    },
    {
      Sid: 'RebuildTagsWhatItCreates',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: `arn:aws:ec2:*:${account.id}:*`,
      Condition: { StringEquals: { 'ec2:CreateAction': createActions } },
    },
    {
      Sid: 'RebuildRestoresTheDatabases',
      Effect: 'Allow',
      Action: [
        'rds:CreateDBSubnetGroup',
        'rds:DescribeDBSubnetGroups',
        'rds:RestoreDBInstanceFromDBSnapshot',
        'rds:RestoreDBClusterFromSnapshot',
        'rds:CreateDBInstance',
        'rds:DescribeDBInstances',
        'rds:DescribeDBClusters',
        'rds:AddTagsToResource',
      ],
      // Its own databases and subnet groups, and the DB (cluster) snapshots the vault shared with it.
      Resource: [`arn:aws:rds:*:${account.id}:*`, `arn:aws:rds:*:${vault}:snapshot:*`, `arn:aws:rds:*:${vault}:cluster-snapshot:*`],
    },
    {
      Sid: 'RebuildPassesTheInstanceProfilesRoles',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: `arn:aws:iam::${account.id}:role/*`,
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      Reason:
        'RunInstances with an instance profile needs iam:PassRole on its role (EC2 User Guide, "IAM roles for Amazon EC2"); the simulated cloud records instance profiles without checking them',
    },
  ];
}

/**
 * A recovery account's stack: the role `backup-hub restore` assumes there to write SSM parameters
 * back. Snapshots, images and DB snapshots need nothing here: the vault shares them with the
 * account, under a restore key the account may use. IAM is global, so the role lives in the
 * account's primary (first) region only.
 */
export function buildRecovery(config: AccountsConfig, account: RecoveryAccount): Pick<ServiceModel, 'functions' | 'resources'> {
  const { vault } = config;
  // A restore writes parameters where it lands: a vault region (the DR region too), or another of this account's regions.
  const regions = [...new Set([...vaultRegions(vault), ...account.regions])];
  const scopes = regions.map((vaultRegion) => ({ vaultRegion, account: account.id }));
  const sidPrefix = (region: string) => (region === vault.regions[0] ? '' : region === vault.drRegion ? 'Dr' : pascal(region));
  return {
    functions: {},
    resources: {
      Conditions: { IsPrimaryRegion: { 'Fn::Equals': [ref('AWS::Region'), account.regions[0]!] } },
      Resources: {
        // Trusts only the vault's backup-hub-restore role, with the ExternalId, and may only write
        // (and read back, to recognise its own earlier write) parameters (the kinds' `recovery`).
        RecoveryRole: role({
          name: NAMES.recoveryRole,
          description: "backup-hub recovery; assumed by the vault's restore role to write restored parameters",
          condition: 'IsPrimaryRegion',
          maxSessionDuration: 3600,
          trust: [
            vaultRoleTrust(
              vault,
              'OnlyTheVaultRestoreRolesWithTheExternalId',
              [NAMES.restoreRole, ...(vault.drRegion ? [NAMES.drRestoreRole] : [])].map((name) => roleArn(vault.id, name)),
            ),
          ],
          statements: [
            ...scopes.flatMap((scope) =>
              KINDS.flatMap((k) =>
                k.manifest.recovery
                  ? prefixSids(`${sidPrefix(scope.vaultRegion)}${pascal(k.module.name)}`, k.manifest.recovery(scope))
                  : [],
              ),
            ),
            ...rebuildStatements(account, vault.id),
          ],
        }),
      },
    },
  };
}
