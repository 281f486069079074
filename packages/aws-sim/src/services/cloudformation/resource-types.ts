import { randomBytes, randomUUID } from 'node:crypto';
import { type PolicyDocument, type PolicyStatement, parsePolicy } from '../../policy/resource-policy.js';
import type { AlarmSettings } from '../cloudwatch/alarm.js';
import type { CloudWatchSim } from '../cloudwatch/cloudwatch.js';
import { type DynamoDbSim, tableArn } from '../dynamodb/dynamodb.js';
import { parseBusArn } from '../events/event-bus.js';
import type { EventBridgeSim } from '../events/events.js';
import { checkRolePath, type Iam, roleArn } from '../iam/iam.js';
import { KEY_SPECS, type KeySpec } from '../kms/key.js';
import type { KmsSim } from '../kms/kms.js';
import type { FunctionHandler, LambdaSim } from '../lambda/lambda.js';
import type { LogsSim } from '../logs/logs.js';
import type { RecycleBin } from '../rbin/recycle-bin.js';
import type { RetentionMode } from '../s3/bucket.js';
import type { CreateBucketOptions, S3Sim } from '../s3/s3.js';
import type { SnsSim } from '../sns/sns.js';
import type { SqsSim } from '../sqs/sqs.js';
import type { SsmSim } from '../ssm/ssm.js';
import type { Properties } from './properties.js';
import { TemplateError } from './template.js';

/** The services whose state a stack's resources are created in. */
export interface StackServices {
  iam: Iam;
  kms: KmsSim;
  events: EventBridgeSim;
  sqs: SqsSim;
  lambda: LambdaSim;
  dynamodb: DynamoDbSim;
  sns: SnsSim;
  s3: S3Sim;
  ssm: SsmSim;
  logs: LogsSim;
  cloudwatch: CloudWatchSim;
  recycleBin: RecycleBin;
}

/** What the caller's code resolver is told about an `AWS::Lambda::Function`, as Lambda would give it to the code. */
export interface LambdaCodeRequest {
  logicalId: string;
  name: string;
  /** The `Handler` setting, e.g. `handlers/ebs-snapshot.handler`. */
  handler: string;
  runtime?: string;
  /** The `Code` property as resolved (S3 location or inline code), for resolvers that care. */
  code: unknown;
  environment: Record<string, string>;
  /** The execution role's ARN. */
  role: string;
  account: string;
  region: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** The function's stdout: each line goes to its log group `/aws/lambda/<name>` (and CloudWatch reads embedded metrics there). */
  log: (line: string) => void;
}

/** Supplies the code of each deployed function: an invocable handler. */
export type LambdaCodeResolver = (request: LambdaCodeRequest) => FunctionHandler;

/** One resource being created. */
export interface ProvisionContext {
  services: StackServices;
  account: string;
  region: string;
  stackName: string;
  logicalId: string;
  lambdaCode?: LambdaCodeResolver;
}

/** What a created resource answers to `Ref` and `Fn::GetAtt`. */
export interface Provisioned {
  ref: string;
  attributes?: Record<string, string>;
}

interface ResourceType {
  /** The properties the simulation honours; undefined for types it only records, whatever their properties. */
  properties?: readonly string[];
  create(props: Properties, ctx: ProvisionContext): Provisioned | Promise<Provisioned>;
}

/**
 * The name CloudFormation makes up for a resource whose template names none:
 * `<stack>-<logical id>-<random>`, shortened to the service's limit.
 */
function generatedName(ctx: ProvisionContext, maxLength: number, lowercase = false): string {
  const suffix = randomBytes(8).toString('hex').slice(0, 12).toUpperCase();
  const name = `${`${ctx.stackName}-${ctx.logicalId}`.slice(0, maxLength - suffix.length - 1)}-${suffix}`;
  return lowercase ? name.toLowerCase() : name;
}

/** The CreateTable parameters of a table's or a global table's properties (a global table has no ProvisionedThroughput). */
function tableDefinition(props: Properties): Record<string, unknown> {
  return Object.fromEntries(
    ['AttributeDefinitions', 'KeySchema', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes', 'BillingMode', 'ProvisionedThroughput']
      .filter((key) => props.has(key))
      .map((key) => [key, props.raw(key)]),
  );
}

/** A resource only recorded: its Ref is its name (or a made-up one), with an ARN from `arn`. */
function recorded(
  nameProperty: string | undefined,
  arn?: (ctx: ProvisionContext, name: string) => string,
  lowercase = false,
): ResourceType {
  return {
    create(props, ctx) {
      const name = (nameProperty && props.optionalString(nameProperty)) || generatedName(ctx, 63, lowercase);
      return arn ? { ref: name, attributes: { Arn: arn(ctx, name) } } : { ref: name };
    },
  };
}

/**
 * Every resource type the simulated CloudFormation creates, each through the same state the
 * service's API uses. Log groups and metric filters are recorded and otherwise ignored.
 */
export const RESOURCE_TYPES: Record<string, ResourceType> = {
  'AWS::IAM::Role': {
    properties: [
      'RoleName',
      'AssumeRolePolicyDocument',
      'Policies',
      'ManagedPolicyArns',
      'Description',
      'MaxSessionDuration',
      'Path',
      'Tags',
    ],
    create(props, ctx) {
      const path = props.optionalString('Path') ?? '/';
      checkRolePath(path);
      if (path !== '/') throw new TemplateError(`${props.where}: the simulation creates roles at path / only`);
      const managedPolicies = props.strings('ManagedPolicyArns');
      const awsManaged = managedPolicies.find((arn) => arn.startsWith('arn:aws:iam::aws:policy/'));
      if (awsManaged) throw new TemplateError(`${props.where}: ${awsManaged}: AWS managed policies are not simulated`);
      const role = ctx.services.iam.putRole({
        account: ctx.account,
        name: props.optionalString('RoleName') ?? generatedName(ctx, 64),
        trustPolicy: props.document('AssumeRolePolicyDocument') ?? required(props, 'AssumeRolePolicyDocument'),
        policies: Object.fromEntries(props.blocks('Policies', ['PolicyName', 'PolicyDocument']).map(inlinePolicy)),
        managedPolicies,
        description: props.optionalString('Description'),
        maxSessionSeconds: props.optionalNumber('MaxSessionDuration'),
      });
      return { ref: role.name, attributes: { Arn: role.arn, RoleId: `AROA${randomBytes(8).toString('hex').toUpperCase()}` } };
    },
  },

  'AWS::IAM::ManagedPolicy': {
    properties: ['ManagedPolicyName', 'PolicyDocument', 'Description', 'Roles'],
    create(props, ctx) {
      const policy = ctx.services.iam.createPolicy(ctx.account, {
        name: props.optionalString('ManagedPolicyName') ?? generatedName(ctx, 128),
        document: props.document('PolicyDocument') ?? required(props, 'PolicyDocument'),
        description: props.optionalString('Description'),
      });
      for (const role of props.strings('Roles')) ctx.services.iam.attachRolePolicy(roleArn(ctx.account, role), policy.arn);
      // "Ref returns the ARN" (AWS::IAM::ManagedPolicy).
      return { ref: policy.arn, attributes: { PolicyArn: policy.arn } };
    },
  },

  // An inline policy of roles named in the template or elsewhere: it counts against each role's inline policy quota.
  'AWS::IAM::Policy': {
    properties: ['PolicyName', 'PolicyDocument', 'Roles'],
    create(props, ctx) {
      const [name, document] = inlinePolicy(props);
      for (const role of props.strings('Roles')) ctx.services.iam.putRolePolicy(roleArn(ctx.account, role), name, document);
      return { ref: `${ctx.stackName}-${ctx.logicalId}-${randomUUID()}` };
    },
  },

  'AWS::IAM::RolePolicy': {
    properties: ['PolicyName', 'PolicyDocument', 'RoleName'],
    create(props, ctx) {
      const [name, document] = inlinePolicy(props);
      ctx.services.iam.putRolePolicy(roleArn(ctx.account, props.string('RoleName')), name, document);
      return { ref: `${ctx.stackName}-${ctx.logicalId}-${randomUUID()}` };
    },
  },

  'AWS::KMS::Key': {
    properties: [
      'Description',
      'KeyPolicy',
      'EnableKeyRotation',
      'PendingWindowInDays',
      'Enabled',
      'KeySpec',
      'KeyUsage',
      'MultiRegion',
      'Tags',
    ],
    create(props, ctx) {
      // Symmetric and elliptic-curve signing keys, single-region, are simulated.
      const keySpec = props.optionalString('KeySpec') ?? 'SYMMETRIC_DEFAULT';
      if (!(keySpec in KEY_SPECS) || props.optionalBoolean('MultiRegion'))
        throw new TemplateError(
          `${props.where}: the simulation creates single-region keys of the specs ${Object.keys(KEY_SPECS).join(', ')} only, not ${keySpec}`,
        );
      const usage = KEY_SPECS[keySpec as KeySpec].usage;
      const keyUsage = props.optionalString('KeyUsage') ?? 'ENCRYPT_DECRYPT';
      if (keyUsage !== usage)
        throw new TemplateError(`${props.where}: KeyUsage ${keyUsage} does not go with KeySpec ${keySpec} (it takes ${usage})`, {
          code: 'InvalidRequest',
        });
      // "Automatic key rotation is supported only on symmetric encryption KMS keys" (AWS::KMS::Key, EnableKeyRotation).
      if (usage !== 'ENCRYPT_DECRYPT' && props.optionalBoolean('EnableKeyRotation'))
        throw new TemplateError(`${props.where}: EnableKeyRotation is supported only on symmetric encryption keys, not ${keySpec}`, {
          code: 'InvalidRequest',
        });
      // The resource schema allows 7 to 30 days (the API model's 1 to 365 does not apply to AWS::KMS::Key).
      const pendingDays = props.optionalNumber('PendingWindowInDays');
      if (pendingDays !== undefined && (!Number.isInteger(pendingDays) || pendingDays < 7 || pendingDays > 30))
        throw new TemplateError(
          `${props.where}: Properties validation failed for resource ${ctx.logicalId} with message: #/PendingWindowInDays: ${pendingDays} is not a whole number from 7 to 30`,
          { code: 'InvalidRequest' },
        );
      const key = ctx.services.kms.createKey(ctx.account, ctx.region, {
        description: props.optionalString('Description'),
        policy: props.document('KeyPolicy'),
        keySpec: keySpec as KeySpec,
      });
      key.enabled = props.optionalBoolean('Enabled') ?? true;
      return { ref: key.keyId, attributes: { Arn: key.arn, KeyId: key.keyId } };
    },
  },

  'AWS::KMS::Alias': {
    properties: ['AliasName', 'TargetKeyId'],
    create(props, ctx) {
      const name = props.string('AliasName');
      // The resource schema's pattern and length; the reserved prefix is CreateAlias's ("alias/aws/ is reserved for AWS managed keys").
      if (!/^alias\/[a-zA-Z0-9:/_-]+$/.test(name) || name.length > 256)
        throw new TemplateError(
          `${props.where}: Model validation failed (#/AliasName: failed validation constraint for keyword [pattern])`,
          {
            code: 'InvalidRequest',
          },
        );
      if (name.startsWith('alias/aws/'))
        throw new TemplateError(`${props.where}: AliasName ${name}: the alias/aws/ prefix is reserved for AWS managed keys`);
      const key = ctx.services.kms.resolveKey(props.string('TargetKeyId'), ctx.account, ctx.region);
      ctx.services.kms.putAlias(ctx.account, ctx.region, name, key.arn);
      return { ref: name };
    },
  },

  'AWS::Events::EventBus': {
    properties: ['Name', 'Tags'],
    create(props, ctx) {
      const bus = ctx.services.events.createBus(ctx.account, ctx.region, props.string('Name'));
      return { ref: bus.name, attributes: { Arn: bus.arn, Name: bus.name } };
    },
  },

  'AWS::Events::EventBusPolicy': {
    properties: ['EventBusName', 'StatementId', 'Statement'],
    create(props, ctx) {
      const statementId = props.string('StatementId');
      if (!props.block('Statement')) required(props, 'Statement');
      const { Statement } = parsePolicy({ Statement: { ...(props.raw('Statement') as PolicyStatement), Sid: statementId } });
      ctx.services.events.bus(ctx.account, ctx.region, busName(props, ctx)).putPolicyStatement(Statement as PolicyStatement);
      return { ref: statementId };
    },
  },

  'AWS::Events::Rule': {
    properties: ['Name', 'Description', 'EventBusName', 'EventPattern', 'ScheduleExpression', 'State', 'Targets'],
    create(props, ctx) {
      const bus = busName(props, ctx);
      const state = props.optionalString('State') ?? 'ENABLED';
      if (state !== 'ENABLED' && state !== 'DISABLED') throw new TemplateError(`${props.where}: State must be ENABLED or DISABLED`);
      const targets = props.blocks('Targets', ['Id', 'Arn', 'RoleArn', 'DeadLetterConfig', 'RetryPolicy']).map((t) => {
        const retry = t.block('RetryPolicy', ['MaximumRetryAttempts', 'MaximumEventAgeInSeconds']);
        const deadLetterArn = t.block('DeadLetterConfig', ['Arn'])?.string('Arn');
        return {
          id: t.string('Id'),
          arn: t.string('Arn'),
          ...(t.has('RoleArn') ? { roleArn: t.string('RoleArn') } : {}),
          ...(deadLetterArn === undefined ? {} : { deadLetterArn }),
          ...(retry
            ? {
                retryPolicy: {
                  maximumRetryAttempts: retry.optionalNumber('MaximumRetryAttempts'),
                  maximumEventAgeSeconds: retry.optionalNumber('MaximumEventAgeInSeconds'),
                },
              }
            : {}),
        };
      });
      const pattern = props.raw('EventPattern');
      const rule = ctx.services.events.putRule(ctx.account, ctx.region, {
        bus,
        name: props.optionalString('Name') ?? generatedName(ctx, 64),
        ...(pattern === undefined ? {} : { pattern: pattern as string }),
        scheduleExpression: props.optionalString('ScheduleExpression'),
        state,
        description: props.optionalString('Description'),
        targets,
      });
      // "Ref returns the rule name, or eventbusname|rulename on a custom bus" (EventBridge resource reference, AWS::Events::Rule).
      return { ref: bus === 'default' ? rule.name : `${bus}|${rule.name}`, attributes: { Arn: rule.arn } };
    },
  },

  'AWS::SQS::Queue': {
    properties: [
      'QueueName',
      'DelaySeconds',
      'MessageRetentionPeriod',
      'VisibilityTimeout',
      'RedrivePolicy',
      'KmsMasterKeyId',
      'KmsDataKeyReusePeriodSeconds',
      'SqsManagedSseEnabled',
      'ReceiveMessageWaitTimeSeconds',
      'Tags',
    ],
    create(props, ctx) {
      const name = props.optionalString('QueueName') ?? generatedName(ctx, 80);
      const redrive = props.document('RedrivePolicy') as { deadLetterTargetArn?: string; maxReceiveCount?: number | string } | undefined;
      const queue = ctx.services.sqs.createQueue(ctx.account, ctx.region, name, {
        delaySeconds: props.optionalNumber('DelaySeconds'),
        messageRetentionSeconds: props.optionalNumber('MessageRetentionPeriod'),
        receiveWaitSeconds: props.optionalNumber('ReceiveMessageWaitTimeSeconds'),
        visibilityTimeoutSeconds: props.optionalNumber('VisibilityTimeout'),
        kmsMasterKeyId: props.optionalString('KmsMasterKeyId'),
        ...(redrive
          ? {
              redrivePolicy: {
                deadLetterTargetArn: String(redrive.deadLetterTargetArn ?? ''),
                maxReceiveCount: Number(redrive.maxReceiveCount),
              },
            }
          : {}),
      });
      return { ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } };
    },
  },

  'AWS::SQS::QueuePolicy': {
    properties: ['Queues', 'PolicyDocument'],
    create(props, ctx) {
      const policy = props.document('PolicyDocument') ?? required(props, 'PolicyDocument');
      for (const url of props.strings('Queues')) ctx.services.sqs.setPolicy(url, policy);
      return { ref: `${ctx.stackName}-${ctx.logicalId}-${randomUUID()}` };
    },
  },

  'AWS::Lambda::Function': {
    properties: [
      'FunctionName',
      'Handler',
      'Runtime',
      'Code',
      'MemorySize',
      'Timeout',
      'Role',
      'Environment',
      'Description',
      'Architectures',
      'ReservedConcurrentExecutions',
      'Tags',
    ],
    create(props, ctx) {
      if (!ctx.lambdaCode)
        throw new TemplateError(`${props.where}: the template deploys Lambda functions; pass lambdaCode to resolve their code`);
      const name = props.optionalString('FunctionName') ?? generatedName(ctx, 64);
      const variables = props.block('Environment', ['Variables'])?.block('Variables');
      const environment = Object.fromEntries((variables?.names() ?? []).map((key) => [key, variables!.string(key)]));
      const role = props.string('Role');
      const timeoutSeconds = props.optionalNumber('Timeout') ?? 3;
      const memoryMb = props.optionalNumber('MemorySize') ?? 128;
      const handlerName = props.string('Handler');
      const handler = ctx.lambdaCode({
        logicalId: ctx.logicalId,
        name,
        handler: handlerName,
        runtime: props.optionalString('Runtime'),
        code: props.raw('Code'),
        environment,
        role,
        account: ctx.account,
        region: ctx.region,
        timeoutSeconds,
        memoryMb,
        log: (message) =>
          ctx.services.logs.put({
            account: ctx.account,
            region: ctx.region,
            group: `/aws/lambda/${name}`,
            at: ctx.services.lambda.cloud.clock.nowMs(),
            message,
          }),
      });
      const fn = ctx.services.lambda.createFunction(ctx.account, ctx.region, {
        name,
        handler,
        handlerName,
        role,
        environment,
        timeoutSeconds,
        memoryMb,
        reservedConcurrency: props.optionalNumber('ReservedConcurrentExecutions'),
        description: props.optionalString('Description'),
      });
      return { ref: fn.name, attributes: { Arn: fn.arn } };
    },
  },

  'AWS::Lambda::EventSourceMapping': {
    properties: ['FunctionName', 'EventSourceArn', 'BatchSize', 'Enabled', 'FunctionResponseTypes', 'ScalingConfig'],
    create(props, ctx) {
      const responseTypes = props.strings('FunctionResponseTypes');
      if (responseTypes.some((t) => t !== 'ReportBatchItemFailures'))
        throw new TemplateError(`${props.where}: FunctionResponseTypes may hold ReportBatchItemFailures only`);
      const mapping = ctx.services.lambda.createEventSourceMapping(ctx.account, ctx.region, {
        functionName: props.string('FunctionName'),
        eventSourceArn: props.string('EventSourceArn'),
        batchSize: props.optionalNumber('BatchSize'),
        maximumConcurrency: props.block('ScalingConfig', ['MaximumConcurrency'])?.optionalNumber('MaximumConcurrency'),
        reportBatchItemFailures: responseTypes.length > 0,
        enabled: props.optionalBoolean('Enabled'),
      });
      return { ref: mapping.uuid };
    },
  },

  'AWS::Lambda::Permission': {
    properties: ['FunctionName', 'Action', 'Principal', 'SourceArn', 'SourceAccount'],
    create(props, ctx) {
      const statementId = generatedName(ctx, 100);
      const fn = ctx.services.lambda.function(props.string('FunctionName'), ctx.account, ctx.region);
      ctx.services.lambda.addPermission(fn.arn, {
        statementId,
        action: props.string('Action'),
        principal: props.string('Principal'),
        sourceArn: props.optionalString('SourceArn'),
        sourceAccount: props.optionalString('SourceAccount'),
      });
      return { ref: statementId };
    },
  },

  'AWS::DynamoDB::Table': {
    properties: [
      'TableName',
      'AttributeDefinitions',
      'KeySchema',
      'GlobalSecondaryIndexes',
      'LocalSecondaryIndexes',
      'BillingMode',
      'ProvisionedThroughput',
      'DeletionProtectionEnabled',
      'PointInTimeRecoverySpecification',
      'SSESpecification',
      'Tags',
    ],
    async create(props, ctx) {
      const name = props.optionalString('TableName') ?? generatedName(ctx, 255);
      const arn = await ctx.services.dynamodb.createTable(ctx.account, ctx.region, { TableName: name, ...tableDefinition(props) });
      return { ref: name, attributes: { Arn: arn } };
    },
  },

  // One stack creates the table in each replica's region (its own among them) and replicates between
  // them; more than one replica needs StreamSpecification (CloudFormation, AWS::DynamoDB::GlobalTable).
  'AWS::DynamoDB::GlobalTable': {
    properties: [
      'TableName',
      'AttributeDefinitions',
      'KeySchema',
      'GlobalSecondaryIndexes',
      'LocalSecondaryIndexes',
      'BillingMode',
      'StreamSpecification',
      'SSESpecification',
      'Replicas',
    ],
    async create(props, ctx) {
      const name = props.optionalString('TableName') ?? generatedName(ctx, 255);
      const regions = props
        .blocks('Replicas', ['Region', 'DeletionProtectionEnabled', 'PointInTimeRecoverySpecification', 'Tags'])
        .map((r) => r.string('Region'));
      if (!regions.includes(ctx.region))
        throw new TemplateError(`${props.where}: Replicas must include the stack's own region ${ctx.region}`);
      if (regions.length > 1 && !props.has('StreamSpecification'))
        throw new TemplateError(`${props.where}: a global table with more than one replica needs StreamSpecification`);
      const definition = tableDefinition(props);
      for (const region of regions) await ctx.services.dynamodb.createTable(ctx.account, region, { TableName: name, ...definition });
      ctx.services.dynamodb.replicate(ctx.account, name, regions);
      // Arn is the replica's in the stack's region.
      return { ref: name, attributes: { Arn: tableArn(ctx.region, ctx.account, name) } };
    },
  },

  // CloudFormation creates String and StringList parameters only (no SecureString); Ref is the name.
  'AWS::SSM::Parameter': {
    properties: ['Name', 'Type', 'Value', 'Description', 'Tier', 'DataType'],
    create(props, ctx) {
      const type = props.string('Type');
      if (type !== 'String' && type !== 'StringList')
        throw new TemplateError(`${props.where}: Type ${type} is not one CloudFormation creates (String or StringList)`);
      const name = props.optionalString('Name') ?? `CFN-${ctx.logicalId}-${randomBytes(6).toString('hex').toUpperCase()}`;
      const tier = props.optionalString('Tier');
      const version = ctx.services.ssm.putParameter(ctx.account, ctx.region, {
        name,
        type,
        value: props.string('Value'),
        description: props.optionalString('Description'),
        ...(tier === 'Standard' || tier === 'Advanced' ? { tier } : {}),
        dataType: props.optionalString('DataType'),
      });
      return { ref: name, attributes: { Type: version.type, Value: props.string('Value') } };
    },
  },

  'AWS::SNS::Topic': {
    properties: ['TopicName', 'DisplayName', 'KmsMasterKeyId', 'Subscription', 'Tags'],
    create(props, ctx) {
      const topic = ctx.services.sns.createTopic(ctx.account, ctx.region, {
        name: props.optionalString('TopicName') ?? generatedName(ctx, 256),
        displayName: props.optionalString('DisplayName'),
        kmsMasterKeyId: props.optionalString('KmsMasterKeyId'),
      });
      for (const s of props.blocks('Subscription', ['Endpoint', 'Protocol']))
        ctx.services.sns.subscribe(topic.arn, s.string('Protocol'), s.string('Endpoint'));
      return { ref: topic.arn, attributes: { TopicArn: topic.arn, TopicName: topic.name } };
    },
  },

  'AWS::SNS::Subscription': {
    properties: ['TopicArn', 'Protocol', 'Endpoint'],
    create(props, ctx) {
      return { ref: ctx.services.sns.subscribe(props.string('TopicArn'), props.string('Protocol'), props.string('Endpoint')).arn };
    },
  },

  'AWS::S3::Bucket': {
    properties: [
      'BucketName',
      'ObjectLockEnabled',
      'ObjectLockConfiguration',
      'VersioningConfiguration',
      'BucketEncryption',
      'PublicAccessBlockConfiguration',
      'OwnershipControls',
      'Tags',
    ],
    create(props, ctx) {
      const name = props.optionalString('BucketName') ?? generatedName(ctx, 63, true);
      const bucket = ctx.services.s3.createBucket(ctx.account, ctx.region, name, bucketOptions(props));
      return {
        ref: bucket.name,
        attributes: {
          Arn: bucket.arn,
          DomainName: `${bucket.name}.s3.amazonaws.com`,
          RegionalDomainName: `${bucket.name}.s3.${ctx.region}.amazonaws.com`,
        },
      };
    },
  },

  'AWS::S3::BucketPolicy': {
    properties: ['Bucket', 'PolicyDocument'],
    create(props, ctx) {
      ctx.services.s3.setBucketPolicy(
        ctx.account,
        props.string('Bucket'),
        props.document('PolicyDocument') ?? required(props, 'PolicyDocument'),
      );
      return { ref: `${ctx.stackName}-${ctx.logicalId}-${randomUUID()}` };
    },
  },
  'AWS::Rbin::Rule': {
    properties: ['Description', 'ResourceType', 'RetentionPeriod', 'ResourceTags', 'ExcludeResourceTags', 'LockConfiguration', 'Tags'],
    create(props, ctx) {
      const retention =
        props.block('RetentionPeriod', ['RetentionPeriodValue', 'RetentionPeriodUnit']) ?? required(props, 'RetentionPeriod');
      // CloudFormation's LockConfiguration is the API's UnlockDelay itself.
      const delay = props.block('LockConfiguration', ['UnlockDelayValue', 'UnlockDelayUnit']);
      const tags = (name: string) =>
        props
          .blocks(name, ['ResourceTagKey', 'ResourceTagValue'])
          .map((t) => ({ key: t.string('ResourceTagKey'), value: t.optionalString('ResourceTagValue') }));
      const rule = ctx.services.recycleBin.createRule(ctx.account, ctx.region, {
        resourceType: props.string('ResourceType'),
        retentionDays: retention.number('RetentionPeriodValue'),
        description: props.optionalString('Description'),
        resourceTags: tags('ResourceTags'),
        excludeResourceTags: tags('ExcludeResourceTags'),
        unlockDelayDays: delay?.number('UnlockDelayValue'),
      });
      const arn = `arn:aws:rbin:${ctx.region}:${ctx.account}:rule/${rule.id}`;
      return { ref: rule.id, attributes: { Arn: arn, Identifier: rule.id, LockState: ctx.services.recycleBin.lockState(rule) } };
    },
  },

  'AWS::Logs::LogGroup': recorded('LogGroupName', (ctx, name) => `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}:*`),
  'AWS::Logs::MetricFilter': recorded('FilterName'),
  'AWS::CloudWatch::Alarm': {
    properties: [
      'AlarmName',
      'AlarmDescription',
      'Namespace',
      'MetricName',
      'Dimensions',
      'Statistic',
      'Period',
      'EvaluationPeriods',
      'DatapointsToAlarm',
      'Threshold',
      'ComparisonOperator',
      'TreatMissingData',
      'ActionsEnabled',
      'AlarmActions',
      'OKActions',
      'InsufficientDataActions',
      'Unit',
    ],
    create(props, ctx) {
      const settings: AlarmSettings = {
        AlarmName: props.optionalString('AlarmName') ?? generatedName(ctx, 255),
        Namespace: props.string('Namespace'),
        MetricName: props.string('MetricName'),
        Dimensions: props.blocks('Dimensions', ['Name', 'Value']).map((d) => ({ Name: d.string('Name'), Value: d.string('Value') })),
        Statistic: props.string('Statistic') as AlarmSettings['Statistic'],
        Period: props.number('Period'),
        EvaluationPeriods: props.number('EvaluationPeriods'),
        Threshold: props.number('Threshold'),
        ComparisonOperator: props.string('ComparisonOperator') as AlarmSettings['ComparisonOperator'],
        AlarmActions: props.strings('AlarmActions'),
        OKActions: props.strings('OKActions'),
        InsufficientDataActions: props.strings('InsufficientDataActions'),
        ...optional('AlarmDescription', props.optionalString('AlarmDescription')),
        ...optional('DatapointsToAlarm', props.optionalNumber('DatapointsToAlarm')),
        ...optional('TreatMissingData', props.optionalString('TreatMissingData') as AlarmSettings['TreatMissingData']),
        ...optional('ActionsEnabled', props.optionalBoolean('ActionsEnabled')),
        ...optional('Unit', props.optionalString('Unit')),
      };
      const alarm = ctx.services.cloudwatch.putMetricAlarm(ctx.account, ctx.region, settings);
      return { ref: alarm.AlarmName, attributes: { Arn: alarm.arn } };
    },
  },

  'AWS::CloudWatch::Dashboard': {
    properties: ['DashboardName', 'DashboardBody'],
    create(props, ctx) {
      const name = props.optionalString('DashboardName') ?? generatedName(ctx, 255);
      ctx.services.cloudwatch.putDashboard(ctx.account, ctx.region, name, props.string('DashboardBody'));
      return { ref: name };
    },
  },
};

/**
 * What an AWS::S3::Bucket asks of S3. `ObjectLockConfiguration` needs `ObjectLockEnabled`; Object
 * Lock turns versioning on (S3 refuses to suspend it then). Public access blocks and ownership
 * controls are accepted and have nothing to act on: the simulation has no ACLs or public access.
 */
function bucketOptions(props: Properties): CreateBucketOptions {
  const lock = props.block('ObjectLockConfiguration', ['ObjectLockEnabled', 'Rule']);
  const objectLockEnabled = props.optionalBoolean('ObjectLockEnabled') ?? false;
  if (lock && (!objectLockEnabled || lock.optionalString('ObjectLockEnabled') !== 'Enabled'))
    throw new TemplateError(
      `${props.where}: ObjectLockConfiguration needs ObjectLockEnabled: true and ObjectLockConfiguration.ObjectLockEnabled: Enabled`,
    );
  const rule = lock?.block('Rule', ['DefaultRetention'])?.block('DefaultRetention', ['Mode', 'Days', 'Years']);
  const status = props.block('VersioningConfiguration', ['Status'])?.string('Status');
  if (status !== undefined && status !== 'Enabled' && status !== 'Suspended')
    throw new TemplateError(`${props.where}: VersioningConfiguration.Status must be Enabled or Suspended`);
  const sse = props
    .block('BucketEncryption', ['ServerSideEncryptionConfiguration'])
    ?.blocks('ServerSideEncryptionConfiguration', ['ServerSideEncryptionByDefault', 'BucketKeyEnabled'])[0];
  const byDefault = sse?.block('ServerSideEncryptionByDefault', ['SSEAlgorithm', 'KMSMasterKeyID']);
  const algorithm = byDefault?.string('SSEAlgorithm');
  if (algorithm !== undefined && algorithm !== 'AES256' && algorithm !== 'aws:kms')
    throw new TemplateError(`${props.where}: SSEAlgorithm ${algorithm} is not simulated (AES256 and aws:kms are)`);
  if (sse?.optionalBoolean('BucketKeyEnabled')) throw new TemplateError(`${props.where}: S3 Bucket Keys are not simulated`);
  return {
    objectLockEnabled,
    ...(status ? { versioning: status } : {}),
    ...(rule
      ? {
          defaultRetention: {
            mode: rule.string('Mode') as RetentionMode,
            days: rule.optionalNumber('Days'),
            years: rule.optionalNumber('Years'),
          },
        }
      : {}),
    ...(algorithm === 'aws:kms'
      ? {
          encryption: { algorithm, keyId: byDefault!.optionalString('KMSMasterKeyID') },
        }
      : algorithm === 'AES256'
        ? { encryption: { algorithm } }
        : {}),
  };
}

/** A property the template may leave out, spread only when present (exactOptionalPropertyTypes). */
const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** The bus a rule or bus policy names: by name, or by the ARN of one of the account's buses in the region. */
function busName(props: Properties, ctx: ProvisionContext): string {
  const value = props.optionalString('EventBusName') ?? 'default';
  if (!value.startsWith('arn:')) return value;
  const parsed = parseBusArn(value);
  if (!parsed || parsed.account !== ctx.account || parsed.region !== ctx.region)
    throw new TemplateError(`${props.where}: EventBusName ${value} is not a bus of this account and region`);
  return parsed.name;
}

function inlinePolicy(props: Properties): [string, PolicyDocument] {
  return [props.string('PolicyName'), props.document('PolicyDocument') ?? required(props, 'PolicyDocument')];
}

function required(props: Properties, name: string): never {
  throw new TemplateError(`${props.where}: property ${name} is required`);
}
