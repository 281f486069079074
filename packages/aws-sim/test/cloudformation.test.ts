import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DeployInput, type LambdaCodeRequest, SimCloud, type Template, TemplateError, type TemplateResource } from '../src/index.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';
const REGION = 'eu-west-1';

let cloud: SimCloud;
beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT, orgId: 'o-example' });
  cloud.addAccount({ id: SOURCE, orgId: 'o-example' });
});
afterEach(() => cloud.close());

const deploy = (resources: Record<string, TemplateResource>, more: Partial<Template> & Partial<Omit<DeployInput, 'template'>> = {}) => {
  const { account = VAULT, region = REGION, stackName = 'test', parameters, lambdaCode, ...sections } = more;
  return cloud.cloudformation.deploy({
    account,
    region,
    stackName,
    template: { ...sections, Resources: resources },
    ...(parameters ? { parameters } : {}),
    ...(lambdaCode ? { lambdaCode } : {}),
  });
};

const lambdaTrust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const allow = (name: string, actions: string[], resource: unknown = '*') => ({
  PolicyName: name,
  PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] },
});

describe('CloudFormation resources: each created through the state the APIs use', () => {
  it('IAM roles keep their trust policy and inline policies whole; Ref is the name, GetAtt Arn the ARN', async () => {
    const scoped = allow('copy', ['ec2:CopySnapshot'], { 'Fn::Sub': 'arn:aws:ec2:${AWS::Region}::snapshot/*' });
    const stack = await deploy({
      Copier: {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: 'copier', AssumeRolePolicyDocument: lambdaTrust, Policies: [scoped], MaxSessionDuration: 7200 },
      },
      Unnamed: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: lambdaTrust } },
    });
    expect(stack.resources.Copier).toMatchObject({ physicalId: 'copier', attributes: { Arn: `arn:aws:iam::${VAULT}:role/copier` } });
    expect(cloud.iam.role(`arn:aws:iam::${VAULT}:role/copier`)).toMatchObject({
      trustPolicy: lambdaTrust,
      policies: { copy: { Statement: [{ Action: ['ec2:CopySnapshot'], Resource: `arn:aws:ec2:${REGION}::snapshot/*` }] } },
      maxSessionSeconds: 7200,
    });
    expect(stack.resources.Unnamed!.physicalId).toMatch(/^test-Unnamed-[0-9A-F]{12}$/);
  });

  it('KMS keys with their key policy, and aliases resolving to them', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
      ],
    };
    const stack = await deploy({
      // Listed before its key: creation follows the references, not the template order.
      KeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/vault', TargetKeyId: { Ref: 'Key' } } },
      Key: { Type: 'AWS::KMS::Key', Properties: { Description: 'vault key', EnableKeyRotation: true, KeyPolicy: policy } },
    });
    const key = cloud.kms.resolveKey('alias/vault', VAULT, REGION);
    expect(stack.resources.Key).toMatchObject({ physicalId: key.keyId, attributes: { Arn: key.arn, KeyId: key.keyId } });
    expect(JSON.parse(key.policyText)).toEqual({
      ...policy,
      Statement: [{ ...policy.Statement[0], Principal: { AWS: `arn:aws:iam::${VAULT}:root` } }],
    });
    expect(key.description).toBe('vault key');
  });

  it('an event bus with its policy statement, a rule with its pattern and targets (role, dead-letter queue, retry policy), queues with redrive and their policy', async () => {
    const stack = await deploy({
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'hub' } },
      BusPolicy: {
        Type: 'AWS::Events::EventBusPolicy',
        Properties: {
          EventBusName: { Ref: 'Bus' },
          StatementId: 'sources',
          Statement: {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${SOURCE}:root` },
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': ['Bus', 'Arn'] },
          },
        },
      },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'copies-dlq', MessageRetentionPeriod: 1209600 } },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          QueueName: 'copies',
          VisibilityTimeout: 720,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 },
        },
      },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'ebs',
          EventBusName: { Ref: 'Bus' },
          EventPattern: { source: ['backup-hub.test'] },
          Targets: [
            {
              Id: 'queue',
              Arn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['Dlq', 'Arn'] } },
              RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
            },
          ],
        },
      },
      QueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'events.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: '*',
                Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['Rule', 'Arn'] } } },
              },
            ],
          },
        },
      },
    });
    const busArn = `arn:aws:events:${REGION}:${VAULT}:event-bus/hub`;
    expect(stack.resources).toMatchObject({
      Bus: { physicalId: 'hub', attributes: { Arn: busArn } },
      Queue: { physicalId: `https://sqs.${REGION}.amazonaws.com/${VAULT}/copies`, attributes: { QueueName: 'copies' } },
      Rule: { physicalId: 'hub|ebs', attributes: { Arn: `arn:aws:events:${REGION}:${VAULT}:rule/hub/ebs` } },
    });
    expect(cloud.events.bus(VAULT, REGION, 'hub').rule('ebs').targets).toEqual([
      {
        id: 'queue',
        arn: `arn:aws:sqs:${REGION}:${VAULT}:copies`,
        deadLetterArn: `arn:aws:sqs:${REGION}:${VAULT}:copies-dlq`,
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86400 },
      },
    ]);
    expect(cloud.sqs.queue(`arn:aws:sqs:${REGION}:${VAULT}:copies`).settings).toMatchObject({
      visibilityTimeoutSeconds: 720,
      redrivePolicy: { maxReceiveCount: 5 },
    });
    // The source may put on the bus (the bus policy), the rule may send to the queue (the queue policy).
    const source = new EventBridgeClient(cloud.clientConfig(cloud.adminCredentials(SOURCE), REGION));
    const { FailedEntryCount } = await source.send(
      new PutEventsCommand({ Entries: [{ EventBusName: busArn, Source: 'backup-hub.test', DetailType: 'x', Detail: '{}' }] }),
    );
    expect(FailedEntryCount).toBe(0);
    expect(cloud.sqs.depth(`arn:aws:sqs:${REGION}:${VAULT}:copies`)).toBe(1);
  });

  it('Lambda functions from the code resolver, scheduled rules invoking them on simulated time through their permission, SQS event source mappings', async () => {
    const requests: LambdaCodeRequest[] = [];
    const runs: string[] = [];
    const batches: number[] = [];
    const lambdaCode = (request: LambdaCodeRequest) => {
      requests.push(request);
      return request.name === 'copier' ? (event: SQSEvent) => void batches.push(event.Records.length) : () => void runs.push(request.name);
    };
    await deploy(
      {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: lambdaTrust,
            Policies: [allow('poll', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])],
          },
        },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'work' } },
        Reconciler: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            FunctionName: 'reconciler',
            Handler: 'handlers/reconciler.handler',
            Runtime: 'nodejs22.x',
            Code: { ZipFile: 'x' },
            Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
            Timeout: 280,
            MemorySize: 512,
            ReservedConcurrentExecutions: 1,
          },
        },
        Copier: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            FunctionName: 'copier',
            Handler: 'handlers/copy.handler',
            Code: { ZipFile: 'x' },
            Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
            Environment: { Variables: { QUEUE_URL: { Ref: 'Queue' }, LIMIT: 5 } },
          },
        },
        Schedule: {
          Type: 'AWS::Events::Rule',
          Properties: { ScheduleExpression: 'rate(5 minutes)', Targets: [{ Id: 'run', Arn: { 'Fn::GetAtt': ['Reconciler', 'Arn'] } }] },
        },
        Permission: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            FunctionName: { 'Fn::GetAtt': ['Reconciler', 'Arn'] },
            Action: 'lambda:InvokeFunction',
            Principal: 'events.amazonaws.com',
            SourceArn: { 'Fn::GetAtt': ['Schedule', 'Arn'] },
          },
        },
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            FunctionName: { Ref: 'Copier' },
            EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
            BatchSize: 2,
            ScalingConfig: { MaximumConcurrency: 2 },
            FunctionResponseTypes: ['ReportBatchItemFailures'],
          },
        },
      },
      { lambdaCode },
    );
    expect(requests.find((r) => r.name === 'copier')).toMatchObject({
      handler: 'handlers/copy.handler',
      environment: { QUEUE_URL: `https://sqs.${REGION}.amazonaws.com/${VAULT}/work`, LIMIT: '5' },
      account: VAULT,
      region: REGION,
      timeoutSeconds: 3,
      memoryMb: 128,
    });
    expect(requests.find((r) => r.name === 'reconciler')).toMatchObject({
      role: expect.stringMatching(new RegExp(`^arn:aws:iam::${VAULT}:role/test-Role-`)),
      timeoutSeconds: 280,
      memoryMb: 512,
      runtime: 'nodejs22.x',
    });
    for (const body of ['a', 'b', 'c']) cloud.sqs.queue(`arn:aws:sqs:${REGION}:${VAULT}:work`).send(body, {}, VAULT);
    await cloud.advance(10 * 60_000, { tickMs: 60_000 });
    expect(runs).toEqual(['reconciler', 'reconciler']);
    expect(batches.sort()).toEqual([1, 2]);
  });

  it('DynamoDB tables with their indexes, the ARN as attribute', async () => {
    const stack = await deploy({
      Catalog: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: 'catalog',
          BillingMode: 'PAY_PER_REQUEST',
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'account', AttributeType: 'S' },
            { AttributeName: 'createdAt', AttributeType: 'S' },
          ],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byAccount',
              KeySchema: [
                { AttributeName: 'account', KeyType: 'HASH' },
                { AttributeName: 'createdAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        },
      },
    });
    expect(stack.resources.Catalog).toMatchObject({
      physicalId: 'catalog',
      attributes: { Arn: `arn:aws:dynamodb:${REGION}:${VAULT}:table/catalog` },
    });
    const { Table } = await new DynamoDBClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION)).send(
      new DescribeTableCommand({ TableName: 'catalog' }),
    );
    expect(Table).toMatchObject({ TableStatus: 'ACTIVE', GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'byAccount' })] });
  });

  it('asymmetric signing keys (ECC_NIST_P256, SIGN_VERIFY), refusing rotation and a usage that does not go with the spec', async () => {
    const stack = await deploy({ Signer: { Type: 'AWS::KMS::Key', Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' } } });
    const key = cloud.kms.key(stack.resources.Signer!.attributes.Arn!);
    expect({ spec: key?.keySpec, usage: key?.keyUsage }).toEqual({ spec: 'ECC_NIST_P256', usage: 'SIGN_VERIFY' });
    await expect(
      deploy(
        { Rotating: { Type: 'AWS::KMS::Key', Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', EnableKeyRotation: true } } },
        { stackName: 'rotating' },
      ),
    ).rejects.toThrow(/Rotating.*EnableKeyRotation is supported only on symmetric encryption keys/);
    await expect(
      deploy({ Mixed: { Type: 'AWS::KMS::Key', Properties: { KeySpec: 'ECC_NIST_P256' } } }, { stackName: 'mixed' }),
    ).rejects.toThrow(/Mixed.*KeyUsage ENCRYPT_DECRYPT does not go with KeySpec ECC_NIST_P256/);
  });

  it('S3 buckets with Object Lock (a default retention), versioning and default SSE-KMS; bucket policies; Ref is the name', async () => {
    const stack = await deploy({
      Key: { Type: 'AWS::KMS::Key', Properties: {} },
      Store: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          BucketName: 'store-999999999999',
          ObjectLockEnabled: true,
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
          VersioningConfiguration: { Status: 'Enabled' },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
            ],
          },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true },
        },
      },
      StorePolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Store' },
          PolicyDocument: {
            Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:PutBucketPolicy', Resource: { 'Fn::GetAtt': ['Store', 'Arn'] } }],
          },
        },
      },
      Unnamed: { Type: 'AWS::S3::Bucket', Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [] } } },
    });
    expect(stack.resources.Store).toMatchObject({
      physicalId: 'store-999999999999',
      attributes: { Arn: 'arn:aws:s3:::store-999999999999' },
    });
    expect(stack.resources.Unnamed!.physicalId).toMatch(/^test-unnamed-[0-9a-f]{12}$/);
    const bucket = cloud.s3.bucket('store-999999999999')!;
    expect(bucket).toMatchObject({
      versioning: 'Enabled',
      objectLockEnabled: true,
      defaultRetention: { mode: 'GOVERNANCE', days: 7 },
      encryption: { algorithm: 'aws:kms', keyId: stack.resources.Key!.attributes.Arn },
    });
    expect(bucket.policy).toMatchObject({ Statement: [{ Effect: 'Deny', Action: 's3:PutBucketPolicy' }] });
    await expect(
      deploy(
        { Lockless: { Type: 'AWS::S3::Bucket', Properties: { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } } } },
        { stackName: 'other' },
      ),
    ).rejects.toThrow(/Lockless.*ObjectLockConfiguration needs ObjectLockEnabled: true/);
  });

  it('SNS topics and subscriptions, and alarms; log groups and metric filters are recorded', async () => {
    const stack = await deploy({
      Topic: {
        Type: 'AWS::SNS::Topic',
        Properties: { TopicName: 'alarms', Subscription: [{ Protocol: 'email', Endpoint: 'oncall@example.com' }] },
      },
      Sms: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'sms', Endpoint: '+15555550100' } },
      Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/x', RetentionInDays: 90 } },
      Lines: {
        Type: 'AWS::Logs::MetricFilter',
        Properties: { LogGroupName: { Ref: 'Logs' }, FilterPattern: 'ERROR', MetricTransformations: [] },
      },
      Alarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: 'errors',
          Namespace: 'backup-hub',
          MetricName: 'AlertLogLines',
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [{ Ref: 'Topic' }],
        },
      },
    });
    const topicArn = `arn:aws:sns:${REGION}:${VAULT}:alarms`;
    expect(cloud.sns.topic(topicArn).subscriptions.map((s) => [s.protocol, s.endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['sms', '+15555550100'],
    ]);
    expect(stack.resources.Logs).toMatchObject({
      physicalId: '/aws/lambda/x',
      attributes: { Arn: `arn:aws:logs:${REGION}:${VAULT}:log-group:/aws/lambda/x:*` },
    });
    expect(stack.resources.Alarm!.physicalId).toBe('errors');
  });

  it('SSM parameters (String and StringList; CloudFormation makes no SecureString), Ref the name', async () => {
    const stack = await deploy({
      Source: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/hub/sources/111111111111', Type: 'String', Value: '{"regions":[]}' } },
    });
    expect(stack.resources.Source!.physicalId).toBe('/hub/sources/111111111111');
    expect(cloud.ssm.parameter(VAULT, REGION, '/hub/sources/111111111111')?.latest()).toMatchObject({
      type: 'String',
      plaintext: '{"regions":[]}',
    });
    await expect(
      deploy({ Secret: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'SecureString', Value: 'x' } } }, { stackName: 'other' }),
    ).rejects.toThrow(/Secret.*SecureString/);
  });
});

describe('CloudFormation intrinsic functions, pseudo-parameters, parameters, conditions and outputs', () => {
  const topic = (name: unknown, condition?: string): TemplateResource => ({
    Type: 'AWS::SNS::Topic',
    Properties: { TopicName: name },
    ...(condition ? { Condition: condition } : {}),
  });

  it('resolves Ref, Fn::GetAtt, both forms of Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::GetAZs and the pseudo-parameters', async () => {
    const stack = await deploy(
      {
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'q' } },
        SubString: topic({ 'Fn::Sub': '${AWS::StackName}-${AWS::Region}-${AWS::AccountId}-${Queue.QueueName}' }),
        SubList: topic({ 'Fn::Sub': ['${Prefix}-${Env}', { Prefix: { Ref: 'AWS::Partition' } }] }),
        Dotted: topic({ 'Fn::GetAtt': 'Queue.QueueName' }),
        Joined: topic({ 'Fn::Join': ['-', ['a', { Ref: 'Env' }, { 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] }]] }),
      },
      {
        stackName: 'intrinsics',
        Parameters: { Env: { Type: 'String', Default: 'dev', AllowedValues: ['dev', 'prod'] } },
        parameters: { Env: 'prod' },
        Outputs: { Zone: { Value: { 'Fn::Join': ['', [{ 'Fn::Select': ['0', { 'Fn::GetAZs': '' }] }, ' ', { Ref: 'AWS::URLSuffix' }]] } } },
      },
    );
    expect(
      Object.fromEntries(
        Object.entries(stack.resources)
          .filter(([id]) => id !== 'Queue')
          .map(([id, r]) => [id, r.attributes.TopicName]),
      ),
    ).toEqual({
      SubString: `intrinsics-${REGION}-${VAULT}-q`,
      SubList: 'aws-prod',
      Dotted: 'q',
      Joined: 'a-prod-y',
    });
    expect(stack.outputs).toEqual({ Zone: `${REGION}a amazonaws.com` });
  });

  it('resolves Fn::Sub with a literal ${!…}, and evaluates Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition; AWS::NoValue removes a property; outputs follow their conditions', async () => {
    const stack = await deploy(
      {
        Queue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: { 'Fn::If': ['IsPrimary', 'primary', 'secondary'] },
            DelaySeconds: { 'Fn::If': ['IsProd', 5, { Ref: 'AWS::NoValue' }] },
          },
        },
        Only: topic('only-in-secondary', 'NotPrimary'),
      },
      {
        Conditions: {
          IsPrimary: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
          IsProd: { 'Fn::And': [{ Condition: 'IsPrimary' }, { 'Fn::Equals': ['prod', 'dev'] }] },
          NotPrimary: { 'Fn::Not': [{ 'Fn::Or': [{ Condition: 'IsPrimary' }, { 'Fn::Equals': ['a', 'b'] }] }] },
        },
        Outputs: {
          QueueUrl: { Value: { Ref: 'Queue' } },
          Only: { Value: { Ref: 'Only' }, Condition: 'NotPrimary' },
          Literal: { Value: { 'Fn::Sub': ['${!Name}-${Env}', { Env: 'x' }] } },
        },
      },
    );
    expect(Object.keys(stack.resources)).toEqual(['Queue']);
    expect(cloud.sqs.queue(`arn:aws:sqs:${REGION}:${VAULT}:primary`).settings.delaySeconds).toBe(0);
    expect(stack.outputs).toEqual({ QueueUrl: `https://sqs.${REGION}.amazonaws.com/${VAULT}/primary`, Literal: '${Name}-x' });
  });

  it('refuses a reference to a resource its condition leaves out, as CloudFormation does, before creating anything', async () => {
    const attempt = deploy(
      { Kept: topic({ 'Fn::GetAtt': ['Left', 'TopicName'] }), Left: topic('left', 'Never') },
      { Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } } },
    );
    await expect(attempt).rejects.toThrow(
      'Unresolved resource dependencies [Left] in the Resources block of the template: Kept depends on it, but its condition Never leaves it out',
    );
    expect(cloud.sns.topic.bind(cloud.sns, `arn:aws:sns:${REGION}:${VAULT}:left`)).toThrow();
  });

  it('orders creation by references and DependsOn, and names the resources of a circle', async () => {
    const order: string[] = [];
    const lambdaCode = (request: LambdaCodeRequest) => {
      order.push(request.name);
      return () => undefined;
    };
    const fn = (name: string, extra: Partial<TemplateResource> = {}): TemplateResource => ({
      Type: 'AWS::Lambda::Function',
      Properties: { FunctionName: name, Handler: 'h.handler', Code: {}, Role: { 'Fn::GetAtt': ['Role', 'Arn'] } },
      ...extra,
    });
    await deploy(
      {
        Last: fn('last', { DependsOn: 'Middle' }),
        Middle: fn('middle', { DependsOn: ['First'] }),
        First: fn('first'),
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: lambdaTrust } },
      },
      { lambdaCode },
    );
    expect(order).toEqual(['first', 'middle', 'last']);
    const circle = deploy(
      {
        A: topic({ 'Fn::GetAtt': ['B', 'TopicName'] }),
        B: topic({ 'Fn::Sub': '${C.TopicName}' }),
        C: { ...topic('c'), DependsOn: 'A' },
        Waiting: topic({ Ref: 'A' }),
      },
      { stackName: 'circle' },
    );
    await expect(circle).rejects.toThrow('Circular dependency between resources: [A, B, C]');
  });

  it('evaluates template Rules before anything: an assertion on AWS::AccountId refuses the wrong account with its description', async () => {
    const rules = {
      Rules: {
        RightAccount: {
          Assertions: [
            { Assert: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, VAULT] }, AssertDescription: `deploy this stack into ${VAULT} only` },
          ],
        },
      },
    };
    await expect(deploy({ T: topic('t') }, { ...rules, account: SOURCE })).rejects.toThrow(
      `Template rule RightAccount failed: deploy this stack into ${VAULT} only`,
    );
    expect(cloud.cloudformation.stacks()).toEqual([]);
    await expect(deploy({ T: topic('t') }, { ...rules, account: SOURCE })).rejects.toMatchObject({ code: 'ValidationError' });
    await expect(deploy({ T: topic('t') }, rules)).resolves.toMatchObject({ resources: { T: expect.anything() } });
  });

  it('takes only rule functions in Rules: Condition, a condition function, is none', async () => {
    const rules = {
      Conditions: { InVault: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, VAULT] } },
      Rules: { RightAccount: { Assertions: [{ Assert: { Condition: 'InVault' }, AssertDescription: 'vault only' }] } },
    };
    await expect(deploy({ T: topic('t') }, rules)).rejects.toThrow(
      'Rules.RightAccount.Assertions[0]: Condition is not a rule function the simulated CloudFormation supports',
    );
  });
});

describe('CloudFormation refuses what it cannot honour, naming the logical id, before creating anything', () => {
  const queue = { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'created-first' } };
  const refused = async (resources: Record<string, TemplateResource>, message: string) => {
    await expect(deploy({ Queue: queue, ...resources })).rejects.toThrow(new TemplateError(message));
    expect(() => cloud.sqs.queue(`arn:aws:sqs:${REGION}:${VAULT}:created-first`)).toThrow('The specified queue does not exist.');
  };

  it('an unsupported resource type', () =>
    refused(
      { Vpc: { Type: 'AWS::EC2::VPC', Properties: {} } },
      'Vpc (AWS::EC2::VPC): the resource type AWS::EC2::VPC is not supported by the simulated CloudFormation',
    ));

  it('an unsupported property', () =>
    refused(
      {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: { AssumeRolePolicyDocument: lambdaTrust, PermissionsBoundary: `arn:aws:iam::${VAULT}:policy/boundary` },
        },
      },
      'Role (AWS::IAM::Role): property PermissionsBoundary not supported by the simulated CloudFormation',
    ));

  it('an unsupported intrinsic function', () =>
    refused(
      { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::FindInMap': ['Names', 'Topic', 'Name'] } } } },
      'Topic.Properties.TopicName (Fn::FindInMap): the intrinsic function Fn::FindInMap is not supported by the simulated CloudFormation',
    ));

  it('an unsupported nested property, when the resource is created', async () => {
    const attempt = deploy({
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(1 hour)',
          Targets: [{ Id: 't', Arn: 'arn:aws:sqs:eu-west-1:999999999999:q', InputPath: '$.detail' }],
        },
      },
    });
    await expect(attempt).rejects.toThrow(
      'Rule (AWS::Events::Rule).Targets[0]: property InputPath not supported by the simulated CloudFormation',
    );
  });

  it('a reference the template does not declare, and the AWS error a creation meets', async () => {
    await refused(
      { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { Ref: 'Missing' } } } },
      'Topic: refers to Missing, which is no parameter, pseudo-parameter or resource of the template',
    );
    await expect(deploy({ Bad: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'cron(0 12 * * ? *)' } } })).rejects.toThrow(
      /^Bad \(AWS::Events::Rule\): ValidationException: Parameter ScheduleExpression is not valid: cron\(0 12 \* \* \? \*\) \(the simulation runs rate\(\) schedules only\)/,
    );
  });
});
