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
  /**
   * How long a write to a global table's replica takes to reach its other replicas (1 s by default).
   * Global tables replicate asynchronously, "typically within a second"; a write not yet replicated
   * when its region goes down stays there and is sent once the region is back (Developer Guide,
   * "Global tables: How it works" and "Evacuating a Region with global tables").
   */
  replicationLagMs?: number;
}

/** What replication needs of the cloud: its clock's timers, and whether a region is down. */
export interface ReplicationClock {
  nowMs(): number;
  at(at: number, run: () => void): void;
  isDown(region: string): boolean;
}

/**
 * A write on its way to one other replica: the item as it was after the write, or its key when it was
 * deleted. `held` while its region is down: it leaves once the region is back.
 */
interface Replication {
  account: string;
  from: string;
  to: string;
  table: string;
  item?: Item;
  key: Item;
  writtenAt: number;
  state: 'travelling' | 'shipped' | 'held';
}

/** Writes whose items the indexes see only once the lag has passed, and global tables replicate (the PartiQL statement is an INSERT). */
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'ExecuteStatement']);

type Item = Record<string, unknown>;

/** What CreateTable takes: the API's table definition (names as in the DynamoDB API). */
export type CreateTableInput = Record<string, unknown> & { TableName: string };

/** The items (or keys) a write names, each with its table. */
function writtenBy(operation: string, input: Record<string, unknown>): [string, Item][] {
  if (operation === 'ExecuteStatement') {
    const { table, item } = parseInsert(input);
    return [[table, item]];
  }
  return operation === 'BatchWriteItem'
    ? Object.entries(input.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>).flatMap(
        ([table, requests]) => requests.map((r): [string, Item] => [table, r.PutRequest?.Item ?? r.DeleteRequest!.Key]),
      )
    : [[input.TableName as string, (operation === 'PutItem' ? input.Item : input.Key) as Item]];
}

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
  /** The regions of each global table's replicas, by `<account>|<table>`. */
  readonly #replicas = new Map<string, string[]>();
  /** Writes on their way to other replicas, oldest first. */
  #replicating: Replication[] = [];
  /** When each item of a global table's replica was last written (by {@link #itemKey}): the later write wins. */
  readonly #replicaWrittenAt = new Map<string, number>();

  constructor(
    private readonly quotas: QuotaBook,
    private readonly options: DynamoDbSimOptions = {},
    private readonly clock: ReplicationClock = { nowMs: Date.now, at: () => {}, isDown: () => false },
  ) {}

  /**
   * Runs a DynamoDB operation in an account and region.
   * @throws AwsError DynamoDB's errors; DataFolderInUseError when the account's folder is held by another process
   */
  async run(account: string, region: string, operation: string, input: Record<string, unknown>): Promise<unknown> {
    const engine = await this.#engine(account, region);
    await this.#receiveReplicated(account, region, engine);
    const result = await engine.run(operation, input);
    if (operation === 'CreateTable') this.#remember(account, region, input as CreateTableInput);
    if (WRITES.has(operation)) {
      const written = writtenBy(operation, input);
      await this.#replicate(account, region, engine, written);
      if (this.options.indexLagMs)
        for (const [table, item] of written) this.#writtenAt.set(this.#itemKey(account, region, table, item), this.clock.nowMs());
    }
    if (this.options.indexLagMs && (operation === 'Query' || operation === 'Scan') && typeof input.IndexName === 'string')
      return this.#withoutRecentWrites(account, region, input.TableName as string, result as { Items?: Item[]; Count?: number });
    return result;
  }

  /**
   * Makes a table a global table's replica in each of `regions` (the tables exist there already):
   * from now on a write to one replica reaches the others once the replication lag has passed.
   */
  replicate(account: string, table: string, regions: string[]): void {
    this.#replicas.set(`${account}|${table}`, regions);
  }

  /**
   * Queues each written item, as it is now, for the table's other replicas; it leaves once the lag has
   * passed, or, if its region is down then, once the region is back.
   */
  async #replicate(account: string, region: string, engine: DynamoEngine, written: [string, Item][]): Promise<void> {
    for (const [table, item] of written) {
      const others = this.#replicas.get(`${account}|${table}`)?.filter((r) => r !== region) ?? [];
      if (others.length === 0) continue;
      const key = this.#keyOf(account, region, table, item);
      const writtenAt = this.clock.nowMs();
      this.#replicaWrittenAt.set(this.#itemKey(account, region, table, key), writtenAt);
      const { Item: now } = (await engine.run('GetItem', { TableName: table, Key: key, ConsistentRead: true })) as { Item?: Item };
      for (const to of others) {
        const replication: Replication = {
          account,
          from: region,
          to,
          table,
          key,
          ...(now ? { item: now } : {}),
          writtenAt,
          state: 'travelling',
        };
        this.#replicating.push(replication);
        this.clock.at(writtenAt + (this.options.replicationLagMs ?? 1000), () => {
          replication.state = this.clock.isDown(region) ? 'held' : 'shipped';
        });
      }
    }
  }

  /**
   * Applies, in the order they were made, the writes that have reached this region's replicas. Of two
   * writes of an item, the later one wins, whichever arrives last (a held write may come late).
   */
  async #receiveReplicated(account: string, region: string, engine: DynamoEngine): Promise<void> {
    const arrived = this.#replicating.filter(
      (r) => r.account === account && r.to === region && (r.state === 'shipped' || (r.state === 'held' && !this.clock.isDown(r.from))),
    );
    if (arrived.length === 0) return;
    this.#replicating = this.#replicating.filter((r) => !arrived.includes(r));
    for (const r of arrived) {
      const here = this.#itemKey(account, region, r.table, r.key);
      if ((this.#replicaWrittenAt.get(here) ?? -1) > r.writtenAt) continue;
      this.#replicaWrittenAt.set(here, r.writtenAt);
      await engine.run(
        r.item ? 'PutItem' : 'DeleteItem',
        r.item ? { TableName: r.table, Item: r.item } : { TableName: r.table, Key: r.key },
      );
    }
  }

  /** The key attributes of an item (or of a key). */
  #keyOf(account: string, region: string, table: string, item: Item): Item {
    const names = this.keys(account, region, table)!;
    return { [names.hash]: item[names.hash], ...(names.range ? { [names.range]: item[names.range] } : {}) };
  }

  /** An index read's items, less those written too recently for the index to show. */
  #withoutRecentWrites(account: string, region: string, table: string, result: { Items?: Item[]; Count?: number }) {
    if (!result.Items) return result;
    const since = this.clock.nowMs() - this.options.indexLagMs!;
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
