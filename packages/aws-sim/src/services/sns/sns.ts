import { randomUUID } from 'node:crypto';
import { AwsError } from '../../core/errors.js';

/** A subscription: where the topic would deliver (the simulation publishes nothing yet). */
export interface SnsSubscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
}

export interface SimTopic {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly displayName?: string;
  readonly kmsMasterKeyId?: string;
  readonly subscriptions: SnsSubscription[];
}

/** "Topic names … up to 256 characters … alphanumeric characters, hyphens (-) and underscores (_)" (SNS API reference, CreateTopic). */
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
/** The protocols of the SNS Subscribe API. */
const PROTOCOLS = new Set(['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose']);

/** `arn:aws:sns:<region>:<account>:<name>` */
export const topicArn = (region: string, account: string, name: string) => `arn:aws:sns:${region}:${account}:${name}`;

/** A message published to a topic (what its subscribers would receive). */
export interface SnsMessage {
  topicArn: string;
  subject: string;
  message: string;
  at: number;
}

/**
 * Simulated SNS: standard topics and their subscriptions, as a stack declares them (the alarm
 * topic the on-call subscribes to), and the messages published to them (CloudWatch's alarm
 * notifications); delivery to the subscribers is not simulated.
 */
export class SnsSim {
  readonly published: SnsMessage[] = [];
  readonly #topics = new Map<string, SimTopic>();

  /**
   * Publishes a message to a topic.
   * @throws AwsError NotFound
   */
  publish(topicArnValue: string, message: Omit<SnsMessage, 'topicArn'>): void {
    const topic = this.topic(topicArnValue);
    this.published.push({ topicArn: topic.arn, ...message });
  }

  /**
   * Creates a topic, or returns the one of that name (CreateTopic is idempotent).
   * @throws AwsError InvalidParameter for a malformed name
   */
  createTopic(account: string, region: string, options: { name: string; displayName?: string; kmsMasterKeyId?: string }): SimTopic {
    if (!TOPIC_NAME.test(options.name))
      throw new AwsError('InvalidParameter', `Invalid parameter: Topic Name ${options.name} (FIFO topics are not simulated)`);
    const arn = topicArn(region, account, options.name);
    const existing = this.#topics.get(arn);
    if (existing) return existing;
    const topic: SimTopic = {
      arn,
      name: options.name,
      account,
      region,
      subscriptions: [],
      ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
      ...(options.kmsMasterKeyId === undefined ? {} : { kmsMasterKeyId: options.kmsMasterKeyId }),
    };
    this.#topics.set(arn, topic);
    return topic;
  }

  /**
   * A topic by ARN.
   * @throws AwsError NotFound
   */
  topic(arn: string): SimTopic {
    const topic = this.#topics.get(arn);
    if (!topic) throw new AwsError('NotFound', `Topic does not exist: ${arn}`, 404);
    return topic;
  }

  /**
   * Subscribes an endpoint to a topic.
   * @throws AwsError NotFound, InvalidParameter
   */
  subscribe(topicArnValue: string, protocol: string, endpoint: string): SnsSubscription {
    const topic = this.topic(topicArnValue);
    if (!PROTOCOLS.has(protocol)) throw new AwsError('InvalidParameter', `Invalid parameter: Protocol ${protocol}`);
    const subscription = { arn: `${topic.arn}:${randomUUID()}`, topicArn: topic.arn, protocol, endpoint };
    topic.subscriptions.push(subscription);
    return subscription;
  }
}
