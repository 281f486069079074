/**
 * @backup-hub/aws-sim: a simulated multi-account AWS. Real SDK v3 clients reach it in-process
 * through {@link SimCloud.clientConfig}; this module is its only public face.
 */
export { SimCloud, type SimCloudOptions } from './cloud.js';
export { CloudCore, simRetryStrategy, type CallRecord, type EventEnvelope, type ServiceEvent, type SimAccount, type SimClientConfig } from './core/cloud-core.js';
export { credentialScope, SimHttpHandler, type CredentialScope } from './core/http-handler.js';
export type { CallContext, SimService } from './core/service.js';
export { seededRandom, type FaultSpec } from './core/faults.js';
export { AwsError } from './core/errors.js';
export type { PolicyDocument, PolicyStatement } from './policy/resource-policy.js';
export { roleArn, rootArn, type Principal, type RoleDefinition, type SimCredentials } from './services/iam/iam.js';
export { EBS_CONCURRENT_COPY_QUOTA, Ec2Sim, type CreateSnapshotSpec, type Ec2SimOptions } from './services/ec2/ec2.js';
export type { SimSnapshot } from './services/ec2/ebs-snapshot.js';
export type { SimVolume, VolumeEncryption } from './services/ec2/ebs-volume.js';
export { settledSnapshotEvent } from './services/ec2/ebs-snapshot-events.js';
export { amiStateChangeEvent } from './services/ec2/image-events.js';
export type { SimImage } from './services/ec2/image.js';
export { EventBridgeSim, type DeliveryRecord } from './services/events/events.js';
export type { BusRule, RuleTarget } from './services/events/event-bus.js';
export { compilePattern, type EventPattern } from './services/events/event-pattern.js';
export { KmsSim } from './services/kms/kms.js';
export type { KmsKey } from './services/kms/key.js';
export { SqsSim } from './services/sqs/sqs.js';
export { SsmSim } from './services/ssm/ssm.js';
export { parameterChangeEvent } from './services/ssm/events.js';
export type { ParameterType } from './services/ssm/parameter.js';
export { RdsSim, type RdsEncryption, type RdsSimOptions } from './services/rds/rds.js';
export { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, snapshotArn as rdsSnapshotArn, type RdsFamily, type SimRdsSnapshot } from './services/rds/snapshot.js';
export { snapshotCreatedEvent } from './services/rds/events.js';
export { functionArn, LambdaSim, type CreateEventSourceMappingInput, type CreateFunctionInput, type EventSourceMapping, type FunctionHandler, type LambdaInvocation, type SimFunction } from './services/lambda/lambda.js';
export { lambdaContext } from './services/lambda/context.js';
export { sqsRecord } from './services/lambda/sqs-event.js';
export { DynamoDbSim, tableArn, type CreateTableInput, type DynamoDbSimOptions } from './services/dynamodb/dynamodb.js';
export { checkNotInUse, DataFolderInUseError } from './services/dynamodb/data-folder.js';
export { startLocalDynamo, type LocalDynamo } from './services/dynamodb/local-server.js';
export { SnsSim, topicArn, type SimTopic, type SnsSubscription } from './services/sns/sns.js';
export { CloudFormationSim, type DeployedStack, type DeployInput, type StackResource } from './services/cloudformation/cloudformation.js';
export type { LambdaCodeRequest, LambdaCodeResolver } from './services/cloudformation/resource-types.js';
export { TemplateError, type Template, type TemplateResource } from './services/cloudformation/template.js';
