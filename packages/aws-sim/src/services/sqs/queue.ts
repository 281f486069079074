import { randomBytes, randomUUID } from 'node:crypto';
import type { SimClock } from '../../core/clock.js';
import { AwsError } from '../../core/errors.js';
import type { PolicyDocument } from '../../policy/resource-policy.js';
import { md5OfBody, type SqsMessageAttribute } from './md5.js';

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  /** A message received this many times is moved to the dead-letter queue on its next receive. */
  maxReceiveCount: number;
}

export interface QueueSettings {
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  messageRetentionSeconds: number;
  receiveWaitSeconds: number;
  redrivePolicy?: RedrivePolicy;
  policy?: PolicyDocument;
  kmsMasterKeyId?: string;
}

/** A message as it sits in a queue. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, SqsMessageAttribute>;
  senderId: string;
  sentAt: number;
  /** Until then the message is delayed (never received) or in flight (received). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The handle of the latest receive. */
  receiptHandle?: string;
  /** Set when the message was moved here by a redrive policy. */
  deadLetterQueueSourceArn?: string;
}

/** One message as a receive returns it: a snapshot, with its system attributes as SQS spells them. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, SqsMessageAttribute>;
  systemAttributes: Record<string, string>;
}

/** SQS caps the visibility timeout at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * One standard SQS queue on simulated time: delays, visibility timeouts, receive counts,
 * retention, and the redrive decision (the mover itself is the caller's, it knows the DLQ).
 */
export class SimQueue {
  readonly createdAt: number;
  #messages: StoredMessage[] = [];
  /** Every handle ever issued, so a late delete of a received message still succeeds, as in SQS. */
  readonly #handles = new Map<string, StoredMessage>();
  #lastPurgeAt: number | undefined;

  constructor(
    readonly account: string,
    readonly region: string,
    readonly name: string,
    readonly settings: QueueSettings,
    private readonly clock: SimClock,
  ) {
    this.createdAt = clock.nowMs();
  }

  get arn(): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${this.name}`;
  }

  get url(): string {
    return `https://sqs.${this.region}.amazonaws.com/${this.account}/${this.name}`;
  }

  /** Enqueues a message; `delaySeconds` overrides the queue's delay. */
  send(body: string, messageAttributes: Record<string, SqsMessageAttribute>, senderId: string, delaySeconds?: number): StoredMessage {
    const now = this.clock.nowMs();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5OfBody(body),
      messageAttributes,
      senderId,
      sentAt: now,
      visibleAt: now + (delaySeconds ?? this.settings.delaySeconds) * 1000,
      receiveCount: 0,
    };
    this.#messages.push(message);
    return message;
  }

  /** Takes in a message moved from another queue by its redrive policy; it keeps its id, body and sent time. */
  acceptDeadLetter(message: StoredMessage, sourceArn: string): void {
    this.#messages.push({ ...message, visibleAt: this.clock.nowMs(), receiptHandle: undefined, deadLetterQueueSourceArn: sourceArn });
  }

  /**
   * Receives up to `max` visible messages and hides them for the visibility timeout.
   * `redrive` is offered each message already received `maxReceiveCount` times; when it
   * returns true the message has left this queue instead of being received again.
   */
  receive(max: number, visibilitySeconds: number | undefined, redrive: (message: StoredMessage) => boolean): ReceivedMessage[] {
    const now = this.clock.nowMs();
    const received: ReceivedMessage[] = [];
    for (const message of this.#live().filter((m) => m.visibleAt <= now)) {
      if (received.length >= max) break;
      const limit = this.settings.redrivePolicy?.maxReceiveCount;
      if (limit !== undefined && message.receiveCount >= limit && redrive(message)) {
        this.#remove(message);
        continue;
      }
      received.push(this.#deliver(message, now, visibilitySeconds ?? this.settings.visibilityTimeoutSeconds));
    }
    return received;
  }

  /**
   * Deletes the message a receipt handle was issued for; a message already deleted is not an error.
   * @throws AwsError ReceiptHandleIsInvalid for a handle this queue never issued.
   */
  delete(receiptHandle: string): void {
    const message = this.#handles.get(receiptHandle);
    if (!message) throw invalidHandle(receiptHandle);
    this.#remove(message);
  }

  /**
   * Sets how long an in-flight message stays hidden, counted from now (0 makes it visible at once).
   * @throws AwsError ReceiptHandleIsInvalid, MessageNotInflight
   */
  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.#handles.get(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) throw invalidHandle(receiptHandle);
    const now = this.clock.nowMs();
    if (!this.#messages.includes(message) || message.visibleAt <= now)
      throw new AwsError('MessageNotInflight', 'The message referred to is not in flight.');
    message.visibleAt = now + seconds * 1000;
  }

  /**
   * Deletes every message. SQS allows one purge every 60 seconds.
   * @throws AwsError PurgeQueueInProgress
   */
  purge(): void {
    const now = this.clock.nowMs();
    if (this.#lastPurgeAt !== undefined && now - this.#lastPurgeAt < 60_000) {
      throw new AwsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${this.name} is allowed every 60 seconds.`, 403);
    }
    this.#lastPurgeAt = now;
    this.#messages = [];
  }

  /** Messages by state, as the `ApproximateNumberOfMessages*` attributes count them. */
  counts(): { visible: number; inFlight: number; delayed: number } {
    const now = this.clock.nowMs();
    const live = this.#live();
    const hidden = live.filter((m) => m.visibleAt > now);
    const delayed = hidden.filter((m) => m.receiveCount === 0).length;
    return { visible: live.length - hidden.length, inFlight: hidden.length - delayed, delayed };
  }

  /** A copy of every message still in the queue, in order. */
  messages(): StoredMessage[] {
    return this.#live().map((m) => ({ ...m }));
  }

  /** Messages past the retention period are gone, as in SQS. */
  #live(): StoredMessage[] {
    const cutoff = this.clock.nowMs() - this.settings.messageRetentionSeconds * 1000;
    this.#messages = this.#messages.filter((m) => m.sentAt > cutoff);
    return this.#messages;
  }

  #remove(message: StoredMessage): void {
    this.#messages = this.#messages.filter((m) => m.messageId !== message.messageId);
  }

  #deliver(message: StoredMessage, now: number, visibilitySeconds: number): ReceivedMessage {
    const receiptHandle = randomBytes(48).toString('base64');
    message.receiveCount += 1;
    message.firstReceiveAt ??= now;
    message.visibleAt = now + visibilitySeconds * 1000;
    message.receiptHandle = receiptHandle;
    this.#handles.set(receiptHandle, message);
    return {
      messageId: message.messageId,
      receiptHandle,
      body: message.body,
      md5OfBody: message.md5OfBody,
      messageAttributes: message.messageAttributes,
      systemAttributes: systemAttributes(message),
    };
  }
}

function systemAttributes(message: StoredMessage): Record<string, string> {
  return {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt),
    SenderId: message.senderId,
    ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt),
    ...(message.deadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn } : {}),
  };
}

function invalidHandle(receiptHandle: string): AwsError {
  return new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
}
