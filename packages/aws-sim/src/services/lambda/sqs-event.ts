import type { SQSBatchResponse, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { md5OfMessageAttributes } from '../sqs/md5.js';
import type { ReceivedMessage } from '../sqs/queue.js';

/** A received SQS message as the Lambda event source mapping hands it to a function. */
export function sqsRecord(message: ReceivedMessage, queueArn: string): SQSRecord {
  const md5Attributes = md5OfMessageAttributes(message.messageAttributes);
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.systemAttributes as unknown as SQSRecordAttributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.messageAttributes).map(([name, a]): [string, SQSMessageAttribute] => [
        name,
        {
          ...(a.binaryValue ? { binaryValue: a.binaryValue.toString('base64') } : { stringValue: a.stringValue }),
          stringListValues: [],
          binaryListValues: [],
          dataType: a.dataType,
        },
      ]),
    ),
    md5OfBody: message.md5OfBody,
    ...(md5Attributes ? { md5OfMessageAttributes: md5Attributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3]!,
  };
}

/**
 * The message ids a partial batch response asks to retry. No response, no list or an empty
 * list is complete success; an identifier that is empty, not a string or not in the batch
 * makes the whole batch a failure, as Lambda documents.
 * @throws Error describing the invalid response (the whole batch then counts as failed).
 */
export function batchItemFailures(response: unknown, batchIds: string[]): string[] {
  const failures = (response as Partial<SQSBatchResponse> | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) throw new Error('batchItemFailures is not a list');
  return failures.map((failure: unknown) => {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.includes(id))
      throw new Error(`batchItemFailures names ${JSON.stringify(id)}, which is not a message of the batch`);
    return id;
  });
}
