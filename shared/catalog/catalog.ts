import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { RecoveryPoint, RecoveryPointState } from './recovery-point.js';

export type ClaimResult = { claimed: true; point: RecoveryPoint } | { claimed: false; point: RecoveryPoint };

type Changes = Partial<Omit<RecoveryPoint, 'pk' | 'openState' | 'availableResourcePk' | 'leaseUntil'>>;

/**
 * The catalog of recovery points on DynamoDB. Every read is a GetItem or a Query on the
 * table or a GSI; there is no Scan. Writes are idempotent on the source artifact.
 *
 * @example
 * const { claimed, point } = await catalog.claim(newPoint);
 * if (!claimed) return; // a redelivered event: the artifact is already being copied
 */
export class Catalog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** Records a new recovery point unless the artifact already has one (then returns that one). */
  async claim(point: RecoveryPoint): Promise<ClaimResult> {
    try {
      const item = withIndexKeys(point);
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return { claimed: true, point: item };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(point.pk);
      if (!existing) throw new Error(`catalog item ${point.pk} vanished during claim`);
      return { claimed: false, point: existing };
    }
  }

  async get(pk: string): Promise<RecoveryPoint | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true }));
    return Item as RecoveryPoint | undefined;
  }

  /**
   * Takes the point for `ms` so that no other worker (a redelivery, the reconciler) starts the
   * same copy meanwhile. Returns undefined when someone else holds it or moved it on.
   */
  async lease(point: RecoveryPoint, now: Date, ms: number): Promise<RecoveryPoint | undefined> {
    const leaseUntil = new Date(now.getTime() + ms).toISOString();
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: point.pk },
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: 'stage = :stage AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeValues: { ':until': leaseUntil, ':stage': point.stage, ':now': now.toISOString() },
        }),
      );
      return { ...point, leaseUntil };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Applies changes and releases any lease, keeping the sparse index keys in line with the state. Only
   * the attributes that differ from `point` are written, so an attribute another writer changed
   * meanwhile is never put back. With `expectedStage`, the update only happens if nobody moved the
   * point on meanwhile.
   */
  async update(point: RecoveryPoint, changes: Changes, expectedStage?: RecoveryPoint['stage']): Promise<RecoveryPoint> {
    const before = withIndexKeys(point);
    const next = withIndexKeys({ ...point, ...changes, leaseUntil: undefined });
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(next)) {
      if (key === 'pk' || (value === before[key as keyof RecoveryPoint] && key !== 'leaseUntil')) continue;
      names[`#${key}`] = key;
      if (value === undefined) remove.push(`#${key}`);
      else {
        set.push(`#${key} = :${key}`);
        values[`:${key}`] = value;
      }
    }
    if (expectedStage) {
      names['#stage'] = 'stage';
      values[':expectedStage'] = expectedStage;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: point.pk },
        // leaseUntil is always removed, so the expression is never empty.
        UpdateExpression: [set.length ? `SET ${set.join(', ')}` : '', `REMOVE ${remove.join(', ')}`].join(' ').trim(),
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        ...(expectedStage ? { ConditionExpression: '#stage = :expectedStage' } : {}),
      }),
    );
    return next;
  }

  /** Recovery points of one protected resource, newest first. */
  byResource(resourcePk: string, options: { limit?: number } = {}): AsyncGenerator<RecoveryPoint> {
    return this.#query({ IndexName: 'byResource', KeyConditionExpression: 'resourcePk = :k', ExpressionAttributeValues: { ':k': resourcePk }, ScanIndexForward: false, Limit: options.limit });
  }

  /** Recovery points of one account created in [from, to), oldest first. */
  byAccount(account: string, range: { from?: string; to?: string } = {}): AsyncGenerator<RecoveryPoint> {
    return this.#query({
      IndexName: 'byAccount',
      KeyConditionExpression: 'account = :a AND createdAt BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':a': account, ':from': range.from ?? '0000', ':to': range.to ?? '9999' },
    });
  }

  /** Pending or failed recovery points, least recently updated first. Points waiting for a copy slot are listed by {@link waiting}. */
  byState(state: Exclude<RecoveryPointState, 'available'>): AsyncGenerator<RecoveryPoint> {
    return this.#query({ IndexName: 'byState', KeyConditionExpression: 'openState = :s', ExpressionAttributeValues: { ':s': state } });
  }

  /** Points waiting for a slot of one copy quota, longest waiting first. */
  waiting(quota: string, limit: number): AsyncGenerator<RecoveryPoint> {
    return this.#query({ IndexName: 'byState', KeyConditionExpression: 'openState = :s', ExpressionAttributeValues: { ':s': `waiting:${quota}` }, Limit: limit });
  }

  /** The newest available recovery point of a protected resource (for RPO). */
  async latestAvailable(resourcePk: string): Promise<RecoveryPoint | undefined> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'latestAvailable',
        KeyConditionExpression: 'availableResourcePk = :k',
        ExpressionAttributeValues: { ':k': resourcePk },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    return Items?.[0] as RecoveryPoint | undefined;
  }

  async *#query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<RecoveryPoint> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    let remaining = input.Limit;
    do {
      const page = await this.db.send(new QueryCommand({ ...input, TableName: this.table, ExclusiveStartKey, Limit: remaining }));
      for (const item of page.Items ?? []) yield item as RecoveryPoint;
      if (remaining !== undefined) {
        remaining -= page.Items?.length ?? 0;
        if (remaining <= 0) return;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }
}

function withIndexKeys(point: RecoveryPoint): RecoveryPoint {
  return {
    ...point,
    openState: openStateOf(point),
    availableResourcePk: point.state === 'available' ? point.resourcePk : undefined,
  };
}

/** Waiting points get their own by-state partition per quota, so that neither the reconciler's pending pass nor its slot filling reads the whole backlog. */
function openStateOf(point: RecoveryPoint): RecoveryPoint['openState'] {
  if (point.state === 'available') return undefined;
  if (point.state === 'pending' && point.waitingFor !== undefined) return `waiting:${point.waitingFor}`;
  return point.state;
}
