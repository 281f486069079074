import { pointFacts } from '../audit/audit-entry.js';
import { describeError } from '../aws/aws-errors.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { Deferral } from '../core/errors.js';
import { artifactKind } from '../kinds/index.js';
import { kindDeps } from '../pipeline/kind-deps.js';
import { asRegionCopy, regionDeps } from '../pipeline/region-copy.js';
import type { HubContext } from '../runtime/hub-context.js';
import { longestProviderLock } from './provider-lock.js';
import { type RetentionVerdict, retentionVerdict } from './retention-decision.js';
import { type RetentionPolicy, type RetentionSettings, retentionSettings } from './retention-settings.js';
import { LockShorteningRefused, VaultLock } from './vault-lock.js';

type KeptBecause = Extract<RetentionVerdict, { prune: false }>['keptBecause'];

export interface PruneSummary {
  /** The vault lock the run enforced, in days. */
  lockDays: number;
  pruned: number;
  kept: Record<KeptBecause, number>;
  /** Claimed by a legal hold or a raised lock between the decision and the deletion. */
  spared: number;
  /** Waiting for AWS (an AMI's deregistration protection cooldown): a later run deletes them. */
  deferred: number;
  /** Left for the next run (logged). */
  errors: number;
}

/**
 * The scheduled pruner: deletes the vault copies that policy lets go, oldest first, and records
 * every deletion in the audit log and the catalog (the point stays, `pruned`). It first applies the
 * lock the account files ask for: a longer one is raised, a shorter one refused (recorded, logged at
 * error level) and the one in force kept. A copy is taken out of the catalog in one conditional
 * write before anything is deleted, so a legal hold or a raised lock that lands first always wins; a
 * deletion cut short is finished by the next run. One point's error never stops the others.
 *
 * @example
 * const summary = await prune(ctx, { lockDays: 7, accounts: { '111111111111': { 'ebs-snapshot': { retentionDays: 14 } } } });
 */
export async function prune(ctx: HubContext, settings: RetentionSettings): Promise<PruneSummary> {
  const now = ctx.now();
  const lockDays = await enforceLock(ctx, settings.lockDays);
  const summary: PruneSummary = {
    lockDays,
    pruned: 0,
    kept: { 'legal hold': 0, 'vault lock': 0, retention: 0, 'keep last': 0, 'provider lock': 0 },
    spared: 0,
    deferred: 0,
    errors: 0,
  };
  for (const [account, policies] of Object.entries(settings.accounts)) {
    const horizons = Object.values(policies).map((p) => Math.max(p.retentionDays, lockDays));
    if (horizons.length === 0) continue;
    const newest = new NewestPoints(ctx);
    for await (const point of ctx.catalog.prunable(account, VaultLock.cutoff(Math.min(...horizons), now))) {
      const policy = policies[point.kind];
      if (!policy) continue;
      try {
        await pruneOne(point, policy, { lockDays, now, newest, summary }, ctx);
      } catch (error) {
        if (error instanceof Deferral) {
          summary.deferred += 1;
          ctx.logger.info('prune: deferred', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason: error.message });
          continue;
        }
        summary.errors += 1;
        ctx.logger.warn('prune: will retry on the next run', {
          kind: point.kind,
          account: point.account,
          sourceId: point.sourceId,
          error: describeError(error),
        });
      }
    }
  }
  ctx.logger.info('prune finished', { ...summary, kept: { ...summary.kept } });
  return summary;
}

/** The scheduled run: every recorded source's retention, and the lock the pruner's environment asks for. */
export async function scheduledPrune(ctx: HubContext, env: NodeJS.ProcessEnv): Promise<PruneSummary> {
  return prune(ctx, retentionSettings(await ctx.sources.all(), env));
}

interface RunState {
  lockDays: number;
  now: Date;
  newest: NewestPoints;
  summary: PruneSummary;
}

async function pruneOne(point: RecoveryPoint, policy: RetentionPolicy, run: RunState, ctx: HubContext): Promise<void> {
  if (point.state === 'pruned') {
    await deleteAndRecord(point, 'finishing a deletion an earlier run started', ctx);
    run.summary.pruned += 1;
    return;
  }
  const verdict = retentionVerdict(point, {
    policy,
    lockDays: run.lockDays,
    now: run.now,
    newest: await run.newest.of(point.resourcePk, policy.keepLast),
  });
  if (!verdict.prune) {
    run.summary.kept[verdict.keptBecause] += 1;
    // Policy would let it go: only AWS's lock keeps it, which the audit log must say.
    if (verdict.keptBecause === 'provider lock')
      await ctx.audit.append({
        decision: 'deferred',
        reason: `kept past its retention: AWS holds ${point.vaultCopyId}${point.copies?.length ? ' and its DR copies' : ''} locked in ${longestProviderLock(point)!.mode} mode until ${longestProviderLock(point)!.until}, which nobody can shorten; deleted after that`,
        ...pointFacts(point),
      });
    return;
  }
  // The lock as it stands now, in case it was raised during the run.
  const lockDays = Math.max(run.lockDays, (await ctx.lock.inForce())?.minRetentionDays ?? 0);
  const claimed = await ctx.catalog.claimForPruning(point, {
    now: ctx.now().toISOString(),
    lockCutoff: VaultLock.cutoff(lockDays, run.now),
  });
  if (!claimed) {
    run.summary.spared += 1;
    return;
  }
  // A hold recorded before the claim wins; one recorded after it finds the point pruned and is refused.
  if (await ctx.holds.held(point.pk)) {
    await ctx.catalog.releasePruningClaim(point);
    run.summary.kept['legal hold'] += 1;
    return;
  }
  await deleteAndRecord(claimed, verdict.reason, ctx);
  run.summary.pruned += 1;
}

/**
 * Deletes the vault copy and its copies in further regions (they go by the same rules), then records
 * it: the audit entry first, so a crash leaves a deletion recorded twice rather than never.
 */
async function deleteAndRecord(point: RecoveryPoint, reason: string, ctx: HubContext): Promise<void> {
  const kind = artifactKind(point.kind);
  const inRegions: string[] = [];
  // Every copy is asked before any deferral stands, so that their waits (an AMI's deregistration cooldown) run side by side.
  const deferrals: Deferral[] = [];
  const deferring = async <T>(deletion: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await deletion();
    } catch (error) {
      if (!(error instanceof Deferral)) throw error;
      deferrals.push(error);
      return undefined;
    }
  };
  for (const copy of point.copies ?? []) {
    if (copy.vaultCopyId === undefined) continue;
    const removed = await deferring(() => kind.deleteVaultCopy(asRegionCopy(point, copy), regionDeps(kind, ctx, copy.region)));
    inRegions.push(...(removed?.deleted ?? []).map((id) => `${id} (${copy.region})`));
  }
  const deletion = await deferring(() => kind.deleteVaultCopy(point, kindDeps(kind, ctx)));
  if (deferrals.length > 0 || !deletion) throw deferrals[0];
  const all = [...deletion.deleted, ...inRegions];
  const deleted = all.length ? `deleted ${all.join(', ')}` : 'nothing deleted';
  await ctx.audit.append({ decision: 'pruned', reason: `${reason}; ${deleted}`, ...pointFacts(point) });
  const pruned = await ctx.catalog.markPruned(point, ctx.now().toISOString());
  // What the completed copy could not take back from its source is the reconciler's to retry (it reaches the sources).
  if (pruned.leftInSource) await ctx.catalog.update(pruned, { residue: true });
  ctx.logger.info('pruned', {
    kind: point.kind,
    account: point.account,
    sourceId: point.sourceId,
    vaultCopyId: point.vaultCopyId,
    deleted: deletion.deleted,
  });
}

/**
 * Applies the lock the account files ask for and returns the one in force, in days. Without one
 * asked for, the stored lock still holds: removing it from the files does not lift it.
 */
export async function enforceLock(ctx: HubContext, askedDays: number | undefined): Promise<number> {
  if (askedDays === undefined) return (await ctx.lock.inForce())?.minRetentionDays ?? 0;
  try {
    const change = await ctx.lock.raise(askedDays, ctx.now());
    if (change !== 'unchanged')
      await ctx.audit.append({
        decision: 'locked',
        reason: `vault lock ${change} to ${askedDays} days: no vault copy younger than that is deleted`,
      });
    return askedDays;
  } catch (error) {
    if (!(error instanceof LockShorteningRefused)) throw error;
    await ctx.audit.append({ decision: 'rejected', reason: error.message });
    ctx.logger.error('vault lock not shortened', {
      inForceDays: error.inForce.minRetentionDays,
      requestedDays: error.requestedDays,
      reason: error.message,
    });
    return error.inForce.minRetentionDays;
  }
}

/** The newest `keepLast` available points of each resource, read once per run. */
class NewestPoints {
  readonly #cache = new Map<string, Promise<Set<string>>>();

  constructor(private readonly ctx: HubContext) {}

  of(resourcePk: string, keepLast: number | undefined): Promise<Set<string>> {
    if (!keepLast) return Promise.resolve(new Set());
    let newest = this.#cache.get(resourcePk);
    if (!newest) {
      newest = this.#read(resourcePk, keepLast);
      this.#cache.set(resourcePk, newest);
    }
    return newest;
  }

  async #read(resourcePk: string, keepLast: number): Promise<Set<string>> {
    const pks = new Set<string>();
    for await (const point of this.ctx.catalog.newestAvailable(resourcePk, keepLast)) pks.add(point.pk);
    return pks;
  }
}
