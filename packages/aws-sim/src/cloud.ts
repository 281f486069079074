import { CloudCore } from './core/cloud-core.js';
import { ec2Api } from './services/ec2/api/ec2-api.js';
import { Ec2Sim, type Ec2SimOptions } from './services/ec2/ec2.js';
import { eventsApi } from './services/events/api/events-api.js';
import { EventBridgeSim } from './services/events/events.js';
import { kmsApi } from './services/kms/api/kms-api.js';
import { KmsSim } from './services/kms/kms.js';
import { rdsApi } from './services/rds/api/rds-api.js';
import { RdsSim, type RdsSimOptions } from './services/rds/rds.js';
import { sqsApi } from './services/sqs/api/sqs-api.js';
import { SqsSim } from './services/sqs/sqs.js';
import { ssmApi } from './services/ssm/api/ssm-api.js';
import { SsmSim } from './services/ssm/ssm.js';
import { stsApi } from './services/sts/api/sts-api.js';

export interface SimCloudOptions {
  /** Simulated time at the start (ms since epoch). */
  start?: number;
  ec2?: Ec2SimOptions;
  rds?: RdsSimOptions;
}

/**
 * A multi-account AWS test double: the {@link CloudCore} (accounts, time, IAM, faults, calls) with
 * every simulated service on it, their state reachable here and their APIs registered for the SDK
 * clients. Only this composition knows both a service's state and its API.
 */
export class SimCloud extends CloudCore {
  readonly kms: KmsSim;
  readonly ec2: Ec2Sim;
  readonly sqs: SqsSim;
  readonly ssm: SsmSim;
  readonly rds: RdsSim;
  readonly events: EventBridgeSim;

  constructor(options: SimCloudOptions = {}) {
    super({ start: options.start });
    this.kms = new KmsSim(this);
    this.ec2 = new Ec2Sim(this.kms, options.ec2);
    this.sqs = new SqsSim(this);
    this.ssm = new SsmSim(this, this.kms);
    this.rds = new RdsSim(this.kms, options.rds);
    this.events = new EventBridgeSim(this, this.sqs);
    for (const api of [stsApi(this), kmsApi(this.kms), ec2Api(this.ec2), sqsApi(this.sqs), ssmApi(this.ssm), rdsApi(this.rds), eventsApi(this.events)]) this.register(api);
  }
}
