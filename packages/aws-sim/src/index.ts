/**
 * @backup-hub/aws-sim: a simulated multi-account AWS. Real SDK v3 clients reach it in-process
 * through {@link SimCloud.clientConfig}; this module is its only public face.
 */
export { SimCloud, type SimCloudOptions } from './cloud.js';
export {
  accessDenied,
  type CallRecord,
  CloudCore,
  type EventEnvelope,
  refusalOf,
  type ServiceEvent,
  type SimAccount,
  type SimClientConfig,
  simRetryStrategy,
} from './core/cloud-core.js';
export { AwsError } from './core/errors.js';
export { type FaultSpec, seededRandom } from './core/faults.js';
export { type CredentialScope, credentialScope, SimHttpHandler } from './core/http-handler.js';
export {
  ADJUSTABLE_QUOTAS,
  type AdjustableQuotaName,
  describeUse,
  QUOTAS,
  QuotaBook,
  type QuotaDefinition,
  QuotaExceededError,
  type QuotaName,
  type QuotaUse,
  type RaisedQuotas,
} from './core/quotas.js';
export type { CallContext, SimService } from './core/service.js';
export { RequestThrottle, type ThrottleBucket } from './core/throttle.js';
export type {
  Authorization,
  AuthorizationMode,
  AuthorizationRequest,
  Caller,
  ControlPolicies,
  Disagreement,
  GrantAccess,
  PolicyType,
  ResourcePolicy,
  StatementRef,
} from './iam/authorizer.js';
export { type UnsupportedConditionKey, unsupportedConditionKeys } from './iam/condition-keys.js';
export type { PolicyDocument, PolicyStatement } from './policy/resource-policy.js';
export { type RestJsonRequest, restJsonCall } from './protocol/rest-json-client.js';
export { CloudFormationSim, type DeployedStack, type DeployInput, type StackResource } from './services/cloudformation/cloudformation.js';
export type { LambdaCodeRequest, LambdaCodeResolver } from './services/cloudformation/resource-types.js';
export { type Template, TemplateError, type TemplateResource } from './services/cloudformation/template.js';
export { checkNotInUse, DataFolderInUseError } from './services/dynamodb/data-folder.js';
export { type CreateTableInput, DynamoDbSim, type DynamoDbSimOptions, tableArn } from './services/dynamodb/dynamodb.js';
export { type LocalDynamo, startLocalDynamo } from './services/dynamodb/local-server.js';
export type { CreateInstanceSpec, CreateSnapshotsSpec } from './services/ec2/ebs-instance.js';
export type { SimSnapshot } from './services/ec2/ebs-snapshot.js';
export { settledSnapshotEvent, snapshotSetEvent } from './services/ec2/ebs-snapshot-events.js';
export { type SimVolume, type VolumeEncryption, volumeState } from './services/ec2/ebs-volume.js';
export { type CreateSnapshotSpec, EBS_CONCURRENT_COPY_QUOTA, Ec2Sim, type Ec2SimOptions } from './services/ec2/ec2.js';
export type { SimImage } from './services/ec2/image.js';
export { amiStateChangeEvent } from './services/ec2/image-events.js';
export { instanceState, type RunInstanceSpec, type SimInstance } from './services/ec2/instance.js';
export type { SecurityGroupRule, SimRouteTable, SimSecurityGroup, SimSubnet, SimVpc } from './services/ec2/network.js';
export { type LockMode, type LockState, lockExpiresOn, lockState, type SnapshotLock } from './services/ec2/snapshot-lock.js';
export type { BusRule, RuleTarget } from './services/events/event-bus.js';
export { compilePattern, type EventPattern } from './services/events/event-pattern.js';
export { type DeliveryRecord, EventBridgeSim, type EventBridgeSimOptions, realisticDelivery } from './services/events/events.js';
export { type Principal, type RoleDefinition, roleArn, rootArn, type SimCredentials } from './services/iam/iam.js';
export type { KmsKey } from './services/kms/key.js';
export { KmsSim } from './services/kms/kms.js';
export { lambdaContext } from './services/lambda/context.js';
export {
  type CreateEventSourceMappingInput,
  type CreateFunctionInput,
  type EventSourceMapping,
  type FunctionHandler,
  functionArn,
  type LambdaInvocation,
  LambdaSim,
  type SimFunction,
} from './services/lambda/lambda.js';
export { sqsRecord } from './services/lambda/sqs-event.js';
export { type BinnedResource, type BinResourceType, RecycleBin, type RetentionRule } from './services/rbin/recycle-bin.js';
export type { DatabaseSettings, SimDatabase } from './services/rds/database.js';
export { snapshotCreatedEvent } from './services/rds/events.js';
export { AURORA_CONCURRENT_COPY_QUOTA, type RdsEncryption, RdsSim, type RdsSimOptions } from './services/rds/rds.js';
export {
  DB_CLUSTER_SNAPSHOT,
  DB_SNAPSHOT,
  type RdsFamily,
  type RdsOptionGroup,
  type SimRdsSnapshot,
  snapshotArn as rdsSnapshotArn,
} from './services/rds/snapshot.js';
export type { ObjectVersion, Retention, RetentionMode, SimBucket } from './services/s3/bucket.js';
export { type CreateBucketOptions, S3Sim } from './services/s3/s3.js';
export { type SimTopic, SnsSim, type SnsSubscription, topicArn } from './services/sns/sns.js';
export { SqsSim } from './services/sqs/sqs.js';
export { parameterChangeEvent } from './services/ssm/events.js';
export type { ParameterType } from './services/ssm/parameter.js';
export { SsmSim } from './services/ssm/ssm.js';
