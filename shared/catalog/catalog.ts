import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { queryItems } from '../aws/query-items.js';
import { quotaRegion } from '../core/copy-quota.js';
import { type ProtectedResource, protectedResourceKey, type Retirement } from './protected-resource.js';
import type { LegalHold, RecoveryPoint } from './recovery-point.js';

/** BatchGetItem reads at most 100 keys a request. */
const BATCH_GET_MAX = 100;

export type ClaimResult = { claimed: true; point: RecoveryPoint } | { claimed: false; point: RecoveryPoint };

type Changes = Partial<Omit<RecoveryPoint, 'pk' | 'openState' | 'availableResourcePk' | 'leaseUntil' | 'legalHold'>>;

/** Why a legal hold could not be set or lifted. */
export class LegalHoldRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LegalHoldRefused';
  }
}

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

  /**
   * Records a new recovery point unless the artifact already has one (then returns that one). An
   * UpdateItem that creates the item, not a PutItem: the handlers' roles may not put whole items, so
   * none can replace a point and drop its legal hold.
   */
  async claim(point: RecoveryPoint): Promise<ClaimResult> {
    try {
      const item = withIndexKeys(point);
      const attributes = Object.entries(item).filter(([key, value]) => key !== 'pk' && value !== undefined);
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: item.pk },
          UpdateExpression: `SET ${attributes.map(([key]) => `#${key} = :${key}`).join(', ')}`,
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(attributes.map(([key]) => [`#${key}`, key])),
          ExpressionAttributeValues: Object.fromEntries(attributes.map(([key, value]) => [`:${key}`, value])),
        }),
      );
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
    const taken = await this.#updateIf({
      Key: { pk: point.pk },
      UpdateExpression: 'SET leaseUntil = :until',
      ConditionExpression: 'stage = :stage AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
      ExpressionAttributeValues: { ':until': leaseUntil, ':stage': point.stage, ':now': now.toISOString() },
    });
    return taken ? { ...point, leaseUntil } : undefined;
  }

  /**
   * Applies changes and releases any lease, keeping the sparse index keys in line with the state. Only
   * the attributes that differ from `point` are written, so an attribute another writer changed
   * meanwhile is never put back. With `expectedStage`, the update only happens if nobody moved the
   * point on meanwhile. A legal hold is never written here (only {@link setLegalHold} and
   * {@link liftLegalHold} do), so an update from a point read before the hold was set cannot remove it.
   */
  async update(point: RecoveryPoint, changes: Changes, expectedStage?: RecoveryPoint['stage']): Promise<RecoveryPoint> {
    const before = withIndexKeys(point);
    const next = withIndexKeys({ ...point, ...changes, leaseUntil: undefined });
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(next)) {
      if (key === 'pk' || key === 'legalHold' || (value === before[key as keyof RecoveryPoint] && key !== 'leaseUntil')) continue;
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

  /**
   * Takes an available point out of service before its vault copy is deleted: `pruned`, out of the
   * latest-available index. Only if it is still available and was created before `lockCutoff`,
   * both checked in the same conditional write, so a lock raised a moment earlier wins. Returns undefined when any of those no longer holds. The hold records decide after
   * the claim (the pruner's role may not name `legalHold` in a write: IAM could not tell a lift from it).
   */
  async claimForPruning(point: RecoveryPoint, at: { now: string; lockCutoff: string }): Promise<RecoveryPoint | undefined> {
    const claimed = await this.#updateIf({
      Key: { pk: point.pk },
      UpdateExpression: 'SET #state = :pruned, updatedAt = :now REMOVE availableResourcePk',
      ConditionExpression: '#state = :available AND createdAt < :cutoff',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':pruned': 'pruned', ':available': 'available', ':now': at.now, ':cutoff': at.lockCutoff },
    });
    if (!claimed) return undefined;
    const { availableResourcePk: _index, ...rest } = point;
    return { ...rest, state: 'pruned', updatedAt: at.now };
  }

  /** Puts a claimed point back in service, its copy untouched (a hold came first). */
  async releasePruningClaim(point: RecoveryPoint): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: point.pk },
        UpdateExpression: 'SET #state = :available, availableResourcePk = :resource',
        ConditionExpression: '#state = :pruned AND attribute_not_exists(prunedAt)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':available': 'available', ':pruned': 'pruned', ':resource': point.resourcePk },
      }),
    );
  }

  /**
   * Takes a failed point up again: pending, claimed, its next attempt, its failure and what the failed
   * attempt recorded cleared, in one write conditional on it still being failed with nothing left in its
   * source. Returns undefined when that no longer holds (someone reopened it first, or its cleanup runs).
   */
  async reopen(
    point: RecoveryPoint,
    reopened: NonNullable<RecoveryPoint['reopened']>,
    eventId: string,
  ): Promise<RecoveryPoint | undefined> {
    const { failureReason: _reason, failureAboutArtifact: _about, intermediateId: _i, vaultCopyId: _v, vaultKeyArn: _k, ...rest } = point;
    const next: RecoveryPoint = {
      ...rest,
      state: 'pending',
      stage: 'claimed',
      attempt: (point.attempt ?? 1) + 1,
      reopened,
      eventId,
      updatedAt: reopened.at,
    };
    const taken = await this.#updateIf({
      Key: { pk: point.pk },
      UpdateExpression:
        'SET #state = :pending, stage = :claimed, attempt = :attempt, reopened = :reopened, eventId = :eventId, updatedAt = :at, openState = :pending REMOVE failureReason, failureAboutArtifact, intermediateId, vaultCopyId, vaultKeyArn, retryingSince, leaseUntil',
      ConditionExpression: '#state = :failed AND attribute_not_exists(residue)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':claimed': 'claimed',
        ':failed': 'failed',
        ':attempt': next.attempt,
        ':reopened': reopened,
        ':eventId': eventId,
        ':at': reopened.at,
      },
    });
    return taken ? withIndexKeys(next) : undefined;
  }

  /** A conditional update: false when its condition no longer holds (someone else moved the point on). */
  async #updateIf(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand({ ...input, TableName: this.table }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records that an available point's vault copy is gone though nothing in the hub deleted it:
   * `lost`, out of the latest-available index, listed by state. Only if it is still available, so
   * that a copy the pruner took out of service meanwhile (its own deletion) is never called lost.
   * Returns undefined when it no longer was.
   */
  async markLost(point: RecoveryPoint, lost: { at: string; reason: string }): Promise<RecoveryPoint | undefined> {
    const marked = await this.#updateIf({
      Key: { pk: point.pk },
      UpdateExpression: 'SET #state = :lost, openState = :lost, lost = :why, updatedAt = :at REMOVE availableResourcePk',
      ConditionExpression: '#state = :available',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':lost': 'lost', ':available': 'available', ':why': lost, ':at': lost.at },
    });
    if (!marked) return undefined;
    const { availableResourcePk: _index, ...rest } = point;
    return { ...rest, state: 'lost', openState: 'lost', lost, updatedAt: lost.at };
  }

  /** Which of these points the catalog holds (consistent reads, 100 keys a request). */
  async known(pks: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < pks.length; i += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] | undefined = [...new Set(pks.slice(i, i + BATCH_GET_MAX))].map((pk) => ({ pk }));
      while (keys?.length) {
        const read: BatchGetCommandOutput = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ProjectionExpression: 'pk', ConsistentRead: true } } }),
        );
        for (const item of read.Responses?.[this.table] ?? []) found.add(item.pk as string);
        keys = read.UnprocessedKeys?.[this.table]?.Keys;
      }
    }
    return found;
  }

  /** Records that the vault copy of a point claimed for pruning is gone. */
  async markPruned(point: RecoveryPoint, at: string): Promise<RecoveryPoint> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: point.pk },
        UpdateExpression: 'SET prunedAt = :at, updatedAt = :at',
        ConditionExpression: '#state = :pruned',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':at': at, ':pruned': 'pruned' },
      }),
    );
    return { ...point, prunedAt: at, updatedAt: at };
  }

  /**
   * Puts a legal hold on a point, replacing any earlier one.
   * @throws LegalHoldRefused when there is no such point, or its copy is already pruned (or being pruned)
   */
  async setLegalHold(pk: string, hold: LegalHold): Promise<RecoveryPoint> {
    return this.#changeHold(pk, {
      UpdateExpression: 'SET legalHold = :hold',
      ConditionExpression: 'attribute_exists(pk) AND #state <> :pruned',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':hold': hold, ':pruned': 'pruned' },
    });
  }

  /**
   * Lifts the legal hold of a point.
   * @throws LegalHoldRefused when there is no such point or it holds no legal hold
   */
  async liftLegalHold(pk: string): Promise<RecoveryPoint> {
    return this.#changeHold(pk, { UpdateExpression: 'REMOVE legalHold', ConditionExpression: 'attribute_exists(legalHold)' });
  }

  async #changeHold(
    pk: string,
    change: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<RecoveryPoint> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({ TableName: this.table, Key: { pk }, ReturnValues: 'ALL_NEW', ...change }),
      );
      return Attributes as RecoveryPoint;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const point = await this.get(pk);
      if (!point) throw new LegalHoldRefused(`there is no recovery point ${pk} in the catalog`);
      if (point.state === 'pruned')
        throw new LegalHoldRefused(
          `${pk} was pruned${point.prunedAt ? ` at ${point.prunedAt}` : ''}: its vault copy is gone, nothing left to hold`,
        );
      throw new LegalHoldRefused(`${pk} holds no legal hold`);
    }
  }

  /** Recovery points of one protected resource, newest first; with `attributes`, only those are read (the caller names the type). */
  byResource<T extends object = RecoveryPoint>(resourcePk: string, attributes?: readonly string[]): AsyncGenerator<T> {
    return this.#query({
      IndexName: 'byResource',
      KeyConditionExpression: 'resourcePk = :k',
      ExpressionAttributeValues: { ':k': resourcePk },
      ScanIndexForward: false,
      ...projection(attributes),
    }) as AsyncGenerator<T>;
  }

  /**
   * Recovery points of one account created in [from, to], oldest first. With `attributes`, only
   * those are read (a long read, such as the audit's, then moves a fraction of each item); the
   * caller names the type of what it gets.
   */
  byAccount<T extends object = RecoveryPoint>(
    account: string,
    range: { from?: string; to?: string } = {},
    attributes?: readonly string[],
  ): AsyncGenerator<T> {
    return this.#query({
      IndexName: 'byAccount',
      KeyConditionExpression: 'account = :a AND createdAt BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':a': account, ':from': range.from ?? '0000', ':to': range.to ?? '9999' },
      ...projection(attributes),
    }) as AsyncGenerator<T>;
  }

  /**
   * What the pruner may have to act on in one account: available points created before `before`, and
   * pruned ones whose deletion has not finished, oldest first. Finished pruned records are filtered
   * out by DynamoDB (still read, so the cost grows with the account's history).
   */
  prunable(account: string, before: string): AsyncGenerator<RecoveryPoint> {
    return this.#query({
      IndexName: 'byAccount',
      KeyConditionExpression: 'account = :a AND createdAt < :before',
      FilterExpression: '#state = :available OR (#state = :pruned AND attribute_not_exists(prunedAt))',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':a': account, ':before': before, ':available': 'available', ':pruned': 'pruned' },
    });
  }

  /**
   * One page of an account's available points, oldest first (one Query of at most `limit` items
   * read; the filter leaves the other states out): `next` goes on from there.
   */
  async availablePage(
    account: string,
    start: Record<string, unknown> | undefined,
    limit: number,
  ): Promise<{ points: RecoveryPoint[]; next?: Record<string, unknown> }> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byAccount',
        KeyConditionExpression: 'account = :a',
        FilterExpression: '#state = :available',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':a': account, ':available': 'available' },
        ExclusiveStartKey: start,
        Limit: limit,
      }),
    );
    return { points: (page.Items ?? []) as RecoveryPoint[], next: page.LastEvaluatedKey };
  }

  /** A bookmark a scheduled run leaves the next one (where a sweep stands), kept in the catalog table under `key`. */
  async bookmark<T extends object>(key: string): Promise<T | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: key }, ConsistentRead: true }));
    return Item?.at as T | undefined;
  }

  async setBookmark(key: string, at: object): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: key, at } }));
  }

  /** Appends to one list entry of a map bookmark while it holds fewer than `max`; nothing when the bookmark or its entry is absent. */
  appendToBookmarkEntry(key: string, entry: string, value: unknown, max: number): Promise<void> {
    return this.#changeBookmarkEntry(key, entry, 'list_append(#at.#entry, :value)', 'size(#at.#entry) < :max', {
      ':value': [value],
      ':max': max,
    });
  }

  /** Replaces one entry of a map bookmark, leaving the others as they are; nothing when the bookmark or its entry is gone. */
  setBookmarkEntry(key: string, entry: string, value: unknown): Promise<void> {
    return this.#changeBookmarkEntry(key, entry, ':value', 'attribute_exists(#at.#entry)', { ':value': value });
  }

  /** Sets `at.<entry>` of a map bookmark to `newValue` when `condition` holds; nothing when it does not. */
  async #changeBookmarkEntry(
    key: string,
    entry: string,
    newValue: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: key },
          UpdateExpression: `SET #at.#entry = ${newValue}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#at': 'at', '#entry': entry },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Pending, failed, lost, or settled-with-residue recovery points, and available ones whose copy in a
   * further region is open. Points waiting for a copy slot are listed by {@link waiting}; a failed point
   * whose source cleanup is not done yet is listed under `residue`.
   */
  byState(state: 'pending' | 'failed' | 'lost' | 'residue' | 'copy-pending' | 'copy-failed'): AsyncGenerator<RecoveryPoint> {
    return this.#query({ IndexName: 'byState', KeyConditionExpression: 'openState = :s', ExpressionAttributeValues: { ':s': state } });
  }

  /**
   * Points (and points' copies in a further region) waiting for a slot of any copy quota whose copies
   * land in `region`, every kind, account and quota together, longest waiting first. With `limit`, one
   * Query of at most that many.
   */
  waiting(region: string, limit?: number): AsyncGenerator<RecoveryPoint> {
    return this.#query({
      IndexName: 'byState',
      KeyConditionExpression: 'openState = :s',
      ExpressionAttributeValues: { ':s': `waiting:${region}` },
      ...(limit === undefined ? {} : { Limit: limit }),
    });
  }

  /** The newest available recovery point of a protected resource (for RPO). */
  async latestAvailable(resourcePk: string): Promise<RecoveryPoint | undefined> {
    for await (const point of this.newestAvailable(resourcePk, 1)) return point;
    return undefined;
  }

  /** The `limit` newest available recovery points of a protected resource, newest first (what keep-last retention keeps). */
  newestAvailable(resourcePk: string, limit: number): AsyncGenerator<RecoveryPoint> {
    return this.#query({
      IndexName: 'latestAvailable',
      KeyConditionExpression: 'availableResourcePk = :k',
      ExpressionAttributeValues: { ':k': resourcePk },
      ScanIndexForward: false,
      Limit: limit,
    });
  }

  /**
   * Records that a point of its resource is available: the resource's newest available point moves
   * forward, never back, and a resource retired before that point was taken counts again.
   */
  async recordProtected(point: RecoveryPoint): Promise<void> {
    await this.#recordResource(point, {
      set: 'newestAvailableAt = :created, newestSourceId = :sourceId',
      condition: '(attribute_not_exists(newestAvailableAt) OR newestAvailableAt < :created)',
    });
  }

  /**
   * A point that counted as its resource's newest protection no longer does (its copy was lost):
   * the resource's record falls back to the newest point still available, or to none, so the RPO
   * check measures from there. A newer point recorded meanwhile is left as it is.
   */
  async withdrawProtection(point: RecoveryPoint): Promise<void> {
    const newest = await this.latestAvailable(point.resourcePk);
    await this.#updateIf({
      Key: { pk: protectedResourceKey(point.resourcePk) },
      UpdateExpression: newest ? 'SET newestAvailableAt = :at, newestSourceId = :newest' : 'REMOVE newestAvailableAt, newestSourceId',
      ConditionExpression: 'newestSourceId = :lost',
      ExpressionAttributeValues: { ':lost': point.sourceId, ...(newest ? { ':at': newest.createdAt, ':newest': newest.sourceId } : {}) },
    });
  }

  /** Records that a resource exists though its point failed: it counts against its target from then on, having no copy. */
  async recordSeen(point: RecoveryPoint): Promise<void> {
    await this.#recordResource(point, {});
  }

  async #recordResource(point: RecoveryPoint, extra: { set?: string; condition?: string }): Promise<void> {
    const notRetiredSince = '(attribute_not_exists(retired) OR retired.#at < :created)';
    await this.#updateIf({
      Key: { pk: protectedResourceKey(point.resourcePk) },
      UpdateExpression: [
        'SET #kind = :kind, #account = :account, #region = :region, resourceId = :resourceId, resourcePk = :resourcePk,',
        'protectedAccount = :account, firstSeenAt = if_not_exists(firstSeenAt, :created)',
        extra.set ? `, ${extra.set}` : '',
        ' REMOVE retired',
      ].join(''),
      ConditionExpression: extra.condition ? `${extra.condition} AND ${notRetiredSince}` : notRetiredSince,
      ExpressionAttributeNames: { '#kind': 'kind', '#account': 'account', '#region': 'region', '#at': 'at' },
      ExpressionAttributeValues: {
        ':kind': point.kind,
        ':account': point.account,
        ':region': point.region,
        ':resourceId': point.resourceId,
        ':resourcePk': point.resourcePk,
        ':created': point.createdAt,
        ...(extra.set ? { ':sourceId': point.sourceId } : {}),
      },
    });
  }

  async resource(resourcePk: string): Promise<ProtectedResource | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: protectedResourceKey(resourcePk) }, ConsistentRead: true }),
    );
    return Item as ProtectedResource | undefined;
  }

  /**
   * Takes a resource out of the RPO count (out of the `protectedResources` index); its recovery
   * points stay. Returns undefined when the catalog does not know it or it is already retired.
   */
  async retire(resourcePk: string, retirement: Retirement): Promise<ProtectedResource | undefined> {
    return this.#changeRetirement(resourcePk, {
      UpdateExpression: 'SET retired = :retired REMOVE protectedAccount',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(retired)',
      ExpressionAttributeValues: { ':retired': retirement },
    });
  }

  /** Counts a retired resource against its target again. Returns undefined when it is not retired. */
  async unretire(resourcePk: string): Promise<ProtectedResource | undefined> {
    return this.#changeRetirement(resourcePk, {
      UpdateExpression: 'SET protectedAccount = #account REMOVE retired',
      ConditionExpression: 'attribute_exists(retired)',
      ExpressionAttributeNames: { '#account': 'account' },
    });
  }

  async #changeRetirement(
    resourcePk: string,
    change: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<ProtectedResource | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({ TableName: this.table, Key: { pk: protectedResourceKey(resourcePk) }, ReturnValues: 'ALL_NEW', ...change }),
      );
      return Attributes as ProtectedResource;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** One page of an account's resources that count against their RPO target (one Query); `next` continues it. */
  async protectedResources(
    account: string,
    start?: Record<string, unknown>,
  ): Promise<{ resources: ProtectedResource[]; next?: Record<string, unknown> }> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'protectedResources',
        KeyConditionExpression: 'protectedAccount = :a',
        ExpressionAttributeValues: { ':a': account },
        ExclusiveStartKey: start,
      }),
    );
    return { resources: (page.Items ?? []) as ProtectedResource[], next: page.LastEvaluatedKey };
  }

  /** A bookmark a scheduled run leaves the next one (the RPO check's next account), kept in the catalog table. */
  async marker(key: string): Promise<string | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: key }, ConsistentRead: true }));
    return Item?.next as string | undefined;
  }

  async setMarker(key: string, next: string | undefined): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: key, ...(next === undefined ? {} : { next }) } }));
  }

  #query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<RecoveryPoint> {
    return queryItems<RecoveryPoint>(this.db, { ...input, TableName: this.table });
  }
}

/** Reads only the attributes named (a long read then moves a fraction of each item). */
function projection(
  attributes: readonly string[] | undefined,
): Pick<QueryCommandInput, 'ProjectionExpression' | 'ExpressionAttributeNames'> {
  if (!attributes) return {};
  return {
    ProjectionExpression: attributes.map((_, i) => `#p${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a])),
  };
}

function withIndexKeys(point: RecoveryPoint): RecoveryPoint {
  return {
    ...point,
    openState: openStateOf(point),
    availableResourcePk: point.state === 'available' ? point.resourcePk : undefined,
  };
}

/**
 * Waiting points get their own by-state partition per destination region (every quota of copies that
 * land there), so that the reconciler's pending pass never reads the backlog, and its slot filling reads
 * it with one Query per region however many sources and quotas there are; settled points whose source
 * still holds something of the hub's are listed under `residue` until the reconciler has removed it.
 */
function openStateOf(point: RecoveryPoint): RecoveryPoint['openState'] {
  if (point.state === 'pending') return point.waitingFor === undefined ? 'pending' : `waiting:${quotaRegion(point.waitingFor)}`;
  if (point.residue) return 'residue';
  if (point.state === 'failed' || point.state === 'lost') return point.state;
  const open = point.state === 'available' ? point.copies?.find((c) => c.state !== 'available') : undefined;
  if (!open) return undefined;
  if (open.state === 'waiting' && open.waitingFor) return `waiting:${quotaRegion(open.waitingFor)}`;
  return open.state === 'failed' ? 'copy-failed' : 'copy-pending';
}
