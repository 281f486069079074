import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, ExecuteStatementCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { isAwsError } from '../aws/aws-errors.js';
import { queryItems } from '../aws/query-items.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { AuditDecision, AuditEntry, AuditFacts } from './audit-entry.js';

export const CHAIN = 'audit';
/** The previous hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
const MAX_APPEND_ATTEMPTS = 50;
/**
 * After a second collision in a row, wait a random time up to an exponentially growing cap ("full
 * jitter", AWS Architecture Blog, "Exponential Backoff And Jitter"): writers that keep meeting
 * spread out instead of colliding again. At most 50 attempts, under 9 s of waiting in all.
 */
const collisionBackoffMs = (attempt: number) => Math.random() * Math.min(200, 2 ** attempt);

/** The hash of an entry covers its facts, its place and the previous hash, so any edit breaks the chain. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify(
    Object.keys(entry)
      .sort()
      .map((k) => [k, entry[k as keyof typeof entry]]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/** The newest record of one partition of the audit table (the chain's head, the vault lock's longest, a point's latest hold), read consistently. */
export async function newestIn(db: DynamoDBDocumentClient, table: string, chain: string): Promise<Record<string, unknown> | undefined> {
  const { Items } = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'chain = :c',
      ExpressionAttributeValues: { ':c': chain },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  return Items?.[0];
}

/** A PartiQL INSERT of `item`: added only if no item has its key (DuplicateItemException otherwise). */
export function insertInto(table: string, item: object): ExecuteStatementCommand {
  const names = Object.keys(item);
  return new ExecuteStatementCommand({
    Statement: `INSERT INTO "${table}" VALUE {${names.map((name) => `'${name}': ?`).join(', ')}}`,
    Parameters: names.map((name) => item[name as keyof typeof item]),
  });
}

/**
 * The append-only, hash-chained audit log on DynamoDB. Each entry claims the next sequence
 * number with a PartiQL INSERT, which never overwrites an item: the hub's roles are granted the
 * insert alone (`dynamodb:PartiQLInsert`), so AWS itself keeps every entry as written. An instance remembers the last entry it wrote or read and
 * builds the next one on it, so an append is one write; only when another writer (another
 * Lambda container) took that number first does it re-read the head and retry, backing off with
 * jitter while the collisions go on. Appends of one instance go one at a time, so the records of
 * one batch never collide with each other.
 *
 * @example
 * await audit.append({ decision: 'rejected', eventId, account, reason: 'forged ownership: …' });
 */
export class AuditLog {
  /** The newest entry this instance wrote; `undefined` when it must be read first. */
  #head: AuditEntry | undefined;
  #appending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly table: string,
    private readonly now: () => Date,
  ) {}

  append(facts: AuditFacts): Promise<AuditEntry> {
    const appended = this.#appending.then(() => this.#append(facts));
    this.#appending = appended.catch(() => undefined);
    return appended;
  }

  async #append(facts: AuditFacts): Promise<AuditEntry> {
    let head = this.#head ?? (await this.head());
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const base = {
        ...dropUndefined(facts),
        chain: CHAIN,
        seq: (head?.seq ?? 0) + 1,
        at: this.now().toISOString(),
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const entry: AuditEntry = { ...base, hash: entryHash(base) };
      try {
        await this.db.send(insertInto(this.table, entry));
        this.#head = entry;
        return entry;
      } catch (error) {
        // The head is no longer known (a timed-out insert may even have been written); the insert keeps the chain whole.
        this.#head = undefined;
        if (!isAwsError(error, 'DuplicateItemException')) throw error;
        if (attempt > 0) await sleep(collisionBackoffMs(attempt));
        head = await this.head();
      }
    }
    throw new Error(`audit log: could not append after ${MAX_APPEND_ATTEMPTS} attempts (heavy contention)`);
  }

  /** The newest entry in the table (a consistent read). */
  async head(): Promise<AuditEntry | undefined> {
    return (await newestIn(this.db, this.table, CHAIN)) as AuditEntry | undefined;
  }

  /** Every entry in chain order. */
  entries(): AsyncGenerator<AuditEntry> {
    return this.#query({ KeyConditionExpression: 'chain = :c', ExpressionAttributeValues: { ':c': CHAIN } });
  }

  /** The entries from `seq` on, in chain order (a verify that resumes from an anchor reads only these). */
  entriesFrom(seq: number): AsyncGenerator<AuditEntry> {
    return this.#query({
      KeyConditionExpression: 'chain = :c AND seq >= :s',
      ExpressionAttributeValues: { ':c': CHAIN, ':s': seq },
    });
  }

  /** The entries about one event, in order. */
  forEvent(eventId: string): AsyncGenerator<AuditEntry> {
    return this.#query({ IndexName: 'byEvent', KeyConditionExpression: 'eventId = :e', ExpressionAttributeValues: { ':e': eventId } });
  }

  /**
   * The entries of one decision recorded in [from, to], in time order; `accounts` and `kinds`
   * narrow them further (an entry without that field then does not match).
   */
  byDecision(
    decision: AuditDecision,
    range: { from?: string; to?: string } = {},
    only: { accounts?: string[]; kinds?: ArtifactKindName[] } = {},
  ): AsyncGenerator<AuditEntry> {
    const values: Record<string, unknown> = { ':d': decision, ':from': range.from ?? '0000', ':to': range.to ?? '9999' };
    const filters: string[] = [];
    const names: Record<string, string> = {};
    for (const [field, list] of [
      ['account', only.accounts],
      ['kind', only.kinds],
    ] as const) {
      if (!list?.length) continue;
      names[`#${field}`] = field;
      const placeholders = list.map((value, i) => {
        values[`:${field}${i}`] = value;
        return `:${field}${i}`;
      });
      filters.push(`#${field} IN (${placeholders.join(', ')})`);
    }
    return this.#query({
      IndexName: 'byDecision',
      KeyConditionExpression: 'decision = :d AND #at BETWEEN :from AND :to',
      ExpressionAttributeValues: values,
      ExpressionAttributeNames: { ...names, '#at': 'at' },
      ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
    });
  }

  #query(input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<AuditEntry> {
    return queryItems<AuditEntry>(this.db, { ...input, TableName: this.table });
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
