import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import { JsonInput } from '../../../protocol/json-input.js';
import type { Principal } from '../../iam/iam.js';
import { md5OfMessageAttributes, type SqsMessageAttribute } from '../md5.js';
import { MAX_VISIBILITY_SECONDS, type ReceivedMessage, type SimQueue } from '../queue.js';
import { arnOfUrl, type SqsSim } from '../sqs.js';

/** A message attribute on the JSON wire (binary values base64-encoded). */
interface WireAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: string;
}

type Action = (sqs: SqsSim, input: JsonInput, ctx: CallContext) => unknown;

/** SQS limits: 1 MiB per message (attributes included), 10 attributes, 10 entries per batch. */
const MAX_MESSAGE_BYTES = 1_048_576;
const MAX_ATTRIBUTES = 10;
const MAX_BATCH = 10;

/** The SQS API (JSON 1.0 protocol, AWS query compatible) over the simulated SQS. */
export function sqsApi(sqs: SqsSim): SimService {
  return {
    name: 'sqs',
    protocol: 'json1.0',
    call(action, input, ctx) {
      const run = sqsActions[action];
      if (!run) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
      return run(sqs, new JsonInput(input, { missing: 'MissingParameter', invalid: 'InvalidParameterValue' }), ctx);
    },
    // The queue a call names (QueueUrl, or GetQueueUrl's name and owner); an unknown one is left to the action.
    authorization(action, input, ctx) {
      const url =
        action === 'GetQueueUrl'
          ? `https://sqs.${ctx.region}.amazonaws.com/${String(input.QueueOwnerAWSAccountId ?? ctx.account)}/${String(input.QueueName)}`
          : String(input.QueueUrl ?? '');
      const queue = sqs.find(url);
      const arn = arnOfUrl(url);
      if (queue) return [sqs.request(queue, action)];
      return arn ? [{ action: `sqs:${action.replace(/Batch$/, '')}`, resource: arn, resourceAccount: arn.split(':')[4]! }] : [];
    },
  };
}

/** The SQS API actions the simulation answers, in the JSON protocol's shapes. */
const sqsActions: Record<string, Action> = {
  SendMessage(sqs, input, ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    return sendOne(
      queue,
      input.string('MessageBody'),
      input.map<WireAttribute>('MessageAttributes'),
      input.optionalInt('DelaySeconds', 0, 900),
      ctx,
    );
  },

  SendMessageBatch(sqs, input, ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    return runBatch(
      input,
      (entry: { Id: string; MessageBody?: string; MessageAttributes?: Record<string, WireAttribute>; DelaySeconds?: number }) => {
        return { Id: entry.Id, ...sendOne(queue, entry.MessageBody ?? '', entry.MessageAttributes ?? {}, entry.DelaySeconds, ctx) };
      },
    );
  },

  ReceiveMessage(sqs, input, _ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    const max = input.optionalInt('MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility = input.optionalInt('VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    // Long polling has nothing to wait for in simulated time; the value is only validated.
    input.optionalInt('WaitTimeSeconds', 0, 20);
    const systemNames = [...input.list<string>('AttributeNames'), ...input.list<string>('MessageSystemAttributeNames')];
    const attributeNames = input.list<string>('MessageAttributeNames');
    const messages = sqs.receive(queue.arn, max, visibility).map((m) => wireMessage(m, systemNames, attributeNames));
    return messages.length > 0 ? { Messages: messages } : {};
  },

  DeleteMessage(sqs, input, _ctx) {
    sqs.queue(input.string('QueueUrl')).delete(input.string('ReceiptHandle'));
    return {};
  },

  DeleteMessageBatch(sqs, input, _ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    return runBatch(input, (entry: { Id: string; ReceiptHandle?: string }) => {
      queue.delete(entry.ReceiptHandle ?? '');
      return { Id: entry.Id };
    });
  },

  ChangeMessageVisibility(sqs, input, _ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    const seconds = input.optionalInt('VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    if (seconds === undefined) throw new AwsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    queue.changeVisibility(input.string('ReceiptHandle'), seconds);
    return {};
  },

  ChangeMessageVisibilityBatch(sqs, input, _ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    return runBatch(input, (entry: { Id: string; ReceiptHandle?: string; VisibilityTimeout?: number }) => {
      const seconds = entry.VisibilityTimeout ?? -1;
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
        throw new AwsError('InvalidParameterValue', `VisibilityTimeout must be an integer between 0 and ${MAX_VISIBILITY_SECONDS}.`);
      }
      queue.changeVisibility(entry.ReceiptHandle ?? '', seconds);
      return { Id: entry.Id };
    });
  },

  GetQueueUrl(sqs, input, ctx) {
    const owner = input.optionalString('QueueOwnerAWSAccountId') ?? ctx.account;
    const url = `https://sqs.${ctx.region}.amazonaws.com/${owner}/${input.string('QueueName')}`;
    return { QueueUrl: sqs.queue(url).url };
  },

  GetQueueAttributes(sqs, input, _ctx) {
    const queue = sqs.queue(input.string('QueueUrl'));
    return { Attributes: selectQueueAttributes(queue, input.list<string>('AttributeNames')) };
  },

  PurgeQueue(sqs, input, _ctx) {
    sqs.queue(input.string('QueueUrl')).purge();
    return {};
  },
};

function sendOne(
  queue: SimQueue,
  body: string,
  wireAttributes: Record<string, WireAttribute>,
  delaySeconds: number | undefined,
  ctx: CallContext,
) {
  const attributes = parseAttributes(wireAttributes);
  checkBody(body, attributes);
  const message = queue.send(body, attributes, senderIdOf(ctx.caller), delaySeconds);
  const md5Attributes = md5OfMessageAttributes(attributes);
  return {
    MessageId: message.messageId,
    MD5OfMessageBody: message.md5OfBody,
    ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}),
  };
}

/** SQS accepts only XML characters (#x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF) and 1 MiB in all. */
function checkBody(body: string, attributes: Record<string, SqsMessageAttribute>): void {
  if (body.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(body)) {
    throw new AwsError('InvalidMessageContents', 'Invalid characters found in the message body.');
  }
  const attributeBytes = Object.entries(attributes).reduce(
    (sum, [name, a]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength(a.dataType) + (a.binaryValue?.length ?? Buffer.byteLength(a.stringValue ?? '')),
    0,
  );
  if (Buffer.byteLength(body) + attributeBytes > MAX_MESSAGE_BYTES) {
    throw new AwsError(
      'InvalidParameterValue',
      `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
    );
  }
}

function parseAttributes(wire: Record<string, WireAttribute>): Record<string, SqsMessageAttribute> {
  const entries = Object.entries(wire);
  if (entries.length > MAX_ATTRIBUTES)
    throw new AwsError(
      'InvalidParameterValue',
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`,
    );
  return Object.fromEntries(entries.map(([name, value]) => [name, parseAttribute(name, value)]));
}

function parseAttribute(name: string, value: WireAttribute): SqsMessageAttribute {
  const invalid = (reason: string) => new AwsError('InvalidParameterValue', `Message attribute '${name}' ${reason}.`);
  if (!/^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(aws\.|amazon\.)/i.test(name))
    throw invalid('has an invalid name');
  const dataType = value.DataType ?? '';
  if (!/^(String|Number|Binary)(\..+)?$/.test(dataType)) throw invalid('must have a DataType of String, Number or Binary');
  if (dataType.startsWith('Binary')) {
    if (!value.BinaryValue) throw invalid('must contain a non-empty binary value');
    return { dataType, binaryValue: Buffer.from(value.BinaryValue, 'base64') };
  }
  if (!value.StringValue) throw invalid('must contain a non-empty value of message attribute type String or Number');
  return { dataType, stringValue: value.StringValue };
}

/** A root caller is named by its account id, a role session by role id and session name, as in SenderId. */
function senderIdOf(caller: Principal): string {
  if (!caller.role || !caller.sessionArn) return caller.account;
  return `AROA${caller.role.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}:${caller.sessionArn.split('/').pop()}`;
}

/**
 * Runs each entry of a batch on its own: entry failures are reported, not thrown, as in SQS.
 * The batch itself must have 1 to 10 entries with distinct, well-formed ids.
 */
function runBatch<T extends { Id: string }>(input: JsonInput, run: (entry: T) => Record<string, unknown>) {
  const entries = input.list<T>('Entries');
  if (entries.length === 0) throw new AwsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > MAX_BATCH)
    throw new AwsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`,
    );
  const invalidId = entries.find((e) => !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id ?? ''));
  if (invalidId)
    throw new AwsError(
      'InvalidBatchEntryId',
      `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.`,
    );
  if (new Set(entries.map((e) => e.Id)).size !== entries.length)
    throw new AwsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const entry of entries) {
    try {
      Successful.push(run(entry));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      Failed.push({ Id: entry.Id, SenderFault: error.status < 500, Code: error.code, Message: error.message });
    }
  }
  return { Successful, Failed };
}

/** A received message in the wire shape, with only the system and message attributes asked for. */
function wireMessage(message: ReceivedMessage, systemNames: string[], attributeNames: string[]) {
  const system = Object.fromEntries(
    Object.entries(message.systemAttributes).filter(([name]) => systemNames.includes('All') || systemNames.includes(name)),
  );
  const attributes = Object.fromEntries(
    Object.entries(message.messageAttributes).filter(([name]) => attributeRequested(name, attributeNames)),
  );
  const md5Attributes = md5OfMessageAttributes(attributes);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
    ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes, MessageAttributes: wireAttributes(attributes) } : {}),
  };
}

/** `All` and `.*` select every attribute, `prefix.*` those starting with the prefix, other names exactly. */
function attributeRequested(name: string, requested: string[]): boolean {
  return requested.some((r) => r === 'All' || r === '.*' || r === name || (r.endsWith('.*') && name.startsWith(r.slice(0, -1))));
}

function wireAttributes(attributes: Record<string, SqsMessageAttribute>): Record<string, WireAttribute> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      { DataType: a.dataType, ...(a.binaryValue ? { BinaryValue: a.binaryValue.toString('base64') } : { StringValue: a.stringValue }) },
    ]),
  );
}

/** Queue attributes as GetQueueAttributes returns them (all values strings). */
function queueAttributes(queue: SimQueue): Record<string, string> {
  const { visible, inFlight, delayed } = queue.counts();
  const { settings } = queue;
  const createdSeconds = String(Math.floor(queue.createdAt / 1000));
  return {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(visible),
    ApproximateNumberOfMessagesNotVisible: String(inFlight),
    ApproximateNumberOfMessagesDelayed: String(delayed),
    CreatedTimestamp: createdSeconds,
    LastModifiedTimestamp: createdSeconds,
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MaximumMessageSize: String(MAX_MESSAGE_BYTES),
    MessageRetentionPeriod: String(settings.messageRetentionSeconds),
    DelaySeconds: String(settings.delaySeconds),
    ReceiveMessageWaitTimeSeconds: '0',
    ...(settings.redrivePolicy ? { RedrivePolicy: JSON.stringify(settings.redrivePolicy) } : {}),
    ...(settings.policy ? { Policy: JSON.stringify(settings.policy) } : {}),
    ...(settings.kmsMasterKeyId ? { KmsMasterKeyId: settings.kmsMasterKeyId } : { SqsManagedSseEnabled: 'true' }),
  };
}

/** Every attribute name SQS knows, including those a simulated standard queue never has. */
const knownQueueAttributes = new Set([
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedriveAllowPolicy',
]);

/** `All` or listed names; a name SQS does not know is an error, a known one the queue lacks is left out. */
function selectQueueAttributes(queue: SimQueue, names: string[]): Record<string, string> {
  const unknown = names.find((n) => n !== 'All' && !knownQueueAttributes.has(n));
  if (unknown) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${unknown}.`);
  const all = queueAttributes(queue);
  return names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
}
