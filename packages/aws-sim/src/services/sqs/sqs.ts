import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { QuotaName } from '../../core/quotas.js';
import type { AuthorizationRequest } from '../../iam/authorizer.js';
import { NO_POLICY, type PolicyDocument, type PolicyStatement, parsePolicy } from '../../policy/resource-policy.js';
import {
  MAX_VISIBILITY_SECONDS,
  type QueueSettings,
  type ReceivedMessage,
  type RedrivePolicy,
  SimQueue,
  type StoredMessage,
} from './queue.js';

/** Queue settings; SQS defaults are 30 s visibility, no delay and 4 days retention. */
export interface CreateQueueOptions {
  visibilityTimeoutSeconds?: number;
  delaySeconds?: number;
  redrivePolicy?: RedrivePolicy;
  /** The queue's resource policy, as a document or its JSON text. */
  policy?: string | PolicyDocument;
  kmsMasterKeyId?: string;
  messageRetentionSeconds?: number;
  /** Long polling is not simulated: the setting is checked and kept. */
  receiveWaitSeconds?: number;
}

/**
 * Simulated SQS (standard queues), JSON protocol. Control-plane methods create queues and
 * let tests and reports look inside; `sendFromService` is how EventBridge delivers;
 * `receive` / `delete` / `changeVisibility` are how the Lambda poller consumes.
 */
export class SqsSim {
  readonly #queues = new Map<string, SimQueue>();

  constructor(readonly cloud: CloudCore) {}

  /**
   * Creates a queue, validating settings as CreateQueue would.
   * @throws AwsError InvalidParameterValue for the name (FIFO queues are not simulated), InvalidAttributeValue
   * for a setting or a policy over its quotas; Error for a duplicate queue or a malformed policy
   */
  createQueue(account: string, region: string, name: string, options: CreateQueueOptions = {}): { url: string; arn: string } {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
      throw new AwsError(
        'InvalidParameterValue',
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (${name}; FIFO queues are not simulated)`,
      );
    const arn = `arn:aws:sqs:${region}:${account}:${name}`;
    const queue = new SimQueue(account, region, name, this.#settings(account, region, arn, options), this.cloud.clock);
    if (this.#queues.has(queue.arn)) throw new Error(`Queue ${queue.arn} already exists`);
    this.#queues.set(queue.arn, queue);
    return { url: queue.url, arn: queue.arn };
  }

  /**
   * A queue by ARN or URL.
   * @throws AwsError QueueDoesNotExist
   */
  queue(arnOrUrl: string): SimQueue {
    const queue = this.find(arnOrUrl);
    if (!queue) throw new AwsError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  /** A queue by ARN or URL, if it exists. */
  find(arnOrUrl: string): SimQueue | undefined {
    const arn = arnOrUrl.startsWith('arn:') ? arnOrUrl : arnOfUrl(arnOrUrl);
    return arn === undefined ? undefined : this.#queues.get(arn);
  }

  /**
   * Replaces a queue's resource policy (SetQueueAttributes with `Policy`, or an AWS::SQS::QueuePolicy).
   * @throws AwsError QueueDoesNotExist; MalformedPolicyError
   */
  setPolicy(queueArnOrUrl: string, policy: string | PolicyDocument): void {
    const queue = this.queue(queueArnOrUrl);
    queue.settings.policy = this.#checkedPolicy(queue.account, queue.region, queue.arn, policy);
  }

  /**
   * A queue policy within SQS's policy quotas: its bytes, statements, principals and conditions,
   * and the actions of each statement.
   * @throws AwsError InvalidAttributeValue; MalformedPolicyError
   */
  #checkedPolicy(account: string, region: string, arn: string, policy: string | PolicyDocument): PolicyDocument {
    const document = parsePolicy(policy);
    const statements = ([] as PolicyStatement[]).concat(document.Statement);
    const check = (quota: QuotaName, value: number, message: string) =>
      this.cloud.quotas.check({ quota, account, region, subject: arn, value }, () => new AwsError('InvalidAttributeValue', message));
    const tooMany = (what: string) => `Invalid value for the parameter Policy. Reason: too many ${what}.`;
    check(
      'sqs.policySize',
      Buffer.byteLength(typeof policy === 'string' ? policy : JSON.stringify(policy)),
      'Submitted policy is over max allowed size.',
    );
    check('sqs.policyStatements', statements.length, tooMany('statements'));
    check(
      'sqs.policyPrincipals',
      statements.map(principalCount).reduce((a, b) => a + b, 0),
      tooMany('principals'),
    );
    check(
      'sqs.policyConditions',
      statements
        .map((s) => Object.values(s.Condition ?? {}).reduce((n, keys) => n + Object.keys(keys).length, 0))
        .reduce((a, b) => a + b, 0),
      tooMany('conditions'),
    );
    for (const statement of statements)
      check('sqs.statementActions', ([] as string[]).concat(statement.Action).length, tooMany('actions in a statement'));
    return document;
  }

  /** Every message in a queue (visible, in flight and delayed), for tests and reports. */
  messages(queueArn: string): StoredMessage[] {
    return this.queue(queueArn).messages();
  }

  /** How many messages a queue holds, whatever their state. */
  depth(queueArn: string): number {
    return this.queue(queueArn).messages().length;
  }

  /**
   * Sends a message on behalf of an AWS service (EventBridge delivering for a rule). The queue
   * policy must allow the service principal `sqs:SendMessage` for that source, as in AWS.
   * @returns the message id
   * @throws AwsError QueueDoesNotExist, AccessDenied
   */
  sendFromService(queueArn: string, body: string, origin: { sourceArn: string; service?: string }): string {
    const queue = this.queue(queueArn);
    const service = origin.service ?? 'events.amazonaws.com';
    const request = {
      ...this.request(queue, 'SendMessage'),
      context: { 'aws:SourceArn': origin.sourceArn, 'aws:SourceAccount': origin.sourceArn.split(':')[4] },
    };
    this.cloud.authorize({ service }, [request], queue.region, { standalone: true });
    return queue.send(body, {}, service).messageId;
  }

  /** Receives up to `max` messages (the Lambda poller's ReceiveMessage), applying the redrive policy. */
  receive(queueArn: string, max: number, visibilitySeconds?: number): ReceivedMessage[] {
    const queue = this.queue(queueArn);
    return queue.receive(max, visibilitySeconds, (message) => this.#moveToDeadLetterQueue(queue, message));
  }

  /** Deletes a received message by its receipt handle. */
  delete(queueArn: string, receiptHandle: string): void {
    this.queue(queueArn).delete(receiptHandle);
  }

  /** Changes the visibility timeout of an in-flight message. */
  changeVisibility(queueArn: string, receiptHandle: string, seconds: number): void {
    this.queue(queueArn).changeVisibility(receiptHandle, seconds);
  }

  /** What SQS authorizes for an action on a queue: the caller's IAM and the queue policy (batch actions as their single form). */
  request(queue: SimQueue, action: string): AuthorizationRequest {
    return {
      action: `sqs:${action.replace(/Batch$/, '')}`,
      resource: queue.arn,
      resourceAccount: queue.account,
      resourcePolicy: { type: 'queue policy', owner: queue.arn, document: queue.settings.policy ?? NO_POLICY },
    };
  }

  /** Queue settings with SQS defaults, validated as SetQueueAttributes would. */
  #settings(account: string, region: string, arn: string, options: CreateQueueOptions): QueueSettings {
    const settings: QueueSettings = {
      visibilityTimeoutSeconds: checkRange('VisibilityTimeout', options.visibilityTimeoutSeconds ?? 30, 0, MAX_VISIBILITY_SECONDS),
      delaySeconds: checkRange('DelaySeconds', options.delaySeconds ?? 0, 0, 900),
      messageRetentionSeconds: checkRange('MessageRetentionPeriod', options.messageRetentionSeconds ?? 345_600, 60, 1_209_600),
      receiveWaitSeconds: checkRange('ReceiveMessageWaitTimeSeconds', options.receiveWaitSeconds ?? 0, 0, 20),
    };
    if (options.redrivePolicy) settings.redrivePolicy = this.#checkRedrive(account, region, options.redrivePolicy);
    if (options.policy) settings.policy = this.#checkedPolicy(account, region, arn, options.policy);
    if (options.kmsMasterKeyId) settings.kmsMasterKeyId = options.kmsMasterKeyId;
    return settings;
  }

  /** The dead-letter queue must exist, in the same account and region; maxReceiveCount is 1 to 1000. */
  #checkRedrive(account: string, region: string, redrive: RedrivePolicy): RedrivePolicy {
    const count = redrive.maxReceiveCount;
    if (!Number.isInteger(count) || count < 1 || count > 1000)
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${JSON.stringify(redrive)} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${count}, valid values are from 1 to 1000 both inclusive.`,
      );
    const dlq = this.#queues.get(redrive.deadLetterTargetArn);
    if (!dlq || dlq.account !== account || dlq.region !== region) {
      throw new Error(`Dead letter target ${redrive.deadLetterTargetArn} does not exist in ${account}/${region}`);
    }
    return { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: redrive.maxReceiveCount };
  }

  #moveToDeadLetterQueue(source: SimQueue, message: StoredMessage): boolean {
    const dlq = this.#queues.get(source.settings.redrivePolicy?.deadLetterTargetArn ?? '');
    dlq?.acceptDeadLetter(message, source.arn);
    return dlq !== undefined;
  }
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue ARN. */
export function arnOfUrl(url: string): string | undefined {
  const match = /^https?:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d{12})\/([^/?#]+)$/.exec(url);
  return match ? `arn:aws:sqs:${match[1]}:${match[2]}:${match[3]}` : undefined;
}

/** "Invalid value for the parameter VisibilityTimeout." is SQS's answer; the range is added for the reader. */
function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new AwsError(
      'InvalidAttributeValue',
      `Invalid value for the parameter ${name}. Reason: ${value} is not a whole number from ${min} to ${max}.`,
    );
  return value;
}

/** The principals a statement names: `*`, and each AWS and service principal. */
function principalCount(statement: PolicyStatement): number {
  const principal = statement.Principal;
  if (principal === undefined) return 0;
  if (principal === '*') return 1;
  return [principal.AWS, principal.Service].reduce((n, list) => n + (list === undefined ? 0 : ([] as string[]).concat(list).length), 0);
}
