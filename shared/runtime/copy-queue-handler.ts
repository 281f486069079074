import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describeError } from '../aws/aws-errors.js';
import type { ArtifactKind } from '../kinds/artifact-kind.js';
import { processEvent } from '../pipeline/process-event.js';
import type { HubContext } from './hub-context.js';
import type { HubContextProvider } from './lambda-hub-context.js';

/** SQS caps DelaySeconds at 15 minutes. */
const MAX_DELAY_SECONDS = 900;

/**
 * The middy chain of every copy queue: each record is processed on its own and a failed
 * record is reported alone (partial batch failure), so one bad event never holds back the
 * others. Deferred events go back on the queue with a jittered delay as a new message, so
 * waiting for quota never uses up their receive count.
 *
 * @example
 * export const handler = copyQueueHandler(ebsSnapshot, lambdaHubContext);
 */
export function copyQueueHandler(kind: ArtifactKind, context: HubContextProvider) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure({ logger: (reason: unknown, record: SQSRecord) => context().logger.warn('message will be retried', { messageId: record.messageId, error: describeError(reason) }) }))
    .handler(async (event: SQSEvent) => {
      const ctx = context();
      return Promise.allSettled(event.Records.map((record) => handleRecord(record, kind, ctx))) as unknown as SQSBatchResponse;
    });
}

async function handleRecord(record: SQSRecord, kind: ArtifactKind, ctx: HubContext): Promise<void> {
  try {
    const result = await processEvent(record.body, kind, ctx);
    if (result.outcome === 'deferred') await requeue(record, result.delaySeconds, ctx);
  } catch (error) {
    const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
    if (attempt >= ctx.config.maxReceiveCount) {
      await ctx.audit.append({
        decision: 'failed',
        kind: kind.name,
        eventId: eventIdOf(record.body),
        reason: `gave up after ${attempt} attempts; the message goes to the dead-letter queue: ${describeError(error)}`,
      });
    }
    throw error;
  }
}

async function requeue(record: SQSRecord, delaySeconds: number, ctx: HubContext): Promise<void> {
  if (!ctx.config.queueUrl) throw new Error('deferred, and QUEUE_URL is not set: leaving the message to the visibility timeout');
  const jittered = Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds * (0.5 + Math.random())));
  await ctx.aws.sqs(ctx.config.vaultRegion).send(new SendMessageCommand({ QueueUrl: ctx.config.queueUrl, MessageBody: record.body, DelaySeconds: jittered }));
}

function eventIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
