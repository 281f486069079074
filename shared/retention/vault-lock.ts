import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { insertInto, newestIn } from '../audit/audit-log.js';
import { isAwsError } from '../aws/aws-errors.js';

/**
 * The vault lock's records in the audit table: partition `LOCK#vault`, one item per length ever set,
 * keyed by that length (`seq`, in days). Only the pruner's role may insert them, and no role may
 * change or delete any (IAM and the guardrails), so the lock in force, the longest, cannot shorten.
 */
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
 * The vault lock: the longest of its insert-only records. Raising it inserts a record for the new
 * length; a record for a shorter length (the hub never writes one) would change nothing, and there
 * is no call that removes one: AWS refuses an update, a delete and an insert over an existing key.
 *
 * @example
 * await lock.raise(30, new Date());       // 'set' the first time, then 'raised' or 'unchanged'
 * await lock.raise(10, new Date());       // throws LockShorteningRefused
 * lock.cutoff(30, now);                   // copies created before this instant may be deleted
 */
export class VaultLock {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    /** The audit table, which keeps the records beside the audit chain. */
    private readonly table: string,
  ) {}

  async inForce(): Promise<LockInForce | undefined> {
    const longest = await newestIn(this.db, this.table, VAULT_LOCK_KEY);
    return longest && { minRetentionDays: longest.seq as number, since: longest.since as string };
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
      await this.db.send(insertInto(this.table, { chain: VAULT_LOCK_KEY, seq: days, since: now.toISOString() }));
      return current ? 'raised' : 'set';
    } catch (error) {
      // Set to this length meanwhile by another run: theirs stands.
      if (isAwsError(error, 'DuplicateItemException')) return 'unchanged';
      throw error;
    }
  }

  /** The instant before which a copy is past a lock of `days`. */
  static cutoff(days: number, now: Date): string {
    return new Date(now.getTime() - days * DAY_MS).toISOString();
  }
}
