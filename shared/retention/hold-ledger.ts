import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { insertInto, newestIn } from '../audit/audit-log.js';
import { isAwsError } from '../aws/aws-errors.js';

/** The partitions of the hold records in the audit table: `HOLD#<point's pk>`. Only the legal hold role may insert them. */
export const HOLD_PREFIX = 'HOLD#';

/** One insert-only record of a point's legal hold: set, or lifted; the newest says whether the point is held. */
export interface HoldRecord {
  chain: string;
  seq: number;
  action: 'set' | 'lift';
  by: string;
  at: string;
  reason?: string;
}

const MAX_RECORD_ATTEMPTS = 5;

/**
 * The legal holds as AWS keeps them: per point, insert-only records in the audit table (set, lift,
 * set …), which no role may change or delete. Lifting a hold is itself a record, so no hold goes
 * without one saying who lifted it; the point's `legalHold` attribute is the catalog's copy of the
 * newest, for queries and reports.
 */
export class HoldLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    /** The audit table. */
    private readonly table: string,
  ) {}

  async newest(pk: string): Promise<HoldRecord | undefined> {
    return (await newestIn(this.db, this.table, `${HOLD_PREFIX}${pk}`)) as HoldRecord | undefined;
  }

  async held(pk: string): Promise<boolean> {
    return (await this.newest(pk))?.action === 'set';
  }

  /** Adds the next record of the point's holds (another writer's record first: the next after it). */
  async record(pk: string, change: Pick<HoldRecord, 'action' | 'by' | 'at' | 'reason'>): Promise<HoldRecord> {
    for (let attempt = 0; attempt < MAX_RECORD_ATTEMPTS; attempt++) {
      const record: HoldRecord = { chain: `${HOLD_PREFIX}${pk}`, seq: ((await this.newest(pk))?.seq ?? 0) + 1, ...change };
      if (record.reason === undefined) delete record.reason;
      try {
        await this.db.send(insertInto(this.table, record));
        return record;
      } catch (error) {
        if (!isAwsError(error, 'DuplicateItemException')) throw error;
      }
    }
    throw new Error(`legal hold of ${pk}: could not add a record after ${MAX_RECORD_ATTEMPTS} attempts (others were writing)`);
  }
}
