import { getAtt, type Resource, ref, type Template } from './cloudformation.js';
import { LAMBDA, NAMES, normalizedFunctionName } from './names.js';
import type { FunctionModel, ServiceModel } from './service.js';

/**
 * The CloudFormation template of a stack, exactly as `serverless package` (osls, the Serverless
 * Framework v3 line) writes it to `cloudformation-template-update-stack.json` from what
 * serverless.ts gives serverless.yml: its core template (the deployment bucket), then per
 * function a log group, the function, its schedules and queue mappings (compiled as osls compiles
 * them), then the stack's own resources. Only the code's S3 key differs: serverless puts the
 * packaging time in it.
 */
export function renderTemplate(model: ServiceModel): Template {
  const functions = Object.entries(model.functions);
  const resources: Record<string, Resource> = { ...DEPLOYMENT_BUCKET };
  for (const [key, fn] of functions) {
    resources[`${normalizedFunctionName(key)}LogGroup`] = {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: `/aws/lambda/${fn.name}`, RetentionInDays: LAMBDA.logRetentionInDays },
    };
  }
  for (const [key, fn] of functions) resources[`${normalizedFunctionName(key)}LambdaFunction`] = lambdaFunction(key, fn, model);
  for (const [key, fn] of functions) Object.assign(resources, schedules(key, fn));
  for (const [key, fn] of functions) Object.assign(resources, queueMappings(key, fn));
  Object.assign(resources, model.resources.Resources);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'The AWS CloudFormation template for this Serverless application',
    Rules: model.rules,
    Resources: resources,
    Outputs: {
      ServerlessDeploymentBucketName: {
        Value: ref('ServerlessDeploymentBucket'),
        Export: { Name: `sls-${NAMES.service}-${model.stage}-ServerlessDeploymentBucketName` },
      },
      ...model.resources.Outputs,
    },
    ...(model.resources.Conditions ? { Conditions: model.resources.Conditions } : {}),
  };
}

/** Where serverless uploads the code; the packaged template has the packaging time in the key instead. */
export const codeKey = (model: ServiceModel, key: string) => `serverless/${NAMES.service}/${model.stage}/${key}.zip`;

/** What serverless adds to every stack: the bucket it uploads the code to, TLS only. */
const DEPLOYMENT_BUCKET: Record<string, Resource> = {
  ServerlessDeploymentBucket: {
    Type: 'AWS::S3::Bucket',
    Properties: {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    },
  },
  ServerlessDeploymentBucketPolicy: {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: ref('ServerlessDeploymentBucket'),
      PolicyDocument: {
        Statement: [
          {
            Action: 's3:*',
            Effect: 'Deny',
            Principal: '*',
            Resource: [
              { 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':s3:::', ref('ServerlessDeploymentBucket'), '/*']] },
              { 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':s3:::', ref('ServerlessDeploymentBucket')]] },
            ],
            Condition: { Bool: { 'aws:SecureTransport': false } },
          },
        ],
      },
    },
  },
};

function lambdaFunction(key: string, fn: FunctionModel, model: ServiceModel): Resource {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Code: { S3Bucket: ref('ServerlessDeploymentBucket'), S3Key: codeKey(model, key) },
      Handler: fn.handler,
      Runtime: LAMBDA.runtime,
      FunctionName: fn.name,
      MemorySize: LAMBDA.memorySize,
      Timeout: fn.timeout,
      Architectures: [LAMBDA.architecture],
      Description: fn.description,
      Environment: { Variables: fn.environment },
      Role: getAtt(fn.role),
      ...(fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency }),
    },
    DependsOn: [`${normalizedFunctionName(key)}LogGroup`, fn.role],
  };
}

/** A schedule: an EventBridge rule on the default bus, and the permission for it to invoke the function. */
function schedules(key: string, fn: FunctionModel): Record<string, Resource> {
  const name = normalizedFunctionName(key);
  const rates = fn.events.flatMap((event) => ('schedule' in event ? [event.schedule] : []));
  return Object.fromEntries(
    rates.flatMap(({ rate, description }, i) => [
      [
        `${name}EventsRuleSchedule${i + 1}`,
        {
          Type: 'AWS::Events::Rule',
          Properties: {
            ScheduleExpression: rate,
            State: 'ENABLED',
            Description: description,
            Targets: [{ Arn: getAtt(`${name}LambdaFunction`), Id: `${key}Schedule` }],
          },
        },
      ],
      [
        `${name}LambdaPermissionEventsRuleSchedule${i + 1}`,
        {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            FunctionName: getAtt(`${name}LambdaFunction`),
            Action: 'lambda:InvokeFunction',
            Principal: 'events.amazonaws.com',
            SourceArn: getAtt(`${name}EventsRuleSchedule${i + 1}`),
          },
        },
      ],
    ]),
  );
}

/** The event source mapping of each queue the function reads: it polls with the function's role, so it waits for it. */
function queueMappings(key: string, fn: FunctionModel): Record<string, Resource> {
  const name = normalizedFunctionName(key);
  return Object.fromEntries(
    fn.events.flatMap((event) =>
      'sqs' in event
        ? [
            [
              `${name}EventSourceMappingSQS${event.sqs.queue.replace(/[^0-9A-Za-z]/g, '')}`,
              {
                Type: 'AWS::Lambda::EventSourceMapping',
                DependsOn: [fn.role],
                Properties: {
                  BatchSize: event.sqs.batchSize,
                  EventSourceArn: getAtt(event.sqs.queue),
                  FunctionName: getAtt(`${name}LambdaFunction`),
                  Enabled: true,
                  FunctionResponseTypes: ['ReportBatchItemFailures'],
                  ScalingConfig: { MaximumConcurrency: event.sqs.maximumConcurrency },
                },
              },
            ],
          ]
        : [],
    ),
  );
}
