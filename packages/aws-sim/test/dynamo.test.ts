import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  ExecuteStatementCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type CreateTableInput, SimCloud, startLocalDynamo } from '../src/index.js';
import { allowing, trustedBy } from './policies.js';

const VAULT = '999999999999';
const OTHER = '111111111111';
const REGION = 'eu-west-1';

/** A table keyed by `pk`, with two indexes over string attributes. */
const TABLE: CreateTableInput = {
  TableName: 'points',
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: ['pk', 'account', 'createdAt', 'state', 'updatedAt'].map((AttributeName) => ({
    AttributeName,
    AttributeType: 'S',
  })),
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byAccount',
      KeySchema: [
        { AttributeName: 'account', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: 'byState',
      KeySchema: [
        { AttributeName: 'state', KeyType: 'HASH' },
        { AttributeName: 'updatedAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
};

/** The 24 bits of the table key that stock dynalite 4.0.0 keeps in an index entry (db/index.js hashPrefix). */
const dynaliteKeyPrefix = (pk: string) => createHash('md5').update('Outliers').update(pk).digest('hex').slice(0, 6);

/** Two keys stock dynalite would give one index entry, found as a birthday collision. */
function collidingKeys(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const pk = `ami#222222222222#eu-west-1#ami-${i.toString(16).padStart(17, '0')}`;
    const other = seen.get(dynaliteKeyPrefix(pk));
    if (other) return [other, pk];
    seen.set(dynaliteKeyPrefix(pk), pk);
  }
}

let cloud: SimCloud;
afterEach(() => cloud.close());

function cloudWith(...accounts: string[]): SimCloud {
  cloud = new SimCloud();
  for (const id of accounts) cloud.addAccount({ id });
  return cloud;
}

const documents = (account: string, credentials = cloud.adminCredentials(account), region = REGION) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig(credentials, region)));

/** Every item of a Query, page by page. */
async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<string[]> {
  const found: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    found.push(...(page.Items ?? []).map((item) => item.pk as string));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return found.sort();
}

describe('simulated DynamoDB', () => {
  it('keeps every item in a secondary index, even two with the same index key whose table keys stock dynalite would confuse', async () => {
    cloudWith(VAULT);
    await cloud.dynamodb.createTable(VAULT, REGION, TABLE);
    const db = documents(VAULT);
    const pks = collidingKeys();
    const burst = {
      account: '222222222222',
      createdAt: '2026-01-01T00:00:00.000Z',
      state: 'waiting:ami:222222222222:eu-west-1',
      updatedAt: '2026-01-01T00:05:00.000Z',
    };
    for (const pk of pks) await db.send(new PutCommand({ TableName: 'points', Item: { pk, ...burst } }));
    expect(
      await queryAll(db, {
        TableName: 'points',
        IndexName: 'byAccount',
        KeyConditionExpression: 'account = :a',
        ExpressionAttributeValues: { ':a': burst.account },
      }),
    ).toEqual([...pks].sort());
    expect(
      await queryAll(db, {
        TableName: 'points',
        IndexName: 'byState',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':s': burst.state },
      }),
    ).toEqual([...pks].sort());
    // Pages of one item walk the index by ExclusiveStartKey, which is keyed the same way.
    expect(
      await queryAll(db, {
        TableName: 'points',
        IndexName: 'byAccount',
        KeyConditionExpression: 'account = :a',
        ExpressionAttributeValues: { ':a': burst.account },
        Limit: 1,
      }),
    ).toEqual([...pks].sort());
  });

  it('lets a secondary index miss an item written within the index lag; the table itself has it at once', async () => {
    cloud = new SimCloud({ dynamodb: { indexLagMs: 60_000 } });
    cloud.addAccount({ id: VAULT });
    await cloud.dynamodb.createTable(VAULT, REGION, TABLE);
    const db = documents(VAULT);
    const item = {
      account: '222222222222',
      createdAt: '2026-01-01T00:00:00.000Z',
      state: 'pending',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await db.send(new PutCommand({ TableName: 'points', Item: { pk: 'old', ...item } }));
    await cloud.advance(60_000);
    await db.send(new PutCommand({ TableName: 'points', Item: { pk: 'new', ...item } }));
    const byAccount = {
      TableName: 'points',
      IndexName: 'byAccount',
      KeyConditionExpression: 'account = :a',
      ExpressionAttributeValues: { ':a': item.account },
    };

    expect(await queryAll(db, byAccount)).toEqual(['old']);
    expect((await db.send(new GetCommand({ TableName: 'points', Key: { pk: 'new' } }))).Item).toMatchObject({ pk: 'new' });
    await cloud.advance(60_000);
    expect(await queryAll(db, byAccount)).toEqual(['new', 'old']);
  });

  it('is reached like every service: authenticated, authorized by the caller role, fault-injectable and recorded', async () => {
    cloudWith(VAULT);
    await cloud.dynamodb.createTable(VAULT, REGION, TABLE);
    const reader = cloud.iam.putRole({
      account: VAULT,
      name: 'reader',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: allowing('dynamodb:GetItem'),
    });
    const db = documents(VAULT, cloud.roleCredentials(reader.arn));
    await expect(db.send(new GetCommand({ TableName: 'points', Key: { pk: 'a' } }))).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
    await expect(db.send(new PutCommand({ TableName: 'points', Item: { pk: 'a' } }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    // A throttle the SDK retries, then gets through.
    cloud.faults.add({ service: 'dynamodb', operation: 'GetItem', error: 'ProvisionedThroughputExceededException', times: 1 });
    await expect(db.send(new GetCommand({ TableName: 'points', Key: { pk: 'a' } }))).resolves.toMatchObject({ $metadata: { attempts: 2 } });
    expect(cloud.calls.map((c) => [c.service, c.action, c.principal, c.error])).toEqual([
      ['dynamodb', 'GetItem', reader.arn, undefined],
      ['dynamodb', 'PutItem', reader.arn, 'AccessDeniedException'],
      ['dynamodb', 'GetItem', reader.arn, 'ProvisionedThroughputExceededException'],
      ['dynamodb', 'GetItem', reader.arn, undefined],
    ]);
  });

  it('runs a PartiQL INSERT as dynamodb:PartiQLInsert, which adds an item and never overwrites one (DuplicateItemException)', async () => {
    cloudWith(VAULT);
    await cloud.dynamodb.createTable(VAULT, REGION, TABLE);
    const appender = cloud.iam.putRole({
      account: VAULT,
      name: 'appender',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: allowing('dynamodb:PartiQLInsert', 'dynamodb:GetItem'),
    });
    const db = documents(VAULT, cloud.roleCredentials(appender.arn));
    const insert = (pk: string, note: string) =>
      db.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "points" VALUE {'pk': ?, 'note': ?}`, Parameters: [pk, note] }));
    await insert('a', 'first');
    await expect(insert('a', 'rewritten')).rejects.toMatchObject({ name: 'DuplicateItemException' });
    expect((await db.send(new GetCommand({ TableName: 'points', Key: { pk: 'a' } }))).Item).toEqual({ pk: 'a', note: 'first' });
    // The insert is its own action: the role may not put (and so overwrite) an item.
    await expect(db.send(new PutCommand({ TableName: 'points', Item: { pk: 'a', note: 'rewritten' } }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    // Statements other than INSERT are the simulator's limit, said as such.
    await expect(db.send(new ExecuteStatementCommand({ Statement: `DELETE FROM "points" WHERE pk = 'a'` }))).rejects.toThrow(
      /runs PartiQL INSERT INTO "table" VALUE \{…\} only/,
    );
    expect(cloud.calls.filter((c) => c.action === 'ExecuteStatement').map((c) => c.error)).toEqual([
      undefined,
      'DuplicateItemException',
      'ValidationException',
    ]);
  });

  it("gives each account and region its own tables, with ARNs that name them, and answers DynamoDB's errors", async () => {
    cloudWith(VAULT, OTHER);
    await cloud.dynamodb.createTable(VAULT, REGION, TABLE);
    await documents(VAULT).send(new PutCommand({ TableName: 'points', Item: { pk: 'vault-only' } }));
    await expect(documents(OTHER).send(new GetCommand({ TableName: 'points', Key: { pk: 'vault-only' } }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    const { Table } = await new DynamoDBClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION)).send(
      new DescribeTableCommand({ TableName: 'points' }),
    );
    expect(Table).toMatchObject({ TableArn: `arn:aws:dynamodb:${REGION}:${VAULT}:table/points`, TableStatus: 'ACTIVE' });
    expect(Table!.GlobalSecondaryIndexes!.map((i) => i.IndexArn)).toContain(
      `arn:aws:dynamodb:${REGION}:${VAULT}:table/points/index/byAccount`,
    );
    await expect(cloud.dynamodb.createTable(VAULT, REGION, TABLE)).rejects.toMatchObject({ code: 'ResourceInUseException' });
  });

  it('keeps an account and region in a folder, which a later dynalite server reads (what the audit of a drill does)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'aws-sim-dynamo-'));
    try {
      cloud = new SimCloud({ dynamodb: { path: (account) => (account === VAULT ? folder : undefined) } });
      cloud.addAccount({ id: VAULT });
      await cloud.dynamodb.createTable(VAULT, REGION, TABLE);
      await documents(VAULT).send(new PutCommand({ TableName: 'points', Item: { pk: 'kept' } }));
      await cloud.close();
      const server = await startLocalDynamo({ path: folder });
      try {
        const { Item } = await DynamoDBDocumentClient.from(new DynamoDBClient(server.clientConfig)).send(
          new GetCommand({ TableName: 'points', Key: { pk: 'kept' } }),
        );
        expect(Item).toEqual({ pk: 'kept' });
      } finally {
        await server.close();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('a global table (CloudFormation) replicates each write (PartiQL inserts too) to its other replicas after the lag; what had not left when its region went down arrives once it is back, last writer by time winning', async () => {
    cloudWith(VAULT);
    const DR = 'eu-central-1';
    const { TableName, ...definition } = TABLE;
    const template = { TableName, ...definition, StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } };
    const deploy = (Replicas: { Region: string }[]) =>
      cloud.cloudformation.deploy({
        account: VAULT,
        region: REGION,
        stackName: 'global',
        template: { Resources: { Points: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { ...template, Replicas } } } },
      });
    const stack = await deploy([{ Region: REGION }, { Region: DR }]);
    expect(stack.resources.Points!.attributes).toEqual({ Arn: `arn:aws:dynamodb:${REGION}:${VAULT}:table/points` });
    const [primary, dr] = [documents(VAULT), documents(VAULT, cloud.adminCredentials(VAULT), DR)];
    const item = { account: OTHER, createdAt: '2026-01-01T00:00:00.000Z', state: 'pending', updatedAt: '2026-01-01T00:00:00.000Z' };
    const get = (db: DynamoDBDocumentClient, pk: string) => db.send(new GetCommand({ TableName: 'points', Key: { pk } }));

    await primary.send(new PutCommand({ TableName: 'points', Item: { pk: 'a', ...item } }));
    expect((await get(dr, 'a')).Item).toBeUndefined();
    await cloud.advance(1000);
    expect((await get(dr, 'a')).Item).toEqual({ pk: 'a', ...item });
    // Both replicas take writes; the primary's reaches the DR replica's indexes too.
    await dr.send(new PutCommand({ TableName: 'points', Item: { pk: 'b', ...item } }));
    await cloud.advance(1000);
    expect((await get(primary, 'b')).Item).toMatchObject({ pk: 'b' });
    expect(
      await queryAll(dr, {
        TableName: 'points',
        IndexName: 'byAccount',
        KeyConditionExpression: 'account = :a',
        ExpressionAttributeValues: { ':a': OTHER },
      }),
    ).toEqual(['a', 'b']);

    // A PartiQL INSERT is a write like any other: it reaches the other replicas too.
    await primary.send(
      new ExecuteStatementCommand({ Statement: `INSERT INTO "points" VALUE {'pk': ?, 'state': ?}`, Parameters: ['inserted', 'pending'] }),
    );
    await cloud.advance(1000);
    expect((await get(dr, 'inserted')).Item).toEqual({ pk: 'inserted', state: 'pending' });

    // A write that had not left when its region went down is kept there, and sent once the region is back.
    await primary.send(new PutCommand({ TableName: 'points', Item: { pk: 'late', ...item } }));
    await primary.send(new PutCommand({ TableName: 'points', Item: { pk: 'b', ...item, state: 'older' } }));
    cloud.outages.add(REGION);
    await cloud.advance(60_000);
    expect((await get(dr, 'late')).Item).toBeUndefined();
    // Last writer wins by the time of the write: the DR replica's later write of b outlives the primary's held one.
    await dr.send(new PutCommand({ TableName: 'points', Item: { pk: 'b', ...item, state: 'newer' } }));
    cloud.outages.delete(REGION);
    await cloud.advance(1000);
    expect((await get(dr, 'late')).Item).toEqual({ pk: 'late', ...item });
    expect((await get(dr, 'b')).Item).toMatchObject({ state: 'newer' });
    expect((await get(primary, 'b')).Item).toMatchObject({ state: 'newer' });
  });

  it('refuses a global table with more than one replica and no StreamSpecification, or without a replica in its own region', async () => {
    cloudWith(VAULT);
    const deploy = (properties: Record<string, unknown>) =>
      cloud.cloudformation.deploy({
        account: VAULT,
        region: REGION,
        stackName: 'global',
        template: { Resources: { Points: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { ...TABLE, ...properties } } } },
      });
    await expect(deploy({ Replicas: [{ Region: REGION }, { Region: 'eu-central-1' }] })).rejects.toThrow(/needs StreamSpecification/);
    await expect(deploy({ Replicas: [{ Region: 'eu-central-1' }] })).rejects.toThrow(/must include the stack's own region eu-west-1/);
  });
});
