import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** The lock item's key in the catalog table; it carries none of the index attributes, so no catalog query ever returns it. */
/** The catalog item's key; only the pruner's role may write it (the vault stack denies every other). */
export const VAULT_LOCK_KEY = 'LOCK#vault';
const DAY_MS = 86_400_000;

/** The vault lock in force: no vault copy younger than `minRetentionDays` may be deleted. */
export interface LockInForce {
  minRetentionDays: number;
  /** When it was last set or raised. */
  since: string;
}

/** A request to shorten the lock in force: a lock only grows. */
export class LockShorteningRefused extends Error {
  constructor(
    readonly inForce: LockInForce,
    readonly requestedDays: number,
  ) {
    super(
      `the vault lock is ${inForce.minRetentionDays} days (since ${inForce.since}) and can only grow: ${requestedDays} days is refused. ` +
        `Set lock.minRetentionDays in the vault's account file back to ${inForce.minRetentionDays} or more; copies stay locked for ${inForce.minRetentionDays} days meanwhile`,
    );
    this.name = 'LockShorteningRefused';
  }
}

/**
 * The vault lock, kept in the vault's own catalog table. Every write is conditional on the new
 * value being at least the stored one, so no code path of the hub (and no edited account file) can
 * shorten it; and there is no call that removes it.
 *
 * @example
 * await lock.raise(30, new Date());       // 'set' the first time, then 'raised' or 'unchanged'
 * await lock.raise(10, new Date());       // throws LockShorteningRefused
 * lock.cutoff(30, now);                   // copies created before this instant may be deleted
 */
export class VaultLock {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async inForce(): Promise<LockInForce | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: VAULT_LOCK_KEY }, ConsistentRead: true }));
    return Item && { minRetentionDays: Item.minRetentionDays as number, since: Item.since as string };
  }

  /**
   * Sets the lock, or raises it; asking for the length in force changes nothing.
   * @throws LockShorteningRefused when `days` is shorter than the lock in force
   */
  async raise(days: number, now: Date): Promise<'set' | 'raised' | 'unchanged'> {
    const current = await this.inForce();
    if (current && current.minRetentionDays === days) return 'unchanged';
    if (current && current.minRetentionDays > days) throw new LockShorteningRefused(current, days);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: VAULT_LOCK_KEY },
          UpdateExpression: 'SET minRetentionDays = :days, since = :now',
          ConditionExpression: 'attribute_not_exists(pk) OR minRetentionDays < :days',
          ExpressionAttributeValues: { ':days': days, ':now': now.toISOString() },
        }),
      );
      return current ? 'raised' : 'set';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Raised meanwhile by another writer: their value stands if it is at least ours.
      const raced = await this.inForce();
      if (raced && raced.minRetentionDays >= days) return 'unchanged';
      throw error;
    }
  }

  /** The instant before which a copy is past a lock of `days`. */
  static cutoff(days: number, now: Date): string {
    return new Date(now.getTime() - days * DAY_MS).toISOString();
  }
}
