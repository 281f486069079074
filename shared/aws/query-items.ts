import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * The items of a DynamoDB Query, page after page. With `Limit`, at most that many in all: each
 * page asks only for what is still missing.
 *
 * @example
 * for await (const point of queryItems<RecoveryPoint>(db, { TableName, IndexName: 'byState', KeyConditionExpression: 'openState = :s', ExpressionAttributeValues: { ':s': 'failed' } })) …
 */
export async function* queryItems<T>(db: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<T> {
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  let remaining = input.Limit;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey, Limit: remaining }));
    for (const item of page.Items ?? []) yield item as T;
    if (remaining !== undefined) {
      remaining -= page.Items?.length ?? 0;
      if (remaining <= 0) return;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}
