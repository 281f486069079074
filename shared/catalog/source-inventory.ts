import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { queryItems } from '../aws/query-items.js';
import type { ArtifactKindName } from '../kinds/index.js';
import { resourceKey } from './recovery-point.js';

/**
 * A resource of a source account that the inventory sweep saw (a volume, an instance, a DB
 * instance or cluster, a parameter): what the audit's `unprotected` table is made of. Kept in the
 * catalog table as `INV#<resourcePk>`, listed per account by the sparse `inventory` index.
 */
export interface InventoryItem {
  pk: string;
  /** The `inventory` index's key. */
  inventoryAccount: string;
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  resourcePk: string;
  tags: Record<string, string>;
  /** The pass that saw it last (its id is its start time). */
  seenInPass: string;
}

/** One pass of the sweep over a source account and region: all its kinds' listings, over one or more runs. */
export interface SweepPass {
  /** `sweep-<start time>`: the `eventId` of the points it makes. */
  id: string;
  startedAt: string;
  /** Per kind, the token its listing goes on from; a kind listed to the end is in `done`. */
  cursor: Partial<Record<ArtifactKindName, string>>;
  done: ArtifactKindName[];
  /** API calls made in the source (every attempt). */
  calls: number;
  /** Artifacts handed to the pipeline. */
  queued: number;
  resources: number;
  runs: number;
}

/** Where the sweep stands in one source account and region: `SWEEP#<account>#<region>` in the catalog table. */
export interface SweepState {
  pk: string;
  account: string;
  region: string;
  /** The pass under way, until every kind is listed. */
  pass?: SweepPass;
  /** The last pass that finished. */
  last?: SweepPass & { finishedAt: string };
  /** Passes finished: the first one is the backfill. */
  passes: number;
}

const INVENTORY_PREFIX = 'INV#';
/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_MAX = 25;

export const inventoryKey = (kind: ArtifactKindName, account: string, region: string, resourceId: string) =>
  `${INVENTORY_PREFIX}${resourceKey(kind, account, region, resourceId)}`;
const stateKey = (account: string, region: string) => `SWEEP#${account}#${region}`;

/**
 * The sweep's records in the catalog table: what each source holds, and where each source's
 * sweep stands. Queries on the table or an index only, never a Scan.
 */
export class SourceInventory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  async state(account: string, region: string): Promise<SweepState> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: stateKey(account, region) }, ConsistentRead: true }),
    );
    return (Item as SweepState | undefined) ?? { pk: stateKey(account, region), account, region, passes: 0 };
  }

  async saveState(state: SweepState): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: state }));
  }

  /** Records resources a pass saw (25 a request). */
  async record(items: readonly InventoryItem[]): Promise<void> {
    await this.#write(items.map((Item) => ({ PutRequest: { Item } })));
  }

  /** Forgets resources the source no longer holds. */
  async forget(items: readonly InventoryItem[]): Promise<void> {
    await this.#write(items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk } } })));
  }

  /** The resources of one account the sweep saw, by kind, region and id. */
  resources(account: string): AsyncGenerator<InventoryItem> {
    return queryItems<InventoryItem>(this.db, {
      TableName: this.table,
      IndexName: 'inventory',
      KeyConditionExpression: 'inventoryAccount = :a',
      ExpressionAttributeValues: { ':a': account },
    });
  }

  async #write(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + BATCH_WRITE_MAX);
      while (pending?.length) {
        const written: BatchWriteCommandOutput = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
        pending = written.UnprocessedItems?.[this.table] as Record<string, unknown>[] | undefined;
      }
    }
  }
}
