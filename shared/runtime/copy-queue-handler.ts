import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import { isThrottlingError } from '@smithy/core/retry';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describeError } from '../aws/aws-errors.js';
import { sqsClient } from '../aws/clients.js';
import type { ArtifactKind } from '../kinds/common/artifact-kind.js';
import { processEvent } from '../pipeline/process-event.js';
import type { FunctionRuntime } from './function-runtime.js';
import type { HubContext } from './hub-context.js';

/** SQS caps DelaySeconds at 15 minutes. */
const MAX_DELAY_SECONDS = 900;
/**
 * An event still throttled after the SDK's retries goes back as a new message, after 30 s, 60 s, …
 * up to 15 minutes (jittered), counted in this message attribute: throttling never spends the
 * receive count that sends a poison message to the DLQ. Beyond the limit it counts as a failure.
 */
const THROTTLED_ATTRIBUTE = 'backup-hub-throttled';
const MAX_THROTTLED_REQUEUES = 10;
const throttledDelaySeconds = (requeues: number) => 30 * 2 ** requeues;

/**
 * The middy chain of every copy queue: each record is processed on its own and a failed
 * record is reported alone (partial batch failure), so one bad event never holds back the
 * others. Deferred and throttled events go back on the queue with a jittered delay as a new
 * message, so waiting never uses up their receive count.
 *
 * @example
 * export const handler = copyQueueHandler(ebsSnapshot, lambdaRuntime);
 */
export function copyQueueHandler(kind: ArtifactKind, runtime: FunctionRuntime) {
  const context = runtime.hubContext;
  return middy<SQSEvent, SQSBatchResponse>()
    .use(
      sqsPartialBatchFailure({
        logger: (reason: unknown, record: SQSRecord) =>
          context().logger.warn('message will be retried', { messageId: record.messageId, error: describeError(reason) }),
      }),
    )
    .handler(async (event: SQSEvent) => {
      const ctx = context();
      return Promise.allSettled(event.Records.map((record) => handleRecord(record, kind, ctx))) as unknown as SQSBatchResponse;
    });
}

async function handleRecord(record: SQSRecord, kind: ArtifactKind, ctx: HubContext): Promise<void> {
  const throttled = Number(record.messageAttributes?.[THROTTLED_ATTRIBUTE]?.stringValue ?? '0');
  try {
    const result = await processEvent(record.body, kind, ctx);
    if (result.outcome === 'deferred') await requeue(record, result.delaySeconds, ctx, throttled);
  } catch (error) {
    if (isThrottlingError(error as Parameters<typeof isThrottlingError>[0]) && throttled < MAX_THROTTLED_REQUEUES) {
      ctx.logger.warn('throttled; the event comes back later', {
        kind: kind.name,
        eventId: eventIdOf(record.body),
        requeues: throttled + 1,
        error: describeError(error),
      });
      ctx.metrics.throttled(kind.name);
      await requeue(record, throttledDelaySeconds(throttled), ctx, throttled + 1);
      return;
    }
    const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
    if (attempt >= ctx.config.maxReceiveCount) {
      await ctx.audit.append({
        decision: 'failed',
        kind: kind.name,
        eventId: eventIdOf(record.body),
        reason: `${describeError(error)} (gave up after ${attempt} attempts; the message goes to the dead-letter queue)`,
      });
    }
    throw error;
  }
}

async function requeue(record: SQSRecord, delaySeconds: number, ctx: HubContext, throttled: number): Promise<void> {
  if (!ctx.config.queueUrl) throw new Error('deferred, and QUEUE_URL is not set: leaving the message to the visibility timeout');
  const jittered = Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds * (0.5 + Math.random())));
  const MessageAttributes = throttled > 0 ? { [THROTTLED_ATTRIBUTE]: { DataType: 'Number', StringValue: String(throttled) } } : undefined;
  await sqsClient(ctx.aws, ctx.config.vaultRegion).send(
    new SendMessageCommand({ QueueUrl: ctx.config.queueUrl, MessageBody: record.body, DelaySeconds: jittered, MessageAttributes }),
  );
}

function eventIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
