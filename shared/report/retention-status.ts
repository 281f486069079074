import type { AccountsConfig } from '../config/accounts.js';
import { ARTIFACT_KINDS, type ArtifactKindName } from '../kinds/index.js';
import { retentionVerdict } from '../retention/retention-decision.js';
import type { LockInForce } from '../retention/vault-lock.js';
import type { AccountPolicy } from './account-policy.js';
import { type AuditedPoint, compare, hoursBetween } from './audited-point.js';

/** The vault lock as the audit shows it: the one in force (it only grows), and what the account files ask for. */
export interface ReportedLock {
  /** The lock the pruner enforces: the one in force in the vault, or the file's when none is in force yet. */
  minRetentionDays: number;
  /** When the lock in force was set or last raised; absent while none is in force. */
  since?: string;
  /** What `accounts/vault.yml` asks for, when it differs from the lock in force. */
  requestedDays?: number;
}

/** Retention and lock standing of one account and kind. */
export interface RetentionRow {
  account: string;
  kind: ArtifactKindName;
  retentionDays?: number;
  keepLast?: number;
  /** Available vault copies. */
  available: number;
  oldestAvailableAt?: string;
  /** Available copies the pruner would delete now (past retention, not among the newest keepLast, not locked, not held): it should have. */
  pastRetention: number;
  legalHolds: number;
  pruned: number;
  /** Available copies still inside the vault lock (nobody can delete them yet). */
  locked?: number;
}

/**
 * The lock the audit reports: the one in force in the vault (read from the catalog table) or, before
 * the pruner first set it, what the vault's account file asks for; undefined when neither exists.
 */
export function vaultLockOf(config: AccountsConfig, inForce?: LockInForce): ReportedLock | undefined {
  const requested = config.vault.lock?.minRetentionDays;
  if (!inForce) return requested === undefined ? undefined : { minRetentionDays: requested };
  return {
    minRetentionDays: inForce.minRetentionDays,
    since: inForce.since,
    ...(requested !== undefined && requested !== inForce.minRetentionDays ? { requestedDays: requested } : {}),
  };
}

/**
 * Folds recovery points into retention rows per account and kind; "overdue" is judged by the
 * pruner's own rule ({@link retentionVerdict}), so the audit and the pruner cannot disagree.
 *
 * @example
 * const tally = new RetentionTally((account) => policyOf(config, account), asOf, vaultLockOf(config, await lock.inForce()));
 * for await (const point of catalog.byAccount(account)) tally.add(point);
 * tally.rows(); // [{ account, kind: 'ebs-snapshot', retentionDays: 14, available: 12, pastRetention: 0, … }]
 */
export class RetentionTally {
  readonly #rows = new Map<string, RetentionRow>();
  /** Available points per protected resource, for keepLast. */
  readonly #available = new Map<string, AuditedPoint[]>();

  constructor(
    private readonly policy: (account: string) => AccountPolicy,
    private readonly asOf: Date,
    private readonly lock?: ReportedLock,
  ) {}

  add(point: AuditedPoint): void {
    const row = this.#row(point.account, point.kind);
    if (point.legalHold) row.legalHolds += 1;
    if (point.state === 'pruned') row.pruned += 1;
    if (point.state !== 'available') return;
    row.available += 1;
    if (row.oldestAvailableAt === undefined || point.createdAt < row.oldestAvailableAt) row.oldestAvailableAt = point.createdAt;
    if (this.lock && hoursBetween(point.createdAt, this.asOf) / 24 < this.lock.minRetentionDays) row.locked = (row.locked ?? 0) + 1;
    const group = this.#available.get(point.resourcePk);
    if (group) group.push(point);
    else this.#available.set(point.resourcePk, [point]);
  }

  /** By account, then kind in the documented order. */
  rows(): RetentionRow[] {
    for (const row of this.#rows.values()) row.pastRetention = 0;
    for (const points of this.#available.values()) {
      const row = this.#row(points[0]!.account, points[0]!.kind);
      if (row.retentionDays === undefined) continue;
      const newestFirst = [...points].sort((a, b) => compare(b.createdAt, a.createdAt));
      const newest = new Set(newestFirst.slice(0, row.keepLast ?? 0).map((p) => p.pk));
      const facts = {
        policy: { retentionDays: row.retentionDays, keepLast: row.keepLast },
        lockDays: this.lock?.minRetentionDays ?? 0,
        now: this.asOf,
        newest,
      };
      row.pastRetention += points.filter((p) => retentionVerdict(p, facts).prune).length;
    }
    return [...this.#rows.values()].sort(
      (a, b) => compare(a.account, b.account) || ARTIFACT_KINDS.indexOf(a.kind) - ARTIFACT_KINDS.indexOf(b.kind),
    );
  }

  #row(account: string, kind: ArtifactKindName): RetentionRow {
    const key = `${account}|${kind}`;
    let row = this.#rows.get(key);
    if (!row) {
      const target = this.policy(account).targets[kind];
      row = {
        account,
        kind,
        retentionDays: target?.retentionDays,
        ...(target?.keepLast ? { keepLast: target.keepLast } : {}),
        available: 0,
        pastRetention: 0,
        legalHolds: 0,
        pruned: 0,
        ...(this.lock ? { locked: 0 } : {}),
      };
      this.#rows.set(key, row);
    }
    return row;
  }
}
