import type { AuditEntry } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import { type ChainHead, type ChainVerdict, verifyChain } from '../audit/verify-chain.js';
import { describeError } from '../aws/aws-errors.js';
import type { Catalog } from '../catalog/catalog.js';
import { resourceKey } from '../catalog/recovery-point.js';
import type { InventoryItem, SourceInventory } from '../catalog/source-inventory.js';
import type { LastConfigChange } from '../config-capture/last-changes.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { AccountPolicy } from './account-policy.js';
import { AUDITED_ATTRIBUTES, type AuditedPoint, compare, type PointState } from './audited-point.js';
import { type CoverageRow, coverage } from './coverage.js';
import { countByReason, type DecisionRow, decisionsIn, type ReasonCount } from './decisions.js';
import { byLossTime, type LostCopy, lostCopy } from './lost-copies.js';
import { type PendingCopy, pendingCopy } from './pending-copies.js';
import { ResourceTally } from './resource-status.js';
import { type ReportedLock, type RetentionRow, RetentionTally } from './retention-status.js';
import { type AccountRpo, type ResourceRpo, regionRpo, resourceRpo, rpoByAccount } from './rpo.js';
import { type UnprotectedResource, unprotected } from './unprotected.js';
import { withProgress } from './with-progress.js';

/** What an audit looks at. */
export interface AuditScope {
  /** The source accounts whose recovery points are read. */
  accounts: string[];
  /** The reader asked for these accounts only: failures and rejections of other senders are left out. */
  onlyTheseAccounts: boolean;
  /** Only these kinds; every kind when absent. */
  kinds?: ArtifactKindName[];
  /** Failures and rejections recorded from this time (ISO 8601) on. */
  since: string;
  /** The as-of time (ISO 8601): RPO ages are measured to it, and recovery points taken after it are left out. */
  until: string;
  /** The vault's DR region, when it has one: coverage and RPO are shown for the copies there too. */
  drRegion?: string;
}

/** One resource with its RPO standing and its recovery points. */
export interface ResourceRow extends ResourceRpo {
  points: Record<PointState, number>;
  /** Why the newest recovery point failed, when it did. */
  lastFailure?: string;
  /** Its RPO standing in the DR region (the newest point with an available copy there, against `drRpoHours`). */
  dr?: ResourceRpo;
}

/** RPO compliance per account in the DR region. */
export interface RegionRpoReport {
  region: string;
  accounts: AccountRpo[];
}

export interface AuditReport {
  scope: AuditScope;
  coverage: CoverageRow[];
  resources: ResourceRow[];
  rpo: AccountRpo[];
  /** Set when the vault has a DR region. */
  drRpo?: RegionRpoReport;
  /** What the sources hold (as the inventory sweep last saw it) and nothing protects now. */
  unprotected: UnprotectedResource[];
  pending: PendingCopy[];
  /** Points whose vault copy the integrity sweep found gone. */
  lost: LostCopy[];
  failures: DecisionRow[];
  failureCauses: ReasonCount[];
  rejections: DecisionRow[];
  rejectionCauses: ReasonCount[];
  retention: RetentionRow[];
  lock?: ReportedLock;
  /** Where each account's targets come from. */
  policies: Record<string, string>;
  /** Per resource of the sources' captured configuration, its last change in the period (when the captures were read). */
  configChanges?: LastConfigChange[];
  /** Why the captures could not be read. */
  configChangesUnread?: string;
  auditLog: ChainVerdict;
  totals: {
    recoveryPoints: number;
    resources: number;
    protected: number;
    neverCopied: number;
    unprotected: number;
    lost: number;
    rpoMet: number;
    rpoBreached: number;
    /** Resources with an available copy in both vault regions, and the DR region's RPO; set when the vault has a DR region. */
    protectedInBothRegions?: number;
    drRpoMet?: number;
    drRpoBreached?: number;
    pending: number;
    failures: number;
    rejections: number;
  };
}

export interface AuditSources {
  catalog: Catalog;
  audit: AuditLog;
  policy: (account: string) => AccountPolicy;
  /** What the inventory sweep saw in the sources: without it the report has no `unprotected` rows. */
  inventory?: Pick<SourceInventory, 'resources'>;
  lock?: ReportedLock;
  /** A head recorded by an earlier verify: the log must still hold it. */
  anchor?: ChainHead;
  /**
   * Checks the audit log in place of the walk of every entry (a verify from the newest signed
   * anchor, say); it receives the progress-counting wrapper for the entries it reads.
   */
  verifyLog?: (read: (entries: AsyncIterable<AuditEntry>) => AsyncIterable<AuditEntry>) => Promise<ChainVerdict>;
  /** Receives a line as each part is read (long catalogs take a while). */
  progress?: (line: string) => void;
  /** The last configuration change per resource from the vault's captures; none where they are not kept (a local drill's folder). */
  configChanges?: (range: { since: string; until: string }) => Promise<LastConfigChange[]>;
}

/**
 * Answers the auditors' questions from the catalog and the audit log, with Queries only:
 * coverage, RPO compliance, what the sources hold that nothing protects, pending copies, lost
 * copies, failures and rejections, retention, and whether the audit log's hash chain is intact.
 *
 * @example
 * const report = await buildAuditReport({ accounts: ['111111111111'], onlyTheseAccounts: false, since, until }, { catalog, audit, policy });
 * report.rpo[0]?.compliancePercent; // 75
 */
export async function buildAuditReport(scope: AuditScope, sources: AuditSources): Promise<AuditReport> {
  const say = sources.progress ?? (() => {});
  const decisionFilter = { accounts: scope.onlyTheseAccounts ? scope.accounts : undefined, kinds: scope.kinds };
  const range = { from: scope.since, to: scope.until };
  const [catalog, failures, rejections, auditLog] = await Promise.all([
    readCatalog(scope, sources, say),
    decisionsIn(sources.audit, 'failed', range, decisionFilter),
    decisionsIn(sources.audit, 'rejected', range, decisionFilter),
    (sources.verifyLog ?? ((read) => verifyChain(read(sources.audit.entries()), { anchor: sources.anchor })))((entries) =>
      withProgress(entries, PROGRESS_EVERY, (n) => say(`audit log: ${n.toLocaleString('en-US')} entries walked…`)),
    ).then((verdict) => {
      say(`audit log: ${verdict.entries.toLocaleString('en-US')} entries walked`);
      return verdict;
    }),
  ]);
  const asOf = new Date(scope.until);
  const statuses = catalog.resources.resources();
  const { drRegion } = scope;
  const resources = statuses.map((r): ResourceRow => {
    const target = sources.policy(r.account).targets[r.kind];
    return {
      ...resourceRpo(r, target?.rpoHours, asOf),
      points: r.points,
      ...(r.newest.state === 'failed' && r.newest.failureReason ? { lastFailure: r.newest.failureReason } : {}),
      ...(drRegion ? { dr: regionRpo(r, drRegion, target?.drRpoHours ?? target?.rpoHours, asOf) } : {}),
    };
  });
  const rows = coverage(statuses, drRegion);
  const rpo = rpoByAccount(resources);
  const drRpo = drRegion ? { region: drRegion, accounts: rpoByAccount(resources.flatMap((r) => (r.dr ? [r.dr] : []))) } : undefined;
  const changes = await lastChanges(sources, scope);
  const missing = await withoutRetired(
    unprotected(catalog.inventory, catalog.resources, (account, kind) => sources.policy(account).targets[kind]?.rpoHours, asOf),
    sources.catalog,
  );
  return {
    scope,
    coverage: rows,
    resources,
    rpo,
    ...(drRpo ? { drRpo } : {}),
    unprotected: missing,
    pending: catalog.pending,
    lost: catalog.lost,
    failures,
    failureCauses: countByReason(failures),
    rejections,
    rejectionCauses: countByReason(rejections),
    retention: catalog.retention.rows(),
    ...(sources.lock ? { lock: sources.lock } : {}),
    policies: Object.fromEntries(scope.accounts.map((a) => [a, sources.policy(a).from])),
    ...changes,
    auditLog,
    totals: {
      recoveryPoints: catalog.points,
      resources: resources.length,
      protected: sum(rows, (r) => r.protected),
      neverCopied: sum(rows, (r) => r.neverCopied),
      unprotected: missing.length,
      lost: catalog.lost.length,
      rpoMet: sum(rpo, (a) => a.met),
      rpoBreached: sum(rpo, (a) => a.breached),
      ...(drRpo
        ? {
            protectedInBothRegions: sum(rows, (r) => r.protectedInBothRegions ?? 0),
            drRpoMet: sum(drRpo.accounts, (a) => a.met),
            drRpoBreached: sum(drRpo.accounts, (a) => a.breached),
          }
        : {}),
      pending: catalog.pending.length,
      failures: failures.length,
      rejections: rejections.length,
    },
  };
}

/** The captures are read with the auditor's credentials: a refusal is reported with what to grant, never a failed audit. */
async function lastChanges(sources: AuditSources, scope: AuditScope): Promise<Pick<AuditReport, 'configChanges' | 'configChangesUnread'>> {
  if (!sources.configChanges) return {};
  try {
    return { configChanges: await sources.configChanges({ since: scope.since, until: scope.until }) };
  } catch (error) {
    return {
      configChangesUnread: `${describeError(error)}: the vault key's policy lets the backup-hub-restore role decrypt the configuration captures: run the audit with credentials that assumed it to see the last change per resource`,
    };
  }
}

const sum = <T>(rows: readonly T[], value: (row: T) => number): number => rows.reduce((n, row) => n + value(row), 0);

/** A resource an operator retired (`backup-hub retire`) no longer counts against its target: it is not listed as unprotected either. */
async function withoutRetired(rows: UnprotectedResource[], catalog: Catalog): Promise<UnprotectedResource[]> {
  const retired = await Promise.all(
    rows.map(async (r) => (await catalog.resource(resourceKey(r.kind, r.account, r.region, r.resourceId)))?.retired !== undefined),
  );
  return rows.filter((_, i) => !retired[i]);
}

/** Audit-log entries between two progress lines. */
export const PROGRESS_EVERY = 50_000;

/** Accounts read at the same time: on AWS each page is a round trip, so a few in flight save most of the waiting. */
const ACCOUNTS_IN_FLIGHT = 4;

/** One pass over each account's recovery points (the by-account index), feeding every tally. */
async function readCatalog(scope: AuditScope, sources: AuditSources, say: (line: string) => void) {
  const asOf = new Date(scope.until);
  const resources = new ResourceTally();
  const retention = new RetentionTally(sources.policy, asOf, sources.lock);
  const pending: PendingCopy[] = [];
  const lost: LostCopy[] = [];
  const inventory: InventoryItem[] = [];
  let points = 0;
  const readAccount = async (account: string) => {
    let read = 0;
    for await (const point of sources.catalog.byAccount<AuditedPoint>(account, { to: scope.until }, AUDITED_ATTRIBUTES)) {
      read += 1;
      if (scope.kinds && !scope.kinds.includes(point.kind)) continue;
      points += 1;
      resources.add(point);
      retention.add(point);
      const copy = pendingCopy(point, asOf);
      if (copy) pending.push(copy);
      const gone = lostCopy(point);
      if (gone) lost.push(gone);
    }
    say(`account ${account}: ${read.toLocaleString('en-US')} recovery points read`);
    if (!sources.inventory) return;
    let seen = 0;
    for await (const item of sources.inventory.resources(account)) {
      seen += 1;
      if (!scope.kinds || scope.kinds.includes(item.kind)) inventory.push(item);
    }
    say(`account ${account}: ${seen.toLocaleString('en-US')} resources the sweep saw`);
  };
  const queue = [...scope.accounts];
  const worker = async () => {
    for (let account = queue.shift(); account !== undefined; account = queue.shift()) await readAccount(account);
  };
  await Promise.all(Array.from({ length: Math.min(ACCOUNTS_IN_FLIGHT, queue.length) }, worker));
  pending.sort((a, b) => compare(a.recordedAt, b.recordedAt));
  lost.sort(byLossTime);
  return { resources, retention, pending, lost, inventory, points };
}
