import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';
import type { SqsSim } from '../src/services/sqs/sqs.js';
import { allowing, trustedBy } from './policies.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';
const REGION = 'eu-west-1';

let cloud: SimCloud;
let sqs: SqsSim;
let client: SQSClient;

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  cloud.addAccount({ id: SOURCE });
  sqs = cloud.sqs;
  client = new SQSClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));
});

const receive = (QueueUrl: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}) =>
  client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], ...extra }));

describe('simulated SQS through the SDK', () => {
  it('returns the MD5 digests AWS computes, which the SDK validates', async () => {
    const { url } = sqs.createQueue(VAULT, REGION, 'copies');
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'hello é',
        MessageAttributes: { attribName1: { DataType: 'String', StringValue: 'attribValue 1' } },
      }),
    );
    // Reference digests published with the aws-md5-of-message-attributes package.
    expect(sent.MD5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
    await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'two',
        MessageAttributes: {
          attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
          customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
          binaryAttribute: { DataType: 'Binary', BinaryValue: Buffer.from('Hello binary world!') },
        },
      }),
    );
    const { Messages = [] } = await receive(url, { MessageAttributeNames: ['All'] });
    expect(Messages.map((m) => m.Body)).toEqual(['hello é', 'two']);
    expect(Messages[1]!.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(Buffer.from(Messages[1]!.MessageAttributes!.binaryAttribute!.BinaryValue!).toString()).toBe('Hello binary world!');
  });

  it('is checked by the SDK: a wrong body digest fails the call', async () => {
    const { url } = sqs.createQueue(VAULT, REGION, 'copies');
    const api = cloud.service('sqs');
    cloud.register({
      ...api,
      call: (action, input, ctx) => ({ ...(api.call(action, input, ctx) as object), MD5OfMessageBody: '0'.repeat(32) }),
    });
    await expect(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))).rejects.toThrow('InvalidChecksumError');
  });

  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    const { url } = sqs.createQueue(VAULT, REGION, 'copies', { visibilityTimeoutSeconds: 30 });
    const sentAt = cloud.clock.nowMs();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    cloud.clock.advance(5_000);
    const first = (await receive(url)).Messages![0]!;
    expect(first.Attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAt),
      ApproximateFirstReceiveTimestamp: String(sentAt + 5_000),
      SenderId: VAULT,
    });
    expect((await receive(url)).Messages).toBeUndefined();
    cloud.clock.advance(29_999);
    expect((await receive(url)).Messages).toBeUndefined();
    cloud.clock.advance(1);
    const second = (await receive(url)).Messages![0]!;
    expect(second.MessageId).toBe(first.MessageId);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);
    expect(second.Attributes).toMatchObject({ ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: String(sentAt + 5_000) });
  });

  it('changes visibility, deletes, and counts messages by state', async () => {
    const { url } = sqs.createQueue(VAULT, REGION, 'copies');
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now' }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 60 }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'also now' }));
    const [a, b] = (await receive(url, { MaxNumberOfMessages: 2 })).Messages!;
    const attributes = async () =>
      (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;
    expect(await attributes()).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '2',
      ApproximateNumberOfMessagesDelayed: '1',
      VisibilityTimeout: '30',
    });
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: a!.ReceiptHandle!, VisibilityTimeout: 0 }));
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: b!.ReceiptHandle! }));
    expect(await attributes()).toMatchObject({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0' });
    await expect(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: 'bogus', VisibilityTimeout: 5 })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    cloud.clock.advance(60_000);
    expect((await receive(url)).Messages!.map((m) => m.Body)).toEqual(['now', 'later']);
  });

  it('moves a message received more than maxReceiveCount times to the dead-letter queue', async () => {
    const dlq = sqs.createQueue(VAULT, REGION, 'copies-dlq');
    const { url, arn } = sqs.createQueue(VAULT, REGION, 'copies', {
      visibilityTimeoutSeconds: 10,
      redrivePolicy: { deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 },
    });
    const { MessageId } = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (const count of ['1', '2']) {
      expect((await receive(url)).Messages![0]!.Attributes!.ApproximateReceiveCount).toBe(count);
      cloud.clock.advance(10_000);
    }
    expect((await receive(url)).Messages).toBeUndefined();
    expect(sqs.depth(arn)).toBe(0);
    expect(sqs.messages(dlq.arn).map((m) => [m.messageId, m.body])).toEqual([[MessageId, 'poison']]);
    const dead = (await receive(dlq.url)).Messages![0]!;
    expect(dead.Attributes!.DeadLetterQueueSourceArn).toBe(arn);
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy', 'QueueArn'] }),
    );
    expect(Attributes).toEqual({ QueueArn: arn, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
  });

  it('denies other accounts unless the queue policy allows them', async () => {
    const { url, arn } = sqs.createQueue(VAULT, REGION, 'copies');
    const other = new SQSClient(cloud.clientConfig(cloud.adminCredentials(SOURCE), REGION));
    await expect(other.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const open = sqs.createQueue(VAULT, REGION, 'open', {
      policy: {
        Statement: [{ Effect: 'Allow', Principal: { AWS: SOURCE }, Action: 'sqs:SendMessage', Resource: arn.replace('copies', 'open') }],
      },
    });
    await expect(other.send(new SendMessageCommand({ QueueUrl: open.url, MessageBody: 'x' }))).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
    await expect(other.send(new ReceiveMessageCommand({ QueueUrl: open.url }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('authorizes the batch calls as their single versions, in identity and queue policies alike', async () => {
    const { url, arn } = sqs.createQueue(VAULT, REGION, 'copies', {
      policy: { Statement: [{ Effect: 'Allow', Principal: { AWS: SOURCE }, Action: 'sqs:SendMessage', Resource: '*' }] },
    });
    const sender = cloud.iam.putRole({
      account: VAULT,
      name: 'sender',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: allowing('sqs:SendMessage'),
    });
    const batch = new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: '1', MessageBody: 'x' }] });
    for (const credentials of [cloud.roleCredentials(sender.arn), cloud.adminCredentials(SOURCE)])
      expect((await new SQSClient(cloud.clientConfig(credentials, REGION)).send(batch)).Successful).toHaveLength(1);
    expect(sqs.messages(arn)).toHaveLength(2);
  });

  it('finds queues by name and reports unknown ones as AWS does', async () => {
    const { url } = sqs.createQueue(VAULT, REGION, 'copies');
    expect((await client.send(new GetQueueUrlCommand({ QueueName: 'copies' }))).QueueUrl).toBe(url);
    await expect(client.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(receive(url, { MaxNumberOfMessages: 11 })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('validates batches and reports entries one by one', async () => {
    const { url } = sqs.createQueue(VAULT, REGION, 'copies');
    await expect(
      client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'a', MessageBody: '1' },
            { Id: 'a', MessageBody: '2' },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: '1' },
          { Id: 'b', MessageBody: '2' },
        ],
      }),
    );
    expect(sent.Successful?.map((e) => e.Id)).toEqual(['a', 'b']);
    const [first] = (await receive(url)).Messages!;
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', ReceiptHandle: first!.ReceiptHandle! },
          { Id: 'bad', ReceiptHandle: 'nope' },
        ],
      }),
    );
    expect(deleted.Successful?.map((e) => e.Id)).toEqual(['ok']);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
  });

  it('allows one purge a minute', async () => {
    const { url, arn } = sqs.createQueue(VAULT, REGION, 'copies');
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await client.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(sqs.depth(arn)).toBe(0);
    await expect(client.send(new PurgeQueueCommand({ QueueUrl: url }))).rejects.toMatchObject({ name: 'PurgeQueueInProgress' });
  });

  it('accepts a service delivery only when the queue policy names its source', () => {
    const rule = `arn:aws:events:${REGION}:${VAULT}:rule/hub/ebs`;
    const queueArn = `arn:aws:sqs:${REGION}:${VAULT}:copies`;
    const statement = (sourceArn: string) => ({
      Effect: 'Allow' as const,
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArn,
      Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } },
    });
    sqs.createQueue(VAULT, REGION, 'copies', { policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement(rule)] }) });
    expect(sqs.sendFromService(queueArn, '{}', { sourceArn: rule })).toEqual(expect.any(String));
    expect(() => sqs.sendFromService(queueArn, '{}', { sourceArn: `${rule}-other` })).toThrow(/not authorized to perform: sqs:SendMessage/);
    expect(sqs.depth(queueArn)).toBe(1);
  });
});
