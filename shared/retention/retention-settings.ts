import type { SourceRecord } from '../config/source-registry.js';
import type { ArtifactKindName } from '../kinds/index.js';

/** How long one kind's vault copies of one source account are kept. */
export interface RetentionPolicy {
  retentionDays: number;
  /** The newest N copies of each protected resource are kept whatever their age. */
  keepLast?: number;
}

/** What the pruner enforces: the vault lock from its environment, each source's retention from the source records. */
export interface RetentionSettings {
  /** The lock the account files ask for; the one in force may be longer (it only grows). */
  lockDays?: number;
  /** Source account id → kind → policy. A kind without a policy is never pruned. */
  accounts: Record<string, Partial<Record<ArtifactKindName, RetentionPolicy>>>;
}

const LOCK_VARIABLE = 'VAULT_LOCK_DAYS';

/** The pruner's environment: the vault lock the vault file asks for, if any. */
export function lockEnvironment(days: number | undefined): Record<string, string> {
  return days === undefined ? {} : { [LOCK_VARIABLE]: String(days) };
}

/**
 * The pruner's settings: the lock from its environment, and per recorded source the retention of
 * each kind that has a target.
 * @throws Error naming the variable when the lock is not a positive whole number of days
 */
export function retentionSettings(records: Map<string, SourceRecord>, env: NodeJS.ProcessEnv = process.env): RetentionSettings {
  const text = env[LOCK_VARIABLE];
  const lockDays = text === undefined ? undefined : Number(text);
  if (lockDays !== undefined && !(Number.isInteger(lockDays) && lockDays > 0))
    throw new Error(
      `backup-hub pruner is misconfigured: ${LOCK_VARIABLE} must be a positive whole number of days (got ${JSON.stringify(text)})`,
    );
  const accounts = Object.fromEntries(
    [...records].map(([account, record]) => [
      account,
      Object.fromEntries(
        Object.entries(record.targets).map(([kind, t]) => [
          kind,
          { retentionDays: t.retentionDays, ...(t.keepLast ? { keepLast: t.keepLast } : {}) },
        ]),
      ),
    ]),
  );
  return { ...(lockDays === undefined ? {} : { lockDays }), accounts };
}
