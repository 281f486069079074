import { buildForAccount, stackRegions } from '../../accounts/stack/account-stack.js';
import type { Statement } from '../../accounts/stack/cloudformation.js';
import { NAMES, roleArn, ssmStoreBucket } from '../../accounts/stack/names.js';
import { type AccountsConfig, vaultRegions } from '../config/accounts.js';
import { HOLD_PREFIX } from '../retention/hold-ledger.js';
import { VAULT_LOCK_KEY } from '../retention/vault-lock.js';

/** One statement of an organization policy: always a Deny (SCPs and RCPs grant nothing). */
export interface GuardrailStatement {
  Sid: string;
  Effect: 'Deny';
  Principal?: '*';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface GuardrailPolicy {
  Version: '2012-10-17';
  Statement: GuardrailStatement[];
}

export type GuardrailFormat = 'scp' | 'rcp';

/** "The maximum size of a policy document" for SCPs and RCPs (AWS Organizations quotas), counted without whitespace. */
export const ORGANIZATION_POLICY_MAX_CHARS = 5120;

/** The vault file lacks what the guardrails need. */
export class GuardrailsUnavailable extends Error {}

/**
 * Who the guardrails let through, and what they protect: the vault account's hub, by its fixed names.
 * The hub roles excepted from a guard are those the vault's stacks grant the guarded action (see
 * {@link grantees}): a role the model adds or changes is excepted, or bound, with no list to keep.
 */
interface Scope {
  vault: string;
  /** The SSM stores (one per vault stack region: the vault's and its DR region's). */
  stores: string[];
  deploy: string;
  /** Who deletes vault copies: EC2 snapshots and images, RDS and Aurora snapshots. */
  copyDeleters: string[];
  /** Who deletes stored versions (and configuration captures) in the stores. */
  storeDeleters: string[];
  /** Who writes into the stores: parameter versions, configuration captures. */
  storeWriters: string[];
  /** Who locks snapshots. */
  lockers: string[];
  /** Who records the vault lock (its partition of the audit table). */
  lockRecorders: string[];
  /** Who records legal holds and their lifting (their partitions of the audit table), and copies them onto the points. */
  holdRecorders: string[];
}

/** A role of the vault's stacks and the statements of its own (inline) policies. */
interface ModelRole {
  arn: string;
  statements: Statement[];
}

/** Any stage: role names do not change with it (names.ts), and only roles are read. */
const ANY_STAGE = 'guardrails';

/** Every role the vault account's stacks (each of its regions) create, with its policies' statements. */
function vaultRoles(config: AccountsConfig): ModelRole[] {
  const vault = config.vault;
  return stackRegions(config, vault).flatMap((region) =>
    Object.values(buildForAccount(config, vault, { stage: ANY_STAGE, region }).resources.Resources).flatMap((resource) => {
      if (resource.Type !== 'AWS::IAM::Role') return [];
      const properties = resource.Properties as { RoleName: string; Policies?: { PolicyDocument: { Statement: Statement[] } }[] };
      return [
        { arn: roleArn(vault.id, properties.RoleName), statements: (properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement) },
      ];
    }),
  );
}

/** `pattern` (IAM's `*` and `?` wildcards) matches `value`. */
const wildcardMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/**
 * The roles whose own policies allow one of `actions` on a resource under one of `resources` (ARN
 * prefixes; `*` for any), and with `leadingKey` only where their condition lets them reach that
 * partition: the hub roles that need what a guard denies everyone else. A resource the model writes
 * as a CloudFormation reference only counts under `*`.
 */
function grantees(roles: ModelRole[], actions: string[], resources: string[], leadingKey?: string): string[] {
  const reaches = (s: Statement) =>
    leadingKey === undefined ||
    Object.values(s.Condition ?? {}).some((test) =>
      [test['dynamodb:LeadingKeys'] ?? []].flat().some((key) => typeof key === 'string' && wildcardMatch(key, leadingKey)),
    );
  const covers = (resource: unknown) =>
    resources.some(
      (prefix) => prefix === '*' || (typeof resource === 'string' && (resource.startsWith(prefix) || wildcardMatch(resource, prefix))),
    );
  const grants = (s: Statement) =>
    s.Effect === 'Allow' &&
    [s.Action].flat().some((granted) => actions.some((action) => wildcardMatch(granted, action))) &&
    [s.Resource].flat().some(covers) &&
    reaches(s);
  return [...new Set(roles.filter((r) => r.statements.some(grants)).map((r) => r.arn))].sort();
}

const CATALOG_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const COPY_DELETES = [
  'ec2:DeleteSnapshot',
  'ec2:DeregisterImage',
  'ec2:DisableImageDeregistrationProtection',
  'rds:DeleteDBSnapshot',
  'rds:DeleteDBClusterSnapshot',
];
const STORE_DELETES = ['s3:DeleteObject', 's3:DeleteObjectVersion'];

/**
 * The organization policies for the vault account, from the account files: a service control policy
 * (binds every principal of the vault account, its root user included) or a resource control policy
 * (binds every principal, of any account, on the vault's KMS keys, S3 store, queues, tables and bus).
 * Every statement denies; the exceptions are the hub's own roles where the hub needs the action (the
 * pruner deletes vault copies once their locks have expired, the copy roles lock snapshots, the
 * legal hold role sets holds) and the deploy role the vault file names, which alone changes the hub.
 * @throws GuardrailsUnavailable when the vault file names no deploy role
 */
export function guardrails(config: AccountsConfig, format: GuardrailFormat): GuardrailPolicy {
  const vault = config.vault;
  if (!vault.deployRole)
    throw new GuardrailsUnavailable(
      `${vault.file} names no deployRole: set it to the ARN of the role that deploys the vault stack (the only principal the guardrails let change the hub's roles, functions, rules, queues, tables and keys)`,
    );
  const roles = vaultRoles(config);
  const stores = vaultRegions(vault).map((region) => `arn:aws:s3:::${ssmStoreBucket(vault.id, region)}`);
  const storeObjects = stores.map((store) => `${store}/`);
  const scope: Scope = {
    vault: vault.id,
    stores,
    deploy: vault.deployRole,
    copyDeleters: grantees(roles, COPY_DELETES, ['*']),
    storeDeleters: grantees(roles, STORE_DELETES, storeObjects),
    storeWriters: grantees(roles, ['s3:PutObject'], storeObjects),
    lockers: grantees(roles, ['ec2:LockSnapshot'], ['*']),
    lockRecorders: grantees(roles, ['dynamodb:PartiQLInsert'], ['*'], VAULT_LOCK_KEY),
    holdRecorders: grantees(roles, ['dynamodb:PartiQLInsert'], ['*'], `${HOLD_PREFIX}*`),
  };
  const statements = format === 'scp' ? serviceControl(scope) : resourceControl(scope);
  return { Version: '2012-10-17', Statement: statements };
}

/** Whoever is not one of `arns` (an Allow's exception, as a Deny's condition). */
const unless = (...arns: string[]) => ({ ArnNotLike: { 'aws:PrincipalArn': arns } });

function arns(s: Scope) {
  return {
    stores: s.stores,
    storeObjects: s.stores.map((store) => `${store}/*`),
    keys: `arn:aws:kms:*:${s.vault}:key/*`,
    catalog: `arn:aws:dynamodb:*:${s.vault}:table/${NAMES.catalogTable}`,
    audit: `arn:aws:dynamodb:*:${s.vault}:table/${NAMES.auditTable}`,
    hub: [
      `arn:aws:iam::${s.vault}:role/${NAMES.service}-*`,
      // The restore roles' managed policies (a restore across regions): a new version would change what they may do.
      `arn:aws:iam::${s.vault}:policy/${NAMES.service}-*`,
      `arn:aws:lambda:*:${s.vault}:function:${NAMES.service}-*`,
      `arn:aws:lambda:*:${s.vault}:event-source-mapping:*`,
      `arn:aws:events:*:${s.vault}:rule/${NAMES.service}*`,
      `arn:aws:events:*:${s.vault}:event-bus/${NAMES.bus}`,
      `arn:aws:sqs:*:${s.vault}:${NAMES.service}-*`,
      `arn:aws:dynamodb:*:${s.vault}:table/${NAMES.service}-*`,
      `arn:aws:kms:*:${s.vault}:alias/${NAMES.service}-*`,
    ],
  };
}

/** What nobody may do in the vault account, and what only the pruner, the copy roles, the legal hold role or the deploy role may. */
function serviceControl(s: Scope): GuardrailStatement[] {
  const a = arns(s);
  return [
    {
      Sid: 'OnlyThePrunerDeletesVaultCopies',
      Effect: 'Deny',
      Action: COPY_DELETES,
      Resource: '*',
      Condition: unless(...s.copyDeleters),
    },
    {
      Sid: 'OnlyThePrunerDeletesStoredVersions',
      Effect: 'Deny',
      Action: STORE_DELETES,
      Resource: a.storeObjects,
      Condition: unless(...s.storeDeleters),
    },
    {
      // The parameter role writes versions, the configuration capture its captures: whoever the stacks grant it.
      Sid: 'OnlyTheHubWritesTheStores',
      Effect: 'Deny',
      Action: ['s3:PutObject'],
      Resource: a.storeObjects,
      Condition: unless(...s.storeWriters),
    },
    {
      Sid: 'NobodyLiftsALock',
      Effect: 'Deny',
      Action: [
        'ec2:UnlockSnapshot',
        'rbin:UnlockRule',
        'rbin:DeleteRule',
        's3:BypassGovernanceRetention',
        'kms:ScheduleKeyDeletion',
        'kms:DisableKey',
      ],
      Resource: '*',
    },
    {
      // After a cooling-off period a lock can only grow; within one, a new lock could replace it.
      Sid: 'OnlyTheCopyRolesLockSnapshots',
      Effect: 'Deny',
      Action: ['ec2:LockSnapshot'],
      Resource: '*',
      Condition: unless(...s.lockers),
    },
    {
      Sid: 'OnlyTheDeployRoleChangesLocksAndKeys',
      Effect: 'Deny',
      Action: [
        'rbin:UpdateRule',
        'rbin:LockRule',
        's3:PutBucketObjectLockConfiguration',
        's3:PutBucketVersioning',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:DeleteBucket',
        'kms:PutKeyPolicy',
      ],
      Resource: '*',
      Condition: unless(s.deploy),
    },
    {
      Sid: 'OnlyTheDeployRoleChangesTheHub',
      Effect: 'Deny',
      Action: [
        'iam:Delete*',
        'iam:Put*',
        'iam:Attach*',
        'iam:Detach*',
        'iam:Update*',
        'iam:CreatePolicyVersion',
        'iam:SetDefaultPolicyVersion',
        'lambda:Update*',
        'lambda:Delete*',
        'lambda:Put*',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'events:DisableRule',
        'events:DeleteRule',
        'events:PutRule',
        'events:PutTargets',
        'events:RemoveTargets',
        'events:PutPermission',
        'events:RemovePermission',
        'events:DeleteEventBus',
        'sqs:DeleteQueue',
        'sqs:SetQueueAttributes',
        'sqs:PurgeQueue',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTable',
        'dynamodb:UpdateContinuousBackups',
        'kms:DeleteAlias',
        'kms:UpdateAlias',
      ],
      Resource: a.hub,
      Condition: unless(s.deploy),
    },
    ...tableGuards(s, false),
  ];
}

/**
 * The same guards on the vault's resources, for principals of any account: RCPs bind the resources
 * of the services that support them (KMS, S3, SQS, DynamoDB, EventBridge here; not EC2, RDS or
 * Lambda, which the SCP guards). AWS services acting for a rule or a copy are never bound.
 */
function resourceControl(s: Scope): GuardrailStatement[] {
  const a = arns(s);
  const notAService = { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } };
  const except = (...principals: string[]) => ({ ...unless(...principals), ...notAService });
  return [
    {
      Sid: 'NobodyDisablesOrDeletesAVaultKey',
      Effect: 'Deny',
      Principal: '*',
      Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey'],
      Resource: '*',
      Condition: notAService,
    },
    {
      Sid: 'OnlyTheDeployRoleRewritesAKeyPolicy',
      Effect: 'Deny',
      Principal: '*',
      Action: ['kms:PutKeyPolicy'],
      Resource: '*',
      Condition: except(s.deploy),
    },
    {
      Sid: 'OnlyThePrunerDeletesStoredVersions',
      Effect: 'Deny',
      Principal: '*',
      Action: STORE_DELETES,
      Resource: a.storeObjects,
      Condition: except(...s.storeDeleters),
    },
    {
      Sid: 'NobodyBypassesTheObjectLock',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:BypassGovernanceRetention'],
      Resource: a.storeObjects,
      Condition: notAService,
    },
    {
      Sid: 'OnlyTheDeployRoleChangesTheStoreAndTheHub',
      Effect: 'Deny',
      Principal: '*',
      Action: [
        's3:PutBucketObjectLockConfiguration',
        's3:PutBucketVersioning',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:DeleteBucket',
        'sqs:DeleteQueue',
        'sqs:SetQueueAttributes',
        'sqs:PurgeQueue',
        'dynamodb:DeleteTable',
        'dynamodb:UpdateTable',
        'events:DisableRule',
        'events:DeleteRule',
        'events:PutRule',
        'events:PutTargets',
        'events:RemoveTargets',
      ],
      Resource: [...a.stores, ...a.hub.filter((arn) => /:(sqs|dynamodb|events):/.test(arn))],
      Condition: except(s.deploy),
    },
    ...tableGuards(s, true),
  ];
}

/**
 * The audit table takes inserts only (PartiQL INSERT never overwrites): the audit chain's from the
 * hub's roles, the vault lock's records from the roles that record it, the holds' from the legal hold
 * role, which alone also copies a hold onto its point in the catalog.
 */
function tableGuards(s: Scope, resource: boolean): GuardrailStatement[] {
  const a = arns(s);
  const principal = resource ? { Principal: '*' as const } : {};
  const inserts = (Sid: string, partition: Record<string, Record<string, string>>, by: string | string[]): GuardrailStatement => ({
    Sid,
    Effect: 'Deny',
    ...principal,
    Action: ['dynamodb:PartiQLInsert'],
    Resource: a.audit,
    Condition: { ...partition, ArnNotLike: { 'aws:PrincipalArn': by } },
  });
  return [
    {
      Sid: 'OnlyTheLegalHoldRoleSetsOrLiftsHolds',
      Effect: 'Deny',
      ...principal,
      Action: CATALOG_WRITES,
      Resource: a.catalog,
      Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': 'legalHold' }, ...unless(...s.holdRecorders) },
    },
    {
      Sid: 'NoAuditEntryIsChanged',
      Effect: 'Deny',
      ...principal,
      Action: [...CATALOG_WRITES, 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
      Resource: a.audit,
    },
    inserts('OnlyTheHubAppendsToTheAuditLog', {}, `arn:aws:iam::${s.vault}:role/${NAMES.service}-*`),
    inserts(
      'OnlyThePrunerRecordsTheVaultLock',
      { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': VAULT_LOCK_KEY } },
      s.lockRecorders,
    ),
    inserts(
      'OnlyTheLegalHoldRoleRecordsHolds',
      { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': `${HOLD_PREFIX}*` } },
      s.holdRecorders,
    ),
  ];
}
