import { AwsError } from '../../core/errors.js';
import type { QuotaBook } from '../../core/quotas.js';
import { checkNotInUse } from './data-folder.js';
import { DynamoEngine } from './engine.js';
import { parseInsert } from './partiql.js';

export interface DynamoDbSimOptions {
  /** The folder that keeps an account and region's tables (LevelDB); in memory when it returns undefined. */
  path?: (account: string, region: string) => string | undefined;
  /**
   * How long a write takes to reach the table's secondary indexes; until then a Query or Scan of an
   * index misses the item (0 by default). DynamoDB updates global secondary indexes asynchronously,
   * and reads of them are only eventually consistent (Developer Guide, "Using Global Secondary Indexes").
   */
  indexLagMs?: number;
}

/** Writes whose items the indexes see only once the lag has passed. */
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

type Item = Record<string, unknown>;

/** What CreateTable takes: the API's table definition (names as in the DynamoDB API). */
export type CreateTableInput = Record<string, unknown> & { TableName: string };

/** `arn:aws:dynamodb:<region>:<account>:table/<name>` */
export const tableArn = (region: string, account: string, name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;

/** A table's or an index's key attributes. */
export interface KeyNames {
  hash: string;
  range?: string;
}

type KeySchema = { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];

/**
 * Simulated DynamoDB: one dynalite engine per account and region, started on first use, so each
 * account's tables are its own as on AWS. The API (api/dynamodb-api.ts) reaches it like every
 * other service: authenticated, fault-injectable, IAM-authorized and recorded by the cloud.
 */
export class DynamoDbSim {
  readonly #engines = new Map<string, Promise<DynamoEngine>>();
  /** The key attributes of every table and index created, by `<account>|<region>|<table>[|<index>]`. */
  readonly #keys = new Map<string, KeyNames>();
  /** When each item was last written, by `<account>|<region>|<table>|<key>`, while the index lag lasts. */
  readonly #writtenAt = new Map<string, number>();

  constructor(
    private readonly quotas: QuotaBook,
    private readonly options: DynamoDbSimOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs a DynamoDB operation in an account and region.
   * @throws AwsError DynamoDB's errors; DataFolderInUseError when the account's folder is held by another process
   */
  async run(account: string, region: string, operation: string, input: Record<string, unknown>): Promise<unknown> {
    const result = await (await this.#engine(account, region)).run(operation, input);
    if (operation === 'CreateTable') this.#remember(account, region, input as CreateTableInput);
    if (!this.options.indexLagMs) return result;
    if (WRITES.has(operation)) this.#noteWrites(account, region, operation, input);
    if (operation === 'ExecuteStatement') {
      const { table, item } = parseInsert(input);
      this.#noteWrites(account, region, 'PutItem', { TableName: table, Item: item });
    }
    if ((operation === 'Query' || operation === 'Scan') && typeof input.IndexName === 'string')
      return this.#withoutRecentWrites(account, region, input.TableName as string, result as { Items?: Item[]; Count?: number });
    return result;
  }

  #noteWrites(account: string, region: string, operation: string, input: Record<string, unknown>): void {
    const written: [string, Item][] =
      operation === 'BatchWriteItem'
        ? Object.entries(input.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>).flatMap(
            ([table, requests]) => requests.map((r): [string, Item] => [table, r.PutRequest?.Item ?? r.DeleteRequest!.Key]),
          )
        : [[input.TableName as string, (operation === 'PutItem' ? input.Item : input.Key) as Item]];
    for (const [table, item] of written) this.#writtenAt.set(this.#itemKey(account, region, table, item), this.now());
  }

  /** An index read's items, less those written too recently for the index to show. */
  #withoutRecentWrites(account: string, region: string, table: string, result: { Items?: Item[]; Count?: number }) {
    if (!result.Items) return result;
    const since = this.now() - this.options.indexLagMs!;
    const items = result.Items.filter((item) => {
      const key = this.#itemKey(account, region, table, item);
      const at = this.#writtenAt.get(key);
      if (at !== undefined && at <= since) this.#writtenAt.delete(key);
      return at === undefined || at <= since;
    });
    return { ...result, Items: items, Count: items.length };
  }

  #itemKey(account: string, region: string, table: string, item: Item): string {
    const names = this.keys(account, region, table);
    return [account, region, table, JSON.stringify(item[names?.hash ?? '']), JSON.stringify(names?.range ? item[names.range] : null)].join(
      '|',
    );
  }

  /** The key attributes of a table, or of one of its indexes. */
  keys(account: string, region: string, table: string, index?: string): KeyNames | undefined {
    return this.#keys.get([account, region, table, ...(index ? [index] : [])].join('|'));
  }

  #remember(account: string, region: string, input: CreateTableInput): void {
    const names = (schema: KeySchema): KeyNames => ({
      hash: schema.find((k) => k.KeyType === 'HASH')!.AttributeName,
      range: schema.find((k) => k.KeyType === 'RANGE')?.AttributeName,
    });
    this.#keys.set([account, region, input.TableName].join('|'), names(input.KeySchema as KeySchema));
    const indexes = [
      ...((input.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: KeySchema }[]),
      ...((input.LocalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: KeySchema }[]),
    ];
    for (const index of indexes) this.#keys.set([account, region, input.TableName, index.IndexName].join('|'), names(index.KeySchema));
  }

  /**
   * Creates a table and waits until it is ACTIVE (what CloudFormation waits for).
   * @returns the table's ARN
   * @throws AwsError ResourceInUseException, ValidationException (the name rules, the indexes per table)
   */
  async createTable(account: string, region: string, input: CreateTableInput): Promise<string> {
    const indexes = Array.isArray(input.GlobalSecondaryIndexes) ? input.GlobalSecondaryIndexes.length : 0;
    this.quotas.check(
      {
        quota: 'dynamodb.globalSecondaryIndexesPerTable',
        account,
        region,
        subject: tableArn(region, account, input.TableName),
        value: indexes,
      },
      (limit) =>
        new AwsError(
          'ValidationException',
          `One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of ${limit}`,
        ),
    );
    await this.run(account, region, 'CreateTable', input);
    // dynalite turns a table ACTIVE on its next timer tick.
    for (;;) {
      const { Table } = (await this.run(account, region, 'DescribeTable', { TableName: input.TableName })) as {
        Table: { TableStatus: string };
      };
      if (Table.TableStatus === 'ACTIVE') return tableArn(region, account, input.TableName);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /** Closes every engine, releasing the folders they keep. */
  async close(): Promise<void> {
    const engines = await Promise.all(this.#engines.values());
    this.#engines.clear();
    await Promise.all(engines.map((engine) => engine.close()));
  }

  #engine(account: string, region: string): Promise<DynamoEngine> {
    const key = `${account}|${region}`;
    let engine = this.#engines.get(key);
    if (!engine) {
      const path = this.options.path?.(account, region);
      engine = (path ? checkNotInUse(path) : Promise.resolve()).then(() => new DynamoEngine({ account, region, path }));
      this.#engines.set(key, engine);
    }
    return engine;
  }
}
