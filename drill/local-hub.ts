import { createRequire } from 'node:module';
import { Logger } from '@aws-lambda-powertools/logger';
import { amiHandler } from '../handlers/ami.js';
import { ebsSnapshotHandler } from '../handlers/ebs-snapshot.js';
import { prunerHandler } from '../handlers/pruner.js';
import { reconcilerHandler } from '../handlers/reconciler.js';
import { rdsClusterSnapshotHandler } from '../handlers/rds-cluster-snapshot.js';
import { rdsSnapshotHandler } from '../handlers/rds-snapshot.js';
import { ssmParameterHandler } from '../handlers/ssm-parameter.js';
import { AwsClients } from '../shared/aws/clients.js';
import type { ArtifactKindName } from '../shared/catalog/recovery-point.js';
import type { HubConfig } from '../shared/config/hub-config.js';
import type { RetentionSettings } from '../shared/retention/retention-settings.js';
import type { RecoveryNames } from '../shared/restore/restore-target.js';
import { createHubContext } from '../shared/runtime/create-hub-context.js';
import type { HubContext } from '../shared/runtime/hub-context.js';
import { type Ec2Sim, type Ec2SimOptions, type EventBridgeSim, type FunctionHandler, type KmsSim, type LambdaSim, type PolicyDocument, type PolicyStatement, type RdsSim, type RdsSimOptions, rootArn, SimCloud, type SqsSim, type SsmSim } from '@backup-hub/aws-sim';
import { createTables } from './hub-tables.js';
import { actionsOf, loadKindSettings } from './kind-settings.js';

export interface LocalHubSpec {
  vault: { account: string; region: string; orgId?: string };
  sources: { account: string; regions: string[]; orgId?: string }[];
  ec2?: Ec2SimOptions;
  rds?: RdsSimOptions;
  /** Keep the vault's tables, the catalog and audit log, in this folder (LevelDB) instead of memory. */
  dataPath?: string;
  /** What the pruner enforces; without it nothing is ever pruned. */
  retention?: RetentionSettings;
  /** Clean accounts the vault may restore into (each gets its restore key in the vault and its recovery role). */
  recovery?: { account: string; orgId?: string }[];
  logger?: Logger;
}

export interface KindQueue {
  url: string;
  arn: string;
  dlqArn: string;
}

/** The hub deployed on the simulated cloud, with handles on every part for drills and tests. */
export interface LocalHub {
  cloud: SimCloud;
  kms: KmsSim;
  ec2: Ec2Sim;
  events: EventBridgeSim;
  sqs: SqsSim;
  ssm: SsmSim;
  rds: RdsSim;
  lambda: LambdaSim;
  config: HubConfig;
  /** The context of the EBS handler (its role's credentials), for inspecting the catalog and audit log. */
  context: HubContext;
  /** The pruner's context (its role's credentials). */
  prunerContext: HubContext;
  /** The context of an operator who assumed the vault's restore role. */
  restoreContext: HubContext;
  /** The recovery accounts deployed. */
  recovery: string[];
  /** A source account is lost: every snapshot, image, parameter, key and role it held is gone. */
  loseAccount(account: string): void;
  queues: Partial<Record<ArtifactKindName, KindQueue>>;
  vaultBusArn: string;
  /** Simulated time at deployment (ms). */
  startedAt: number;
  close(): Promise<void>;
}

/** The names and settings the real stack uses (accounts/resources/stack.cjs), so the two cannot drift. */
const { NAMES, MAX_RECEIVE_COUNT, PRUNER, vaultKeyPolicy } = createRequire(import.meta.url)('../accounts/resources/stack.cjs') as {
  NAMES: {
    bus: string;
    readerRole: string;
    forwarderRole: string;
    reconcilerRole: string;
    prunerRole: string;
    restoreRole: string;
    legalHoldRole: string;
    recoveryRole: string;
    restoreKeyAliasPrefix: string;
    shareKeyAlias: string;
    vaultKeyAlias: string;
    catalogTable: string;
    auditTable: string;
  };
  MAX_RECEIVE_COUNT: number;
  PRUNER: { everyHours: number };
  vaultKeyPolicy(values: { accountId: string; region: string; vaultHandlerRoleArns: string[]; restoreRoleArn: string }): PolicyDocument;
};
const EXTERNAL_ID = 'backup-hub-local-drill';
/** What an SQS event source mapping needs of its function's role. */
const SQS_POLLING = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/** The catalog and audit-log actions the stack grants each role (its table statements; the audit log is appended to and read by all). */
const TABLE_ACTIONS = {
  handler: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
  pruner: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:PutItem'],
  restore: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
  legalHold: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'],
};
/** The names a restore finds a recovery account's role and restore key by. */
export const RECOVERY_NAMES: RecoveryNames = { recoveryRole: NAMES.recoveryRole, restoreKeyAliasPrefix: NAMES.restoreKeyAliasPrefix };
/** serverless.yml schedules the reconciler so. */
const RECONCILER_SCHEDULE = 'rate(5 minutes)';
/** The handler kinds this build deploys (kinds.yml lists all of them; only these have a handler). */
const DEPLOYED = { 'ebs-snapshot': ebsSnapshotHandler, ami: amiHandler, 'ssm-parameter': ssmParameterHandler, 'rds-snapshot': rdsSnapshotHandler, 'rds-cluster-snapshot': rdsClusterSnapshotHandler } as const;

/**
 * Deploys backup-hub on a fresh simulated cloud, as `serverless deploy` does on AWS: the
 * vault first (key, tables, bus and its policy, rules, queues with DLQs, functions), then
 * each source (share key, reader role, forwarding rules). Patterns, batch sizes and IAM
 * actions come from accounts/resources/kinds.yml, the file the real stack is built from.
 */
export async function deployLocalHub(spec: LocalHubSpec): Promise<LocalHub> {
  const { account: vault, region } = spec.vault;
  const dynamodb = { path: (account: string, at: string) => (account === vault && at === region ? spec.dataPath : undefined) };
  const cloud = new SimCloud({ ec2: spec.ec2, rds: spec.rds, dynamodb });
  const startedAt = cloud.clock.nowMs();
  const { kms, ec2, sqs, ssm, rds, events } = cloud;
  cloud.addAccount({ id: vault, orgId: spec.vault.orgId });
  for (const source of spec.sources) cloud.addAccount({ id: source.account, orgId: source.orgId });

  const kinds = loadKindSettings();
  const vaultKey = kms.createKey(vault, region, { alias: NAMES.vaultKeyAlias, description: 'backup-hub vault CMK' });
  await createTables({ ...cloud.clientConfig(cloud.adminCredentials(vault), region) }, { catalog: NAMES.catalogTable, audit: NAMES.auditTable });
  const vaultBus = events.createBus(vault, region, NAMES.bus, busPolicy(vault, region, spec.sources.map((s) => s.account)));

  const { lambda } = cloud;
  const handlerRoles: string[] = [];
  const queues: LocalHub['queues'] = {};
  const baseConfig: HubConfig = {
    vaultAccountId: vault,
    vaultRegion: region,
    vaultKeyArn: vaultKey.arn,
    catalogTable: NAMES.catalogTable,
    auditTable: NAMES.auditTable,
    readerRoleName: NAMES.readerRole,
    externalId: EXTERNAL_ID,
    shareKeyAlias: NAMES.shareKeyAlias,
    allowedSources: Object.fromEntries(spec.sources.map((s) => [s.account, s.regions])),
    maxReceiveCount: MAX_RECEIVE_COUNT,
  };
  const logger = spec.logger ?? new Logger({ serviceName: 'backup-hub', logLevel: 'SILENT' });
  const contextFor = (role: string, config: HubConfig) =>
    createHubContext({
      config,
      aws: new AwsClients({ defaults: { ...cloud.clientConfig(cloud.roleCredentials(role), region) } }),
      now: () => cloud.clock.now(),
      logger,
    });

  let ebsContext: HubContext | undefined;
  for (const [name, makeHandler] of Object.entries(DEPLOYED) as [keyof typeof DEPLOYED, (typeof DEPLOYED)[keyof typeof DEPLOYED]][]) {
    const settings = kinds[name];
    const functionName = `backup-hub-${name}`;
    const rule = vaultBus.ruleArn(functionName);
    const dlq = sqs.createQueue(vault, region, `${functionName}-dlq`, { messageRetentionSeconds: 14 * 86_400 });
    const queue = sqs.createQueue(vault, region, functionName, {
      visibilityTimeoutSeconds: settings.timeout * 6,
      redrivePolicy: { deadLetterTargetArn: dlq.arn, maxReceiveCount: MAX_RECEIVE_COUNT },
      policy: queuePolicy(rule),
    });
    queues[name] = { ...queue, dlqArn: dlq.arn };
    events.putRule(vault, region, { bus: NAMES.bus, name: functionName, pattern: JSON.stringify(settings.pattern), targets: [{ id: 'queue', arn: queue.arn }] });
    const role = cloud.iam.putRole({
      account: vault,
      name: functionName,
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: allowing(functionName, [...actionsOf(settings.vault), 'sts:AssumeRole', 'sqs:SendMessage', ...SQS_POLLING, ...TABLE_ACTIONS.handler]),
    });
    handlerRoles.push(role.arn);
    const context = contextFor(role.arn, { ...baseConfig, queueUrl: queue.url });
    ebsContext ??= context;
    lambda.createFunction(vault, region, { name: functionName, role: role.arn, handler: makeHandler(() => context), timeoutSeconds: settings.timeout });
    lambda.createEventSourceMapping(vault, region, {
      functionName,
      eventSourceArn: queue.arn,
      batchSize: settings.batchSize,
      maximumConcurrency: settings.maximumConcurrency,
      reportBatchItemFailures: true,
    });
  }
  const reconcilerRole = cloud.iam.putRole({
    account: vault,
    name: NAMES.reconcilerRole,
    trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
    policies: allowing(NAMES.reconcilerRole, [...Object.keys(DEPLOYED).flatMap((k) => actionsOf(kinds[k as ArtifactKindName].vault)), 'sts:AssumeRole', ...TABLE_ACTIONS.handler]),
  });
  handlerRoles.push(reconcilerRole.arn);
  const reconcilerContext = contextFor(reconcilerRole.arn, baseConfig);
  scheduleFunction(cloud, { account: vault, region, name: NAMES.reconcilerRole, role: reconcilerRole.arn, rate: RECONCILER_SCHEDULE, handler: reconcilerHandler(() => reconcilerContext) });
  const prunerRole = cloud.iam.putRole({
    account: vault,
    name: NAMES.prunerRole,
    trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
    policies: allowing(NAMES.prunerRole, [...Object.keys(DEPLOYED).flatMap((k) => actionsOf(kinds[k as ArtifactKindName].prune)), ...TABLE_ACTIONS.pruner]),
  });
  const prunerContext = contextFor(prunerRole.arn, baseConfig);
  const retention = spec.retention ?? { accounts: {} };
  scheduleFunction(cloud, { account: vault, region, name: NAMES.prunerRole, role: prunerRole.arn, rate: `rate(${PRUNER.everyHours} hours)`, handler: prunerHandler(() => prunerContext, () => retention) });

  const restoreRole = cloud.iam.putRole({
    account: vault,
    name: NAMES.restoreRole,
    trustPolicy: trustedBy({ AWS: rootArn(vault) }),
    policies: allowing(NAMES.restoreRole, [...Object.keys(DEPLOYED).flatMap((k) => actionsOf(kinds[k as ArtifactKindName].restore)), 'kms:DescribeKey', ...TABLE_ACTIONS.restore]),
  });
  const restoreContext = contextFor(restoreRole.arn, baseConfig);
  // The vault key gets the stack's own policy, now that the roles it names exist.
  kms.putKeyPolicy(vaultKey, JSON.stringify(vaultKeyPolicy({ accountId: vault, region, vaultHandlerRoleArns: handlerRoles, restoreRoleArn: restoreRole.arn })), { account: vault, arn: rootArn(vault) });
  // Operators assume it for `backup-hub hold`; it makes no AWS call but DynamoDB's.
  cloud.iam.putRole({ account: vault, name: NAMES.legalHoldRole, trustPolicy: trustedBy({ AWS: rootArn(vault) }), policies: allowing(NAMES.legalHoldRole, TABLE_ACTIONS.legalHold) });
  const recovery = spec.recovery ?? [];
  for (const target of recovery) deployRecovery(target, { cloud, kms, vault, region, restoreRoleArn: restoreRole.arn, kinds });

  for (const source of spec.sources) deploySource(source, { cloud, kms, events, vault, vaultBusArn: vaultBus.arn, handlerRoles, kinds });

  return {
    cloud,
    kms,
    ec2,
    events,
    sqs,
    ssm,
    rds,
    lambda,
    config: baseConfig,
    context: ebsContext!,
    prunerContext,
    restoreContext,
    recovery: recovery.map((r) => r.account),
    loseAccount(account) {
      for (const service of [ec2, rds, ssm, kms, cloud.iam]) service.removeAccount(account);
    },
    queues,
    vaultBusArn: vaultBus.arn,
    startedAt,
    close: () => cloud.close(),
  };
}

interface SourceDeployment {
  cloud: SimCloud;
  kms: KmsSim;
  events: EventBridgeSim;
  vault: string;
  vaultBusArn: string;
  handlerRoles: string[];
  kinds: ReturnType<typeof loadKindSettings>;
}

/** A source account's stack: the share key and forwarding rules per region, the reader role and the forwarder role. */
function deploySource(source: LocalHubSpec['sources'][number], d: SourceDeployment): void {
  const { cloud, kms, events } = d;
  cloud.iam.putRole({
    account: source.account,
    name: NAMES.readerRole,
    trustPolicy: trustedBy({ AWS: d.handlerRoles }, { StringEquals: { 'sts:ExternalId': EXTERNAL_ID, ...(source.orgId ? { 'aws:PrincipalOrgID': source.orgId } : {}) } }),
    policies: allowing(NAMES.readerRole, Object.keys(DEPLOYED).flatMap((k) => actionsOf(d.kinds[k as ArtifactKindName].reader))),
  });
  const forwarder = cloud.iam.putRole({
    account: source.account,
    name: NAMES.forwarderRole,
    trustPolicy: trustedBy({ Service: 'events.amazonaws.com' }),
    policies: allowing(NAMES.forwarderRole, ['events:PutEvents']),
  });
  for (const region of source.regions) {
    kms.createKey(source.account, region, { alias: NAMES.shareKeyAlias, description: 'backup-hub share key', policy: crossAccountKeyPolicy(source.account, d.vault) });
    for (const [name, settings] of Object.entries(d.kinds)) {
      events.putRule(source.account, region, {
        name: `backup-hub-forward-${name}`,
        pattern: JSON.stringify(settings.pattern),
        targets: [{ id: 'vault-bus', arn: d.vaultBusArn, roleArn: forwarder.arn }],
      });
    }
  }
}

/**
 * A recovery account's stack and its restore key in the vault: the recovery role, which only the
 * vault's restore role may assume (with the ExternalId) to write SSM parameters back; and a key the
 * vault re-encrypts restore copies under, which the recovery account may use to read and copy them.
 */
function deployRecovery(target: { account: string; orgId?: string }, d: { cloud: SimCloud; kms: KmsSim; vault: string; region: string; restoreRoleArn: string; kinds: ReturnType<typeof loadKindSettings> }): void {
  d.cloud.addAccount({ id: target.account, orgId: target.orgId });
  d.cloud.iam.putRole({
    account: target.account,
    name: NAMES.recoveryRole,
    trustPolicy: trustedBy({ AWS: d.restoreRoleArn }, { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } }),
    policies: allowing(NAMES.recoveryRole, Object.values(d.kinds).flatMap((k) => actionsOf(k.recovery))),
  });
  d.kms.createKey(d.vault, d.region, { alias: `${NAMES.restoreKeyAliasPrefix}${target.account}`, description: `backup-hub restore key for ${target.account}`, policy: crossAccountKeyPolicy(d.vault, target.account) });
}

/** A function run by a `rate(...)` rule on the default bus, as serverless compiles a `schedule` event: the rule, and the permission that lets it invoke the function. */
function scheduleFunction(cloud: SimCloud, f: { account: string; region: string; name: string; role: string; rate: string; handler: FunctionHandler }): void {
  const fn = cloud.lambda.createFunction(f.account, f.region, { name: f.name, role: f.role, handler: f.handler });
  const rule = cloud.events.putRule(f.account, f.region, { name: `${f.name}-schedule`, scheduleExpression: f.rate, targets: [{ id: f.name, arn: fn.arn }] });
  cloud.lambda.addPermission(fn.arn, { statementId: 'schedule', action: 'lambda:InvokeFunction', principal: 'events.amazonaws.com', sourceArn: rule.arn });
}

/** A trust policy letting `principal` assume the role, on `condition`. */
function trustedBy(principal: PolicyStatement['Principal'], condition?: PolicyStatement['Condition']): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }] };
}

/** One inline policy allowing the actions on every resource: the hand-wired roles' stand-in for the stack's statements. */
function allowing(name: string, actions: string[]): Record<string, PolicyDocument> {
  return { [name]: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } };
}

function busPolicy(vault: string, region: string, sources: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ListedSourcesOnly',
        Effect: 'Allow',
        Principal: { AWS: sources.map(rootArn) },
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:${region}:${vault}:event-bus/${NAMES.bus}`,
      },
    ],
  };
}

function queuePolicy(ruleArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: '*',
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  };
}

/**
 * A key its owner administers (its IAM decides who uses it) and another account may use to read and
 * copy what was shared with it, letting EC2 and RDS use the key for that (CreateGrant only for AWS
 * resources), as the stacks' share and restore keys allow.
 */
function crossAccountKeyPolicy(owner: string, user: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'OwnerAdministers', Effect: 'Allow', Principal: { AWS: rootArn(owner) }, Action: 'kms:*', Resource: '*' },
      { Sid: 'UserReadsSharedCopies', Effect: 'Allow', Principal: { AWS: rootArn(user) }, Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext'], Resource: '*' },
      { Sid: 'UserLetsServicesUseIt', Effect: 'Allow', Principal: { AWS: rootArn(user) }, Action: 'kms:CreateGrant', Resource: '*', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } },
    ],
  };
}
