/**
 * @backup-hub/aws-sim: a simulated multi-account AWS. Real SDK v3 clients reach it in-process
 * through {@link SimCloud.clientConfig}; this module is its only public face.
 */
export { SimCloud, simRetryStrategy, type CallRecord, type EventEnvelope, type SimAccount, type SimClientConfig } from './cloud.js';
export { seededRandom, type FaultSpec } from './core/faults.js';
export { AwsError } from './core/errors.js';
export type { PolicyDocument, PolicyStatement } from './policy/resource-policy.js';
export { roleArn, rootArn, type Principal, type RoleDefinition, type SimCredentials } from './services/iam/iam.js';
export { sts } from './services/sts/api/sts-api.js';
export { Ec2Sim, type Ec2SimOptions, type CreateSnapshotSpec } from './services/ec2/ec2.js';
export type { VolumeEncryption, SimVolume } from './services/ec2/ebs-volume.js';
export { settledSnapshotEvent, type ServiceEvent } from './services/ec2/ebs-snapshot-events.js';
export { amiStateChangeEvent } from './services/ec2/image-events.js';
export { EventBridgeSim } from './services/events/events.js';
export { compilePattern } from './services/events/event-pattern.js';
export { KmsSim } from './services/kms/kms.js';
export { SqsSim } from './services/sqs/sqs.js';
export { SsmSim } from './services/ssm/ssm.js';
export { parameterChangeEvent } from './services/ssm/events.js';
export type { ParameterType } from './services/ssm/parameter.js';
export { RdsSim, type RdsEncryption, type RdsSimOptions } from './services/rds/rds.js';
export { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, snapshotArn as rdsSnapshotArn, type RdsFamily, type SimRdsSnapshot } from './services/rds/snapshot.js';
export { snapshotCreatedEvent } from './services/rds/events.js';
export { SimLambda } from './services/lambda/lambda.js';
export { lambdaContext } from './services/lambda/context.js';
export { sqsRecord } from './services/lambda/sqs-event.js';
export { checkNotInUse, createTables, DataFolderInUseError, startLocalDynamo, type LocalDynamo } from './services/dynamodb/local-server.js';
