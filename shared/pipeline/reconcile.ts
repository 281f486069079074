import { describeError } from '../aws/aws-errors.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { SourceRecord } from '../config/source-registry.js';
import { copyQuotaKey, PENDING_CAP } from '../core/copy-quota.js';
import { Deferral } from '../core/errors.js';
import { ARTIFACT_KINDS, artifactKind } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';
import { type AdvanceResult, advance } from './advance.js';
import { waitingRegions } from './copy-quota.js';
import { type FairPlan, LINE_KEY, LINE_LENGTH, type Lines, OVER_CAP_KEY, planSlots, type Waiter } from './fair-share.js';
import { migrateSsmStore } from './migrate-ssm-store.js';
import { advanceRegionCopy, furtherRegions, regionQuotaKey, retryFailedRegionCopy } from './region-copy.js';
import { releaseSource } from './release.js';

export type ReconcileSummary = Record<
  AdvanceResult | 'deferred' | 'error' | 'left-to-queue' | 'left-to-events' | 'resumed' | 'cleaned' | 'migrated',
  number
>;

/**
 * A claimed point belongs to its queue message while the queue may still retry it (visibility
 * timeout × maxReceiveCount, an hour by default); after that the reconciler takes it over, so
 * a message that went to the DLQ still gets its copy once the cause is gone.
 */
const QUEUE_OWNS_CLAIM_MS = 2 * 3_600_000;
/**
 * A re-encryption in the source is resumed by the source's own copySnapshot event; the
 * reconciler only covers a lost event, once the copy should long be done. Polling each one every
 * run would cost several reader-role calls per point, against the source's API rate, all day.
 */
const EVENTS_OWN_REENCRYPTION_MS = 6 * 3_600_000;
/**
 * A vault copy whose finish AWS announces in the vault is completed by that event; the reconciler
 * polls it only once it is this old (a lost event, or a copy running for hours), so that every copy
 * does not cost a Describe per run against the vault's API rate.
 */
export const EVENTS_OWN_COPY_MS = 60 * 60_000;

/**
 * Pushes every pending recovery point as far as it can go: re-encrypted source copies that
 * are ready get copied, finished vault copies are completed and their source leftovers
 * cleaned up. It covers any completion event that was missed (events own a young copy). Then it fills the copy slots
 * those completions freed with the points that wait for them, shared fairly across sources. One
 * point's error never stops the others; it is logged and retried on the next run.
 */
export async function reconcile(ctx: HubContext): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = {
    reencrypting: 0,
    copying: 0,
    available: 0,
    failed: 0,
    busy: 0,
    waiting: 0,
    deferred: 0,
    error: 0,
    'left-to-queue': 0,
    'left-to-events': 0,
    resumed: 0,
    cleaned: 0,
    migrated: 0,
  };
  const inFlight = new Map<string, Map<string, number>>();
  const hold = (quota: string, account: string) => {
    const byAccount = inFlight.get(quota) ?? new Map<string, number>();
    inFlight.set(quota, byAccount);
    byAccount.set(account, (byAccount.get(account) ?? 0) + 1);
  };
  for await (const point of ctx.catalog.byState('pending')) {
    const quota = slotOf(point, ctx);
    if (quota) hold(quota, point.account);
    const owner = ownerOf(point, ctx.now().getTime() - Date.parse(point.updatedAt));
    if (owner) summary[owner] += 1;
    else await push(point, ctx, summary);
  }
  for await (const point of ctx.catalog.byState('copy-pending')) {
    for (const copy of point.copies ?? [])
      if (copy.state === 'pending' && copy.vaultCopyId) hold(regionQuotaKey(point.kind, ctx, copy.region), point.account);
    await push(point, ctx, summary);
  }
  for await (const point of ctx.catalog.byState('copy-failed')) await push(point, ctx, summary);
  summary.resumed += await fillSlots(inFlight, ctx, summary);
  reportSlots(inFlight, ctx);
  for await (const point of ctx.catalog.byState('residue')) await clean(point, ctx, summary);
  await migrateOnePage(ctx, summary);
  ctx.logger.info('reconcile finished', { ...summary });
  return summary;
}

/** Moves a page of legacy SSM vault parameters into the store (nothing once that is done); an error is left to the next run. */
async function migrateOnePage(ctx: HubContext, summary: ReconcileSummary): Promise<void> {
  try {
    summary.migrated += (await migrateSsmStore(ctx))?.migrated ?? 0;
  } catch (error) {
    summary.error += 1;
    ctx.logger.warn('reconcile: the SSM store migration will go on next run', { error: describeError(error) });
  }
}

/**
 * Starts waiting points until AWS says their quota is full again (the point stays waiting, in its
 * place) or none wait, offering each quota's free slots fairly across sources ({@link planSlots}). EC2
 * is the judge of free slots: the hub never counts them itself, so copies made outside the hub cannot
 * make it exceed the quota. Every waiting point is read (one Query per destination region while the
 * backlog is under 1 MB), so the plan sees every source's line and the per-source standing is exact.
 */
async function fillSlots(inFlight: Map<string, Map<string, number>>, ctx: HubContext, summary: ReconcileSummary): Promise<number> {
  const records = await ctx.sources.all();
  const waiting: RecoveryPoint[] = [];
  for (const region of await waitingRegions(ctx)) for await (const point of ctx.catalog.waiting(region)) waiting.push(point);
  waiting.sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  const byPk = new Map(waiting.map((point) => [point.pk, point]));
  const plan = planSlots({
    waiting: waiting.flatMap((point) => {
      const quota = point.waitingFor ?? point.copies?.find((c) => c.state === 'waiting')?.waitingFor;
      return quota ? [{ pk: point.pk, account: point.account, quota }] : [];
    }),
    inFlight,
    capOf: (account) => records.get(account)?.pendingCap ?? PENDING_CAP,
  });
  const vaultQuotas = new Set(ARTIFACT_KINDS.map((kind) => copyQuotaKey(kind, ctx.config.vaultAccountId, ctx.config.vaultRegion)));
  const lines: Lines = {};
  let started = 0;
  for (const quota of plan.quotas) {
    const order = plan.order(quota);
    for (let next = order.next(); !next.done; next = order.next()) {
      const result = await push(byPk.get(next.value.pk)!, ctx, summary);
      if (result !== 'waiting' && result !== 'busy' && result !== undefined) {
        started += 1;
        continue;
      }
      // Full again, an error, or a point another worker holds: the rest keep this order, for the copies that settle meanwhile.
      if (vaultQuotas.has(quota)) lines[quota] = [next.value.pk, ...take(order, LINE_LENGTH - 1)];
      break;
    }
  }
  try {
    await recordLines(lines, ctx);
    await reportCaps(plan, records, ctx);
  } catch (error) {
    summary.error += 1;
    ctx.logger.warn('reconcile: the lines and the sources over their cap will be recorded next run', { error: describeError(error) });
  }
  return started;
}

/** The keys of the next `n` waiters. */
function take(order: Generator<Waiter>, n: number): string[] {
  const pks: string[] = [];
  for (const { pk } of order) {
    if (pks.length === n) break;
    pks.push(pk);
  }
  return pks;
}

/** The line of each vault quota that has one, for the copies that settle before the next run (written when it changed). */
async function recordLines(lines: Lines, ctx: HubContext): Promise<void> {
  const before = (await ctx.catalog.bookmark<Lines>(LINE_KEY)) ?? {};
  if (JSON.stringify(before) !== JSON.stringify(lines)) await ctx.catalog.setBookmark(LINE_KEY, lines);
}

/**
 * Every source's points over its cap, as a metric its alarm reads (zero included, so that the alarm
 * goes back to OK), and an audit entry and a warning for each source that went over since the last run.
 */
async function reportCaps(plan: FairPlan, records: Map<string, SourceRecord>, ctx: HubContext): Promise<void> {
  for (const account of records.keys()) ctx.metrics.pointsOverCap(account, plan.overCap.get(account) ?? 0);
  const before = new Set((await ctx.catalog.bookmark<string[]>(OVER_CAP_KEY)) ?? []);
  const now = [...plan.overCap.keys()].sort();
  for (const account of now.filter((a) => !before.has(a))) {
    const cap = records.get(account)?.pendingCap ?? PENDING_CAP;
    const facts = { account, pending: plan.pending.get(account) ?? 0, cap, over: plan.overCap.get(account) ?? 0 };
    await ctx.audit.append({
      decision: 'deferred',
      account,
      reason: `source ${records.get(account)?.name ?? account} has ${facts.pending} recovery points pending, over its cap of ${cap} (pendingCap): ${facts.over} of them wait behind every other source's for a copy slot; none is dropped, each is copied as slots free`,
    });
    ctx.logger.warn('a source is over its pending cap: its excess waits behind the other sources', facts);
  }
  if (now.length !== before.size || now.some((a) => !before.has(a))) await ctx.catalog.setBookmark(OVER_CAP_KEY, now);
}

/** The copy quota a pending point holds a slot of: the vault's while its copy runs, its source's while it is re-encrypted there. */
function slotOf(point: RecoveryPoint, ctx: HubContext): string | undefined {
  if (point.stage === 'copying') return copyQuotaKey(point.kind, ctx.config.vaultAccountId, ctx.config.vaultRegion);
  if (point.stage === 'reencrypting') return copyQuotaKey(point.kind, point.account, point.region);
  return undefined;
}

/** Copy slots in use as the run found them: every vault region's quota (zero included, for the dashboard), the sources' when in use. */
function reportSlots(inFlight: Map<string, Map<string, number>>, ctx: HubContext): void {
  const inUse = new Map([...inFlight].map(([quota, byAccount]) => [quota, [...byAccount.values()].reduce((a, b) => a + b, 0)]));
  for (const kind of ARTIFACT_KINDS) {
    for (const region of [ctx.config.vaultRegion, ...furtherRegions(ctx)]) {
      const vaultQuota = regionQuotaKey(kind, ctx, region);
      if (!inUse.has(vaultQuota)) inUse.set(vaultQuota, 0);
    }
  }
  for (const [quota, n] of inUse) ctx.metrics.copySlotsInUse(quota, n);
}

/** Who else is still responsible for a pending point, if anyone. A point reopened by an operator or a sweep has no message: it is the reconciler's. */
function ownerOf(point: RecoveryPoint, ageMs: number): 'left-to-queue' | 'left-to-events' | undefined {
  const hasMessage = point.reopened === undefined || point.reopened.trigger === 'event';
  if (point.stage === 'claimed' && ageMs < QUEUE_OWNS_CLAIM_MS && hasMessage) return 'left-to-queue';
  const kind = artifactKind(point.kind);
  if (point.stage === 'reencrypting' && !kind.reencryptionUnannounced && ageMs < EVENTS_OWN_REENCRYPTION_MS) return 'left-to-events';
  if (point.stage === 'copying' && kind.completion && ageMs < EVENTS_OWN_COPY_MS) return 'left-to-events';
  return undefined;
}

/** Finishes the source cleanup of a settled point that a failure (or a transient error) left unfinished. */
async function clean(point: RecoveryPoint, ctx: HubContext, summary: ReconcileSummary): Promise<void> {
  try {
    await releaseSource(point, artifactKind(point.kind), ctx, point.state === 'failed' ? 'failed' : 'pruned');
    summary.cleaned += 1;
  } catch (error) {
    summary.error += 1;
    ctx.logger.warn('reconcile: source cleanup will be retried on the next run', {
      kind: point.kind,
      account: point.account,
      sourceId: point.sourceId,
      error: describeError(error),
    });
  }
}

/**
 * One push of a point: its vault copy while the point is pending, or (once available) its copy in a
 * further region, a failed one taken up again once its backoff has passed.
 */
async function push(point: RecoveryPoint, ctx: HubContext, summary: ReconcileSummary): Promise<AdvanceResult | undefined> {
  const kind = artifactKind(point.kind);
  try {
    if (point.state === 'available') {
      const failed = point.copies?.some((c) => c.state === 'failed');
      const result = failed ? await retryFailedRegionCopy(point, kind, ctx) : await advanceRegionCopy(point, kind, ctx);
      if (result === 'none' || result === 'retry-later') return 'busy';
      summary[result] += 1;
      return result;
    }
    const result = await advance(point, kind, ctx);
    summary[result] += 1;
    return result;
  } catch (error) {
    summary[error instanceof Deferral ? 'deferred' : 'error'] += 1;
    ctx.logger.warn('reconcile: will retry on the next run', {
      kind: point.kind,
      account: point.account,
      sourceId: point.sourceId,
      error: describeError(error),
    });
    return undefined;
  }
}
