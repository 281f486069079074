import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { queryItems } from '../../../shared/aws/query-items.js';
import { createTables, startLocalDynamo, type LocalDynamo } from '../src/services/dynamodb/local-server.js';

/** The 24 bits of the table key that stock dynalite 4.0.0 keeps in an index entry (db/index.js hashPrefix). */
const dynaliteKeyPrefix = (pk: string) => createHash('md5').update('Outliers').update(pk).digest('hex').slice(0, 6);

/** Two catalog keys stock dynalite would give one index entry, found as a birthday collision. */
function collidingKeys(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const pk = `ami#222222222222#eu-west-1#ami-${i.toString(16).padStart(17, '0')}`;
    const other = seen.get(dynaliteKeyPrefix(pk));
    if (other) return [other, pk];
    seen.set(dynaliteKeyPrefix(pk), pk);
  }
}

describe('the local DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;
  let db: DynamoDBDocumentClient;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await createTables(dynamo, { catalog: 'catalog', audit: 'audit' });
    db = DynamoDBDocumentClient.from(new DynamoDBClient(dynamo.clientConfig));
  });
  afterAll(() => dynamo.close());

  it('keeps every item in a secondary index, even two with the same index key whose table keys stock dynalite would confuse', async () => {
    const pks = collidingKeys();
    const burst = { account: '222222222222', createdAt: '2026-01-01T00:00:00.000Z', openState: 'waiting:ami:222222222222:eu-west-1', updatedAt: '2026-01-01T00:05:00.000Z' };
    for (const pk of pks) await db.send(new PutCommand({ TableName: 'catalog', Item: { pk, ...burst } }));
    const read = async (IndexName: string, KeyConditionExpression: string, ExpressionAttributeValues: Record<string, string>) => {
      const found: string[] = [];
      for await (const item of queryItems<{ pk: string }>(db, { TableName: 'catalog', IndexName, KeyConditionExpression, ExpressionAttributeValues })) found.push(item.pk);
      return found.sort();
    };
    expect(await read('byAccount', 'account = :a', { ':a': burst.account })).toEqual([...pks].sort());
    expect(await read('byState', 'openState = :s', { ':s': burst.openState })).toEqual([...pks].sort());
    // Pages of one item walk the index by ExclusiveStartKey, which is keyed the same way.
    const paged: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new QueryCommand({ TableName: 'catalog', IndexName: 'byAccount', KeyConditionExpression: 'account = :a', ExpressionAttributeValues: { ':a': burst.account }, Limit: 1, ExclusiveStartKey }));
      paged.push(...(page.Items ?? []).map((item) => item.pk as string));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    expect(paged.sort()).toEqual([...pks].sort());
  });
});
