import { CloudCore } from './core/cloud-core.js';
import type { QuotaName } from './core/quotas.js';
import type { AuthorizationMode } from './iam/authorizer.js';
import { cloudformationApi } from './services/cloudformation/api/cloudformation-api.js';
import { CloudFormationSim } from './services/cloudformation/cloudformation.js';
import { cloudwatchApi } from './services/cloudwatch/api/cloudwatch-api.js';
import { CloudWatchSim } from './services/cloudwatch/cloudwatch.js';
import { dynamodbApi } from './services/dynamodb/api/dynamodb-api.js';
import { DynamoDbSim, type DynamoDbSimOptions } from './services/dynamodb/dynamodb.js';
import { ec2Api } from './services/ec2/api/ec2-api.js';
import { Ec2Sim, type Ec2SimOptions } from './services/ec2/ec2.js';
import { eventsApi } from './services/events/api/events-api.js';
import { EventBridgeSim, type EventBridgeSimOptions } from './services/events/events.js';
import { iamApi } from './services/iam/api/iam-api.js';
import { kmsApi } from './services/kms/api/kms-api.js';
import { KmsSim } from './services/kms/kms.js';
import { type LambdaInvocation, LambdaSim } from './services/lambda/lambda.js';
import { LogsSim } from './services/logs/logs.js';
import { rbinApi } from './services/rbin/api/rbin-api.js';
import { RecycleBin } from './services/rbin/recycle-bin.js';
import { rdsApi } from './services/rds/api/rds-api.js';
import { RdsSim, type RdsSimOptions } from './services/rds/rds.js';
import { s3Api } from './services/s3/api/s3-api.js';
import { S3Sim } from './services/s3/s3.js';
import { SnsSim } from './services/sns/sns.js';
import { sqsApi } from './services/sqs/api/sqs-api.js';
import { SqsSim } from './services/sqs/sqs.js';
import { ssmApi } from './services/ssm/api/ssm-api.js';
import { SsmSim } from './services/ssm/ssm.js';
import { stsApi } from './services/sts/api/sts-api.js';

export interface SimCloudOptions {
  /** Simulated time at the start (ms since epoch). */
  start?: number;
  /** How IAM decisions are made (see {@link AuthorizationMode}); every distinct request through the library by default. */
  authorization?: AuthorizationMode;
  ec2?: Ec2SimOptions;
  rds?: RdsSimOptions;
  dynamodb?: DynamoDbSimOptions;
  events?: EventBridgeSimOptions;
  /** Quotas recorded in `cloud.quotas.exceeded()` when exceeded instead of refused: for measuring a hub known to exceed them, never for proving it fits. */
  tolerateQuotas?: readonly QuotaName[];
  /** Simulate the EC2 and RDS request rate limits (see {@link RequestThrottle}); off by default. */
  throttling?: boolean;
}

/**
 * A multi-account AWS test double: the {@link CloudCore} (accounts, time, IAM, faults, calls) with
 * every simulated service on it, their state reachable here and their APIs registered for the SDK
 * clients. Only this composition knows both a service's state and its API.
 */
export class SimCloud extends CloudCore {
  readonly kms: KmsSim;
  readonly ec2: Ec2Sim;
  readonly recycleBin: RecycleBin;
  readonly sqs: SqsSim;
  readonly ssm: SsmSim;
  readonly rds: RdsSim;
  readonly s3: S3Sim;
  readonly lambda: LambdaSim;
  readonly events: EventBridgeSim;
  readonly dynamodb: DynamoDbSim;
  readonly sns = new SnsSim();
  readonly logs = new LogsSim();
  readonly cloudwatch: CloudWatchSim;
  readonly cloudformation: CloudFormationSim;

  constructor(options: SimCloudOptions = {}) {
    super({
      start: options.start,
      authorization: options.authorization,
      tolerateQuotas: options.tolerateQuotas,
      throttling: options.throttling,
    });
    this.kms = new KmsSim(this);
    this.recycleBin = new RecycleBin(this);
    this.ec2 = new Ec2Sim(this.kms, options.ec2, this.recycleBin);
    this.sqs = new SqsSim(this);
    this.ssm = new SsmSim(this, this.kms);
    // RDS places a DB subnet group's subnets in their VPC, as AWS's services share one network.
    this.rds = new RdsSim(this.kms, options.rds, (account, region, id) => {
      const subnet = this.ec2.network.subnets.get(id);
      return subnet?.account === account && subnet.region === region ? subnet : undefined;
    });
    this.s3 = new S3Sim(this, this.kms);
    this.lambda = new LambdaSim(this, this.sqs);
    this.cloudwatch = new CloudWatchSim(this, this.sns);
    this.logs.onEvent((event) => this.cloudwatch.ingestLog(event));
    this.events = new EventBridgeSim(this, this.sqs, this.lambda, options.events);
    this.dynamodb = new DynamoDbSim(this.quotas, options.dynamodb, {
      nowMs: () => this.clock.nowMs(),
      at: (at, run) => this.clock.at(at, run),
      isDown: (region) => this.outages.has(region),
    });
    this.cloudformation = new CloudFormationSim(this, {
      iam: this.iam,
      kms: this.kms,
      events: this.events,
      sqs: this.sqs,
      lambda: this.lambda,
      dynamodb: this.dynamodb,
      sns: this.sns,
      s3: this.s3,
      ssm: this.ssm,
      recycleBin: this.recycleBin,
      logs: this.logs,
      cloudwatch: this.cloudwatch,
    });
    for (const api of [
      stsApi(this),
      iamApi(this),
      cloudformationApi(this.cloudformation),
      kmsApi(this.kms),
      ec2Api(this.ec2),
      rbinApi(this.recycleBin),
      sqsApi(this.sqs),
      ssmApi(this.ssm),
      rdsApi(this.rds),
      s3Api(this.s3),
      eventsApi(this.events),
      dynamodbApi(this.dynamodb),
      cloudwatchApi(this.cloudwatch),
    ])
      this.register(api);
  }

  /**
   * Moves simulated time forward in ticks. After each tick (clock timers fired) the scheduled
   * rules that came due fire, Lambda drains (their invocations, then the SQS event sources) and
   * CloudWatch evaluates its alarms.
   * @returns the invocations made.
   */
  async advance(ms: number, { tickMs = 1000 }: { tickMs?: number } = {}): Promise<LambdaInvocation[]> {
    if (!(tickMs > 0)) throw new Error(`tickMs must be positive, got ${tickMs}`);
    const start = this.lambda.invocations.length;
    const end = this.clock.nowMs() + ms;
    await this.lambda.drain();
    while (this.clock.nowMs() < end) {
      this.clock.advanceTo(Math.min(this.clock.nowMs() + tickMs, end));
      this.events.runDueSchedules();
      await this.lambda.drain();
      this.cloudwatch.evaluate();
    }
    return this.lambda.invocations.slice(start);
  }

  /**
   * Lets a quiet stretch of simulated time pass at once: clock timers fire and Lambda drains, but
   * no schedule fires in between; each resumes at its next period after the stretch. For tests that
   * need days to pass (retention), where running every 5-minute schedule would only cost time.
   */
  async skip(ms: number): Promise<void> {
    this.clock.advance(ms);
    this.events.skipSchedules();
    await this.lambda.drain();
    this.cloudwatch.evaluate();
  }

  /** Releases what outlives the process's memory: the folders DynamoDB keeps tables in. */
  close(): Promise<void> {
    return this.dynamodb.close();
  }
}
