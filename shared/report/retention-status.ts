import type { ArtifactKindName } from '../catalog/recovery-point.js';
import { ARTIFACT_KINDS, type AccountsConfig } from '../config/accounts.js';
import { compare, hoursBetween, type AuditedPoint } from './audited-point.js';
import type { AccountPolicy } from './account-policy.js';

/** The vault-wide lock: no vault copy may be deleted before it is this old (issue 6 adds it to accounts/vault.yml). */
export interface VaultLock {
  minRetentionDays: number;
}

/** Retention and lock standing of one account and kind. */
export interface RetentionRow {
  account: string;
  kind: ArtifactKindName;
  retentionDays?: number;
  /** Available vault copies. */
  available: number;
  oldestAvailableAt?: string;
  /** Available copies older than the retention period and not on legal hold: the pruner should have removed them. */
  pastRetention: number;
  legalHolds: number;
  pruned: number;
  /** Available copies still inside the vault lock (nobody can delete them yet). */
  locked?: number;
}

/** The vault lock as the account files set it, once they can (issue 6); undefined until then. */
export function vaultLockOf(config: AccountsConfig): VaultLock | undefined {
  return (config.vault as { lock?: VaultLock }).lock;
}

/**
 * Folds recovery points into retention rows per account and kind.
 *
 * @example
 * const tally = new RetentionTally((account) => policyOf(config, account), asOf, vaultLockOf(config));
 * for await (const point of catalog.byAccount(account)) tally.add(point);
 * tally.rows(); // [{ account, kind: 'ebs-snapshot', retentionDays: 14, available: 12, pastRetention: 0, … }]
 */
export class RetentionTally {
  readonly #rows = new Map<string, RetentionRow>();

  constructor(
    private readonly policy: (account: string) => AccountPolicy,
    private readonly asOf: Date,
    private readonly lock?: VaultLock,
  ) {}

  add(point: AuditedPoint): void {
    const row = this.#row(point.account, point.kind);
    if (point.legalHold) row.legalHolds += 1;
    if (point.state === 'pruned') row.pruned += 1;
    if (point.state !== 'available') return;
    row.available += 1;
    if (row.oldestAvailableAt === undefined || point.createdAt < row.oldestAvailableAt) row.oldestAvailableAt = point.createdAt;
    const ageDays = hoursBetween(point.createdAt, this.asOf) / 24;
    if (row.retentionDays !== undefined && ageDays > row.retentionDays && !point.legalHold) row.pastRetention += 1;
    if (this.lock && ageDays < this.lock.minRetentionDays) row.locked = (row.locked ?? 0) + 1;
  }

  /** By account, then kind in the documented order. */
  rows(): RetentionRow[] {
    return [...this.#rows.values()].sort((a, b) => compare(a.account, b.account) || ARTIFACT_KINDS.indexOf(a.kind) - ARTIFACT_KINDS.indexOf(b.kind));
  }

  #row(account: string, kind: ArtifactKindName): RetentionRow {
    const key = `${account}|${kind}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { account, kind, retentionDays: this.policy(account).targets[kind]?.retentionDays, available: 0, pastRetention: 0, legalHolds: 0, pruned: 0, ...(this.lock ? { locked: 0 } : {}) };
      this.#rows.set(key, row);
    }
    return row;
  }
}
