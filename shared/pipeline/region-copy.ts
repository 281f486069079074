import { vaultKeyAliasArn } from '../../accounts/stack/names.js';
import { pointFacts } from '../audit/audit-entry.js';
import { describeError, isDeterministicAwsError } from '../aws/aws-errors.js';
import type { RecoveryPoint, RegionCopy } from '../catalog/recovery-point.js';
import { copyQuotaKey } from '../core/copy-quota.js';
import { awsErrorCode, CopyQuotaFull, codeOf, PermanentFailure } from '../core/errors.js';
import type { ArtifactKind, CopyStatus, KindDeps } from '../kinds/common/artifact-kind.js';
import { providerLockTerms } from '../retention/provider-lock.js';
import type { HubContext } from '../runtime/hub-context.js';
import { COPY_PENDING_TIMEOUT_MS, PROPAGATION_WINDOW_MS } from './copy-timing.js';
import { kindDeps } from './kind-deps.js';

/** Where a point's copy in a further region ended after one push. */
export type RegionCopyResult = 'copying' | 'available' | 'failed' | 'waiting' | 'busy' | 'retry-later' | 'none';

/** A failed copy in a further region is tried again after this, doubling per attempt up to a day. */
export const REGION_COPY_RETRY_MS = 30 * 60_000;
const REGION_COPY_RETRY_MAX_MS = 24 * 3_600_000;
/** Long enough for the copy call and its record; a crash after the call leaves the copy to be found by its provenance. */
const LEASE_MS = PROPAGATION_WINDOW_MS;

/** The vault's further regions a point is copied to: the DR region, when the vault file sets one. */
export const furtherRegions = (ctx: Pick<HubContext, 'config'>): string[] => (ctx.config.drRegion ? [ctx.config.drRegion] : []);

/** The copies a point that has just become available starts with: one pending copy per further region. */
export function newRegionCopies(ctx: HubContext, at: string): RegionCopy[] | undefined {
  const regions = furtherRegions(ctx);
  return regions.length ? regions.map((region) => ({ region, state: 'pending', updatedAt: at, attempt: 1 })) : undefined;
}

/** A kind's operations aimed at the vault in another of its regions, under that region's vault key. */
export function regionDeps<C>(kind: ArtifactKind<never, C> | ArtifactKind, ctx: HubContext, region: string): KindDeps<C> {
  const base = kindDeps(kind as ArtifactKind, ctx) as KindDeps<C>;
  const account = ctx.config.vaultAccountId;
  return { ...base, vault: { account, region, keyArn: vaultKeyAliasArn(account, region) } };
}

/** The point as its copy in `copy.region` is: its vault copy id and key are that copy's. */
export const asRegionCopy = (point: RecoveryPoint, copy: Pick<RegionCopy, 'vaultCopyId' | 'vaultKeyArn'>): RecoveryPoint => ({
  ...point,
  vaultCopyId: copy.vaultCopyId,
  vaultKeyArn: copy.vaultKeyArn,
});

/**
 * Pushes the point's open copy in a further region as far as it goes now: requests it (unless an
 * earlier attempt did, found by its provenance), or waits for a slot of that region's copy quota, or
 * completes it once AWS has, or records its failure (alarmed through the copy-failure metric; the
 * reconciler tries it again later, {@link retryFailedRegionCopy}). The vault copy in the primary
 * region stays available whatever happens here. Each change is recorded in the catalog and the audit
 * log; the point is leased meanwhile, so two workers never request the same copy.
 */
export async function advanceRegionCopy(initial: RecoveryPoint, kind: ArtifactKind, ctx: HubContext): Promise<RegionCopyResult> {
  const open = initial.copies?.find((c) => c.state === 'pending' || c.state === 'waiting');
  if (initial.state !== 'available' || !open) return 'none';
  const point = await ctx.catalog.lease(initial, ctx.now(), LEASE_MS);
  if (!point) return 'busy';
  const deps = regionDeps(kind, ctx, open.region);
  try {
    if (open.vaultCopyId === undefined) {
      const found = await kind.findCopy(point, deps);
      const copy = found ?? (await kind.copyAcross(point, ctx.config.vaultRegion, deps));
      const requested = await setCopy(point, { ...open, ...copy, state: 'pending', waitingFor: undefined, updatedAt: now(ctx) }, ctx);
      await record(ctx, requested, open.region, 'copied', `copy ${copy.vaultCopyId} in ${open.region} requested under ${copy.vaultKeyArn}`);
      ctx.metrics.copyRequested(point);
      if (!kind.copiesSynchronously) return 'copying';
      return settle(requested, regionCopyOf(requested, open.region), await kind.copyStatus(asRegionCopy(requested, copy), deps), kind, ctx);
    }
    return settle(point, open, await kind.copyStatus(asRegionCopy(point, open), deps), kind, ctx);
  } catch (error) {
    if (error instanceof CopyQuotaFull) return markWaiting(point, open, error, ctx);
    if (error instanceof PermanentFailure || isDeterministicAwsError(error)) {
      await markFailed(point, open, `${codeOf(error) ?? awsErrorCode(error) ?? (error as Error).name}: ${describeError(error)}`, ctx);
      return 'failed';
    }
    // Transient (throttled, say): released for the next run.
    await ctx.catalog.update(point, {});
    throw error;
  }
}

/**
 * Takes a failed copy in a further region up again once its backoff has passed: pending, its next
 * attempt, and pushed at once. The point's vault copy is the source, so nothing in a source account is involved.
 */
export async function retryFailedRegionCopy(point: RecoveryPoint, kind: ArtifactKind, ctx: HubContext): Promise<RegionCopyResult> {
  const failed = point.copies?.find((c) => c.state === 'failed');
  if (point.state !== 'available' || !failed) return 'none';
  const backoff = Math.min(REGION_COPY_RETRY_MAX_MS, REGION_COPY_RETRY_MS * 2 ** (failed.attempt - 1));
  if (ctx.now().getTime() - Date.parse(failed.updatedAt) < backoff) return 'retry-later';
  const reopened = await setCopy(point, { region: failed.region, state: 'pending', attempt: failed.attempt + 1, updatedAt: now(ctx) }, ctx);
  await record(
    ctx,
    reopened,
    failed.region,
    'reopened',
    `retrying the copy in ${failed.region} (attempt ${failed.attempt + 1}) after: ${failed.failureReason}`,
  );
  return advanceRegionCopy(reopened, kind, ctx);
}

/** Records what AWS says of a requested copy: done, failed, or still running (failed once it runs too long or vanished). */
async function settle(
  point: RecoveryPoint,
  copy: RegionCopy,
  status: CopyStatus,
  kind: ArtifactKind,
  ctx: HubContext,
): Promise<RegionCopyResult> {
  const ageMs = ctx.now().getTime() - Date.parse(copy.updatedAt);
  if (status.status === 'pending' && ageMs <= COPY_PENDING_TIMEOUT_MS) return finishedLease(point, ctx, 'copying');
  if (status.status === 'missing' && ageMs < PROPAGATION_WINDOW_MS) return finishedLease(point, ctx, 'copying');
  if (status.status !== 'available') {
    const reason =
      status.status === 'failed'
        ? `${status.code}: ${status.reason}`
        : status.status === 'missing'
          ? `CopyMissing: copy ${copy.vaultCopyId} in ${copy.region} no longer exists`
          : `CopyTimedOut: copy ${copy.vaultCopyId} in ${copy.region} still pending ${Math.round(ageMs / 3_600_000)} h after it was requested`;
    await markFailed(point, copy, reason, ctx);
    return 'failed';
  }
  // Locked as the vault copy is before it counts as available: the DR copy must survive what the vault copy survives.
  const providerLock =
    kind.lockVaultCopy &&
    (await kind.lockVaultCopy(asRegionCopy(point, copy), await providerLockTerms(point, ctx), regionDeps(kind, ctx, copy.region)));
  const at = ctx.now();
  const available: RegionCopy = { ...copy, state: 'available', completedAt: at.toISOString(), updatedAt: at.toISOString() };
  const done = await setCopy(point, providerLock ? { ...available, providerLock } : available, ctx);
  ctx.metrics.copyCompleted(done, at);
  const locked = providerLock ? `, locked by AWS in ${providerLock.mode} mode until ${providerLock.until}` : '';
  await record(ctx, done, copy.region, 'completed', `copy ${copy.vaultCopyId} in ${copy.region} is available${locked}`);
  return 'available';
}

async function finishedLease(point: RecoveryPoint, ctx: HubContext, result: RegionCopyResult): Promise<RegionCopyResult> {
  await ctx.catalog.update(point, {});
  return result;
}

/** Parks the copy under its region's full quota; one already waiting keeps its place and is not audited again. */
async function markWaiting(point: RecoveryPoint, copy: RegionCopy, full: CopyQuotaFull, ctx: HubContext): Promise<'waiting'> {
  const already = copy.state === 'waiting' && copy.waitingFor === full.quota;
  const waiting = await setCopy(
    point,
    { ...copy, state: 'waiting', waitingFor: full.quota, updatedAt: already ? copy.updatedAt : now(ctx) },
    ctx,
  );
  if (!already) {
    await record(ctx, waiting, copy.region, 'deferred', `copy in ${copy.region} waiting for a copy slot: ${full.message}`);
    ctx.metrics.waitingForSlot(point, full.quota);
  }
  return 'waiting';
}

/**
 * The integrity sweep found the point's available copy in `region` gone: it is recorded failed
 * (audited, alarmed), so the reconciler copies it there again from the vault copy.
 */
export async function markRegionCopyLost(point: RecoveryPoint, region: string, reason: string, ctx: HubContext): Promise<void> {
  const copy = regionCopyOf(point, region);
  if (copy.state === 'available') await markFailed(point, copy, `CopyLost: ${reason}`, ctx);
}

async function markFailed(point: RecoveryPoint, copy: RegionCopy, reason: string, ctx: HubContext): Promise<void> {
  const failed = await setCopy(point, { ...copy, state: 'failed', waitingFor: undefined, failureReason: reason, updatedAt: now(ctx) }, ctx);
  await record(
    ctx,
    failed,
    copy.region,
    'failed',
    `copy in ${copy.region} failed (the vault copy ${point.vaultCopyId} stays available): ${reason}`,
  );
  ctx.metrics.copyFailed(point, reason.split(':')[0]!);
  ctx.logger.error('copy in a further region failed', { kind: point.kind, sourceId: point.sourceId, region: copy.region, reason });
}

/** Writes one region's copy into the point's list (and so its by-state listing), releasing the lease. */
function setCopy(point: RecoveryPoint, copy: RegionCopy, ctx: HubContext): Promise<RecoveryPoint> {
  const clean = Object.fromEntries(Object.entries(copy).filter(([, v]) => v !== undefined)) as unknown as RegionCopy;
  const copies = (point.copies ?? []).map((c) => (c.region === copy.region ? clean : c));
  return ctx.catalog.update(point, { copies });
}

export function regionCopyOf(point: RecoveryPoint, region: string): RegionCopy {
  const copy = point.copies?.find((c) => c.region === region);
  if (!copy) throw new Error(`${point.pk} has no copy in ${region}`);
  return copy;
}

/** The copy quota a further region's copies of a kind count against. */
export const regionQuotaKey = (kind: string, ctx: HubContext, region: string) => copyQuotaKey(kind, ctx.config.vaultAccountId, region);

const now = (ctx: HubContext) => ctx.now().toISOString();

/** An audit entry about the point's copy in `region`: that copy's id, and the region named. */
function record(
  ctx: HubContext,
  point: RecoveryPoint,
  region: string,
  decision: 'copied' | 'completed' | 'failed' | 'deferred' | 'reopened',
  reason: string,
) {
  const copy = point.copies?.find((c) => c.region === region);
  return ctx.audit.append({ decision, reason, ...pointFacts(point), vaultCopyId: copy?.vaultCopyId, copyRegion: region });
}
