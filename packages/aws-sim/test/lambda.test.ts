import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';
import { SimLambda } from '../src/services/lambda/lambda.js';
import type { SqsSim } from '../src/services/sqs/sqs.js';

const VAULT = '999999999999';
const REGION = 'eu-west-1';

let cloud: SimCloud;
let sqs: SqsSim;
let lambda: SimLambda;

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  sqs = cloud.sqs;
  lambda = new SimLambda(cloud, sqs, { account: VAULT, region: REGION });
});

/** A queue with a DLQ, holding the given bodies. */
function queueWith(bodies: string[], { maxReceiveCount = 3, visibilityTimeoutSeconds = 30 } = {}) {
  const dlq = sqs.createQueue(VAULT, REGION, 'copies-dlq');
  const queue = sqs.createQueue(VAULT, REGION, 'copies', { visibilityTimeoutSeconds, redrivePolicy: { deadLetterTargetArn: dlq.arn, maxReceiveCount } });
  for (const body of bodies) sqs.queue(queue.arn).send(body, {}, VAULT);
  return { queue: queue.arn, dlq: dlq.arn };
}

const bodiesIn = (queueArn: string) => sqs.messages(queueArn).map((m) => m.body);

describe('simulated Lambda SQS event source', () => {
  it('hands real-shaped SQS records and a Lambda context to the handler', async () => {
    const { queue } = queueWith([]);
    sqs.queue(queue).send('{"id":"e-1"}', { kind: { dataType: 'String', stringValue: 'ebs' } }, VAULT);
    const seen: { record: SQSRecord; functionArn: string }[] = [];
    lambda.addSqsFunction({ name: 'ebs-copy', queueArn: queue, handler: (event, context) => void seen.push({ record: event.Records[0]!, functionArn: context.invokedFunctionArn }) });
    await lambda.drain();
    const { record, functionArn } = seen[0]!;
    expect(functionArn).toBe(`arn:aws:lambda:${REGION}:${VAULT}:function:ebs-copy`);
    expect(record).toMatchObject({
      body: '{"id":"e-1"}',
      md5OfBody: createHash('md5').update('{"id":"e-1"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queue,
      awsRegion: REGION,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(cloud.clock.nowMs()), SenderId: VAULT },
      messageAttributes: { kind: { stringValue: 'ebs', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    expect(record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(sqs.depth(queue)).toBe(0);
  });

  it('deletes the successes and retries only the reported failures after the visibility timeout', async () => {
    const { queue } = queueWith(['a', 'b', 'c']);
    const attempts: string[] = [];
    lambda.addSqsFunction({
      name: 'copy',
      queueArn: queue,
      handler: (event): SQSBatchResponse => {
        attempts.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
        return { batchItemFailures: event.Records.filter((r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    const [first] = await lambda.drain();
    expect(first).toMatchObject({ function: 'copy', records: expect.any(Array), failures: [sqs.messages(queue)[0]!.messageId] });
    expect(bodiesIn(queue)).toEqual(['b']);
    await lambda.advance(29_000);
    expect(attempts).toEqual(['a#1', 'b#1', 'c#1']);
    await lambda.advance(1_000);
    expect(attempts).toEqual(['a#1', 'b#1', 'c#1', 'b#2']);
    expect(sqs.depth(queue)).toBe(0);
  });

  it('retries the whole batch when the handler throws, until the redrive policy moves it to the DLQ', async () => {
    const { queue, dlq } = queueWith(['x', 'y'], { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 });
    lambda.addSqsFunction({
      name: 'copy',
      queueArn: queue,
      handler: () => {
        throw new Error('RequestLimitExceeded');
      },
    });
    const invocations = await lambda.advance(5 * 60_000, { tickMs: 10_000 });
    expect(invocations).toHaveLength(3);
    expect(invocations.every((i) => i.error === 'RequestLimitExceeded' && i.failures.length === 2)).toBe(true);
    expect(invocations.map((i) => i.at - invocations[0]!.at)).toEqual([0, 30_000, 60_000]);
    expect(sqs.depth(queue)).toBe(0);
    expect(bodiesIn(dlq)).toEqual(['x', 'y']);
  });

  it('treats an identifier outside the batch as a failure of the whole batch', async () => {
    const { queue } = queueWith(['a', 'b']);
    lambda.addSqsFunction({ name: 'copy', queueArn: queue, handler: () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }) });
    const [invocation] = await lambda.drain();
    expect(invocation).toMatchObject({ failures: expect.arrayContaining(invocation!.records), error: expect.stringMatching(/not a message of the batch/) });
    expect(bodiesIn(queue)).toEqual(['a', 'b']);
  });

  it('ignores a partial response when ReportBatchItemFailures is off', async () => {
    const { queue } = queueWith(['a', 'b']);
    lambda.addSqsFunction({
      name: 'copy',
      queueArn: queue,
      reportBatchItemFailures: false,
      handler: (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] }),
    });
    await lambda.drain();
    expect(sqs.depth(queue)).toBe(0);
  });

  it('runs at most maximumConcurrency batches at once', async () => {
    const { queue } = queueWith(Array.from({ length: 9 }, (_, i) => `m${i}`));
    let active = 0;
    let peak = 0;
    lambda.addSqsFunction({
      name: 'copy',
      queueArn: queue,
      batchSize: 1,
      maximumConcurrency: 2,
      handler: async () => {
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setImmediate(resolve));
        active -= 1;
      },
    });
    const invocations = await lambda.drain();
    expect(invocations).toHaveLength(9);
    expect(peak).toBe(2);
    expect(() => lambda.addSqsFunction({ name: 'other', queueArn: queue, handler: () => undefined, maximumConcurrency: 1 })).toThrow(/between 2 and 1000/);
  });

  it('runs a middy handler with the partial batch failure middleware', async () => {
    const { queue } = queueWith(['good', 'bad']);
    const handler = middy<SQSEvent, SQSBatchResponse>()
      .use(sqsPartialBatchFailure({ logger: () => undefined }))
      .handler(async (event) => Promise.allSettled(event.Records.map(async (r) => (r.body === 'bad' ? Promise.reject(new Error('bad')) : r.body))) as unknown as SQSBatchResponse);
    lambda.addSqsFunction({ name: 'copy', queueArn: queue, handler });
    await lambda.drain();
    expect(bodiesIn(queue)).toEqual(['bad']);
  });
});

describe('simulated Lambda schedules', () => {
  it('runs scheduled functions every period and fires clock timers as time advances', async () => {
    const { queue } = queueWith([]);
    const start = cloud.clock.nowMs();
    const runs: { at: number; detailType: string; source: string }[] = [];
    lambda.addScheduledFunction({ name: 'reconciler', everyMs: 60_000, handler: (event) => void runs.push({ at: cloud.clock.nowMs(), detailType: event['detail-type'], source: event.source }) });
    const handled: number[] = [];
    lambda.addSqsFunction({ name: 'copy', queueArn: queue, handler: () => void handled.push(cloud.clock.nowMs()) });
    cloud.clock.at(start + 95_000, () => sqs.queue(queue).send('completed', {}, VAULT));
    await lambda.advance(5 * 60_000, { tickMs: 10_000 });
    expect(runs.map((r) => r.at - start)).toEqual([60_000, 120_000, 180_000, 240_000, 300_000]);
    expect(runs[0]).toMatchObject({ detailType: 'Scheduled Event', source: 'aws.events' });
    expect(handled).toEqual([start + 100_000]);
    expect(cloud.clock.nowMs()).toBe(start + 5 * 60_000);
  });

  it('records a scheduled function that throws and keeps running', async () => {
    lambda.addScheduledFunction({
      name: 'pruner',
      everyMs: 60_000,
      handler: () => {
        throw new Error('boom');
      },
    });
    const invocations = await lambda.advance(120_000, { tickMs: 60_000 });
    expect(invocations.map((i) => [i.function, i.error])).toEqual([
      ['pruner', 'boom'],
      ['pruner', 'boom'],
    ]);
  });
});
