import { createHash } from 'node:crypto';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CreateEventSourceMappingInput, type FunctionHandler, type LambdaSim, SimCloud, type SimFunction } from '../src/index.js';
import type { SqsSim } from '../src/services/sqs/sqs.js';
import { allowing, trustedBy } from './policies.js';

const VAULT = '999999999999';
const REGION = 'eu-west-1';

let cloud: SimCloud;
let sqs: SqsSim;
let lambda: LambdaSim;

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  ({ sqs, lambda } = cloud);
});

/** A function whose role Lambda may assume, with the permissions given. */
function createFunction(name: string, handler: FunctionHandler, ...actions: string[]): SimFunction {
  const role = cloud.iam.putRole({
    account: VAULT,
    name: `${name}-role`,
    trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
    policies: allowing(...actions),
  });
  return lambda.createFunction(VAULT, REGION, { name, handler, role: role.arn });
}

/** A function behind an SQS event source mapping (reporting batch item failures unless told otherwise). */
function sqsFunction(
  name: string,
  queueArn: string,
  handler: (event: SQSEvent, context: Context) => unknown,
  mapping: Partial<CreateEventSourceMappingInput> = {},
): void {
  createFunction(name, handler, 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes');
  lambda.createEventSourceMapping(VAULT, REGION, {
    functionName: name,
    eventSourceArn: queueArn,
    reportBatchItemFailures: true,
    ...mapping,
  });
}

/** A function run by a `rate(...)` rule on the default bus, which its resource policy lets EventBridge invoke. */
function scheduledFunction(name: string, rate: string, handler: (event: ScheduledEvent) => unknown): void {
  const fn = createFunction(name, handler);
  const rule = cloud.events.putRule(VAULT, REGION, {
    name: `${name}-schedule`,
    scheduleExpression: rate,
    targets: [{ id: name, arn: fn.arn }],
  });
  lambda.addPermission(fn.arn, {
    statementId: 'events',
    action: 'lambda:InvokeFunction',
    principal: 'events.amazonaws.com',
    sourceArn: rule.arn,
  });
}

/** A queue with a DLQ, holding the given bodies. */
function queueWith(bodies: string[], { maxReceiveCount = 3, visibilityTimeoutSeconds = 30 } = {}) {
  const dlq = sqs.createQueue(VAULT, REGION, 'copies-dlq');
  const queue = sqs.createQueue(VAULT, REGION, 'copies', {
    visibilityTimeoutSeconds,
    redrivePolicy: { deadLetterTargetArn: dlq.arn, maxReceiveCount },
  });
  for (const body of bodies) sqs.queue(queue.arn).send(body, {}, VAULT);
  return { queue: queue.arn, dlq: dlq.arn };
}

const bodiesIn = (queueArn: string) => sqs.messages(queueArn).map((m) => m.body);

describe('simulated Lambda SQS event source', () => {
  it('hands real-shaped SQS records and a Lambda context to the handler', async () => {
    const { queue } = queueWith([]);
    sqs.queue(queue).send('{"id":"e-1"}', { kind: { dataType: 'String', stringValue: 'ebs' } }, VAULT);
    const seen: { record: SQSRecord; functionArn: string }[] = [];
    sqsFunction(
      'ebs-copy',
      queue,
      (event, context) => void seen.push({ record: event.Records[0]!, functionArn: context.invokedFunctionArn }),
    );
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
    sqsFunction('copy', queue, (event): SQSBatchResponse => {
      attempts.push(...event.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`));
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    const [first] = await lambda.drain();
    expect(first).toMatchObject({ function: 'copy', records: expect.any(Array), failures: [sqs.messages(queue)[0]!.messageId] });
    expect(bodiesIn(queue)).toEqual(['b']);
    await cloud.advance(29_000);
    expect(attempts).toEqual(['a#1', 'b#1', 'c#1']);
    await cloud.advance(1_000);
    expect(attempts).toEqual(['a#1', 'b#1', 'c#1', 'b#2']);
    expect(sqs.depth(queue)).toBe(0);
  });

  it('retries the whole batch when the handler throws, until the redrive policy moves it to the DLQ', async () => {
    const { queue, dlq } = queueWith(['x', 'y'], { maxReceiveCount: 3, visibilityTimeoutSeconds: 30 });
    sqsFunction('copy', queue, () => {
      throw new Error('RequestLimitExceeded');
    });
    const invocations = await cloud.advance(5 * 60_000, { tickMs: 10_000 });
    expect(invocations).toHaveLength(3);
    expect(invocations.every((i) => i.error === 'RequestLimitExceeded' && i.failures.length === 2)).toBe(true);
    expect(invocations.map((i) => i.at - invocations[0]!.at)).toEqual([0, 30_000, 60_000]);
    expect(sqs.depth(queue)).toBe(0);
    expect(bodiesIn(dlq)).toEqual(['x', 'y']);
  });

  it('treats an identifier outside the batch as a failure of the whole batch', async () => {
    const { queue } = queueWith(['a', 'b']);
    sqsFunction('copy', queue, () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] }));
    const [invocation] = await lambda.drain();
    expect(invocation).toMatchObject({
      failures: expect.arrayContaining(invocation!.records),
      error: expect.stringMatching(/not a message of the batch/),
    });
    expect(bodiesIn(queue)).toEqual(['a', 'b']);
  });

  it('ignores a partial response when ReportBatchItemFailures is off', async () => {
    const { queue } = queueWith(['a', 'b']);
    sqsFunction('copy', queue, (event) => ({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }] }), {
      reportBatchItemFailures: false,
    });
    await lambda.drain();
    expect(sqs.depth(queue)).toBe(0);
  });

  it('runs at most maximumConcurrency batches at once', async () => {
    const { queue } = queueWith(Array.from({ length: 9 }, (_, i) => `m${i}`));
    let active = 0;
    let peak = 0;
    const handler = async () => {
      peak = Math.max(peak, ++active);
      await new Promise((resolve) => setImmediate(resolve));
      active -= 1;
    };
    sqsFunction('copy', queue, handler, { batchSize: 1, maximumConcurrency: 2 });
    const invocations = await lambda.drain();
    expect(invocations).toHaveLength(9);
    expect(peak).toBe(2);
    expect(() =>
      lambda.createEventSourceMapping(VAULT, REGION, { functionName: 'copy', eventSourceArn: queue, maximumConcurrency: 1 }),
    ).toThrow(/between 2 and 1000/);
  });

  it('runs a middy handler with the partial batch failure middleware', async () => {
    const { queue } = queueWith(['good', 'bad']);
    const handler = middy<SQSEvent, SQSBatchResponse>()
      .use(sqsPartialBatchFailure({ logger: () => undefined }))
      .handler(
        async (event) =>
          Promise.allSettled(
            event.Records.map(async (r) => (r.body === 'bad' ? Promise.reject(new Error('bad')) : r.body)),
          ) as unknown as SQSBatchResponse,
      );
    sqsFunction('copy', queue, handler);
    await lambda.drain();
    expect(bodiesIn(queue)).toEqual(['bad']);
  });
});

describe('simulated Lambda schedules', () => {
  it('runs scheduled functions every period and fires clock timers as time advances', async () => {
    const { queue } = queueWith([]);
    const start = cloud.clock.nowMs();
    const runs: { at: number; detailType: string; source: string; resources: string[] }[] = [];
    scheduledFunction(
      'reconciler',
      'rate(1 minute)',
      (event) =>
        void runs.push({ at: cloud.clock.nowMs(), detailType: event['detail-type'], source: event.source, resources: event.resources }),
    );
    const handled: number[] = [];
    sqsFunction('copy', queue, () => void handled.push(cloud.clock.nowMs()));
    cloud.clock.at(start + 95_000, () => sqs.queue(queue).send('completed', {}, VAULT));
    await cloud.advance(5 * 60_000, { tickMs: 10_000 });
    expect(runs.map((r) => r.at - start)).toEqual([60_000, 120_000, 180_000, 240_000, 300_000]);
    expect(runs[0]).toMatchObject({
      detailType: 'Scheduled Event',
      source: 'aws.events',
      resources: [`arn:aws:events:${REGION}:${VAULT}:rule/reconciler-schedule`],
    });
    expect(handled).toEqual([start + 100_000]);
    expect(cloud.clock.nowMs()).toBe(start + 5 * 60_000);
  });

  it('lets a quiet stretch pass without running the schedule, which resumes at its next period', async () => {
    const start = cloud.clock.nowMs();
    const runs: number[] = [];
    scheduledFunction('pruner', 'rate(6 hours)', () => void runs.push(cloud.clock.nowMs() - start));
    await cloud.skip(3 * 86_400_000);
    expect(runs).toEqual([]);
    await cloud.advance(6 * 3_600_000, { tickMs: 3_600_000 });
    expect(runs).toEqual([3 * 86_400_000 + 6 * 3_600_000]);
  });

  it('records a scheduled function that throws and keeps running', async () => {
    scheduledFunction('pruner', 'rate(1 minute)', () => {
      throw new Error('boom');
    });
    const invocations = await cloud.advance(120_000, { tickMs: 60_000 });
    expect(invocations.map((i) => [i.function, i.error])).toEqual([
      ['pruner', 'boom'],
      ['pruner', 'boom'],
    ]);
  });
});

describe('what Lambda checks', () => {
  it('refuses a function whose role Lambda may not assume, and a mapping whose role may not poll the queue', () => {
    const { queue } = queueWith([]);
    const foreign = cloud.iam.putRole({ account: VAULT, name: 'ec2-only', trustPolicy: trustedBy({ Service: 'ec2.amazonaws.com' }) });
    expect(() => lambda.createFunction(VAULT, REGION, { name: 'f', handler: () => undefined, role: foreign.arn })).toThrow(
      'The role defined for the function cannot be assumed by Lambda.',
    );
    createFunction('no-sqs', () => undefined, 'sqs:ReceiveMessage');
    expect(() => lambda.createEventSourceMapping(VAULT, REGION, { functionName: 'no-sqs', eventSourceArn: queue })).toThrow(
      'The provided execution role does not have permissions to call DeleteMessage on SQS',
    );
  });

  it('invokes a function for a rule only when its resource policy allows that rule; a refused event goes to the target dead-letter queue', async () => {
    const fn = createFunction('reconciler', () => undefined);
    const dlq = sqs.createQueue(VAULT, REGION, 'schedule-dlq');
    const rule = cloud.events.putRule(VAULT, REGION, {
      name: 'every-minute',
      scheduleExpression: 'rate(1 minute)',
      targets: [{ id: 'fn', arn: fn.arn, deadLetterArn: dlq.arn }],
    });
    sqs.setPolicy(dlq.url, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: dlq.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': rule.arn } },
        },
      ],
    });
    await cloud.advance(60_000, { tickMs: 60_000 });
    expect(lambda.invocations).toEqual([]);
    expect(cloud.events.deliveries.map((d) => [d.target, d.ok])).toEqual([
      [fn.arn, false],
      [dlq.arn, true],
    ]);
    expect(JSON.parse(sqs.messages(dlq.arn)[0]!.body)).toMatchObject({ 'detail-type': 'Scheduled Event', resources: [rule.arn] });
    lambda.addPermission(fn.arn, {
      statementId: 'other-rule',
      action: 'lambda:InvokeFunction',
      principal: 'events.amazonaws.com',
      sourceArn: `${rule.arn}-other`,
    });
    lambda.addPermission(fn.arn, {
      statementId: 'this-rule',
      action: 'lambda:InvokeFunction',
      principal: 'events.amazonaws.com',
      sourceArn: rule.arn,
    });
    expect(await cloud.advance(60_000, { tickMs: 60_000 })).toMatchObject([{ function: 'reconciler' }]);
  });
});
