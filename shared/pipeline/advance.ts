import { pointFacts } from '../audit/audit-entry.js';
import { describeError, isDeterministicAwsError, mayBePropagating } from '../aws/aws-errors.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { copyQuotaKey } from '../core/copy-quota.js';
import { awsErrorCode, CopyQuotaFull, codeOf, Deferral, PermanentFailure, Rejection } from '../core/errors.js';
import type { ArtifactKind, CopyStatus, KindDeps, VaultCopy } from '../kinds/common/artifact-kind.js';
import { providerLockTerms } from '../retention/provider-lock.js';
import type { HubContext } from '../runtime/hub-context.js';
import { COPY_PENDING_TIMEOUT_MS, PROPAGATION_WINDOW_MS } from './copy-timing.js';
import { LINE_KEY, LINE_LENGTH, type Lines } from './fair-share.js';
import { kindDeps } from './kind-deps.js';
import { advanceRegionCopy, newRegionCopies } from './region-copy.js';
import { cleanUpAfterCopy, releaseSource } from './release.js';

/** Where an artifact ended after one push through its stages. */
export type AdvanceResult = 'reencrypting' | 'copying' | 'available' | 'failed' | 'busy' | 'waiting';

const PROPAGATION_RETRY_MAX_SECONDS = 300;

/**
 * Long enough for share + copy calls with retries, and for what a crashed worker made to show: a push
 * that dies after EC2 accepted a copy and before the catalog learned of it still holds the lease, and
 * whoever resumes the point then looks for that copy by its provenance. EC2's Describe calls may not
 * show a copy just made ("Eventual consistency in the Amazon EC2 API"), so the lease outlasts the
 * propagation window: the point is resumed only once the copy can be seen, and is never copied twice.
 */
const LEASE_MS = PROPAGATION_WINDOW_MS;

/** The lease a new point is claimed with: the claim's own write takes it. */
export const claimLeaseUntil = (now: Date): string => new Date(now.getTime() + LEASE_MS).toISOString();

/**
 * `claimed`: this very invocation has just created the point, leased ({@link claimLeaseUntil}), so
 * no earlier attempt can have started its copy. `stored`: read from the catalog, it may have.
 */
export type PointOrigin = 'claimed' | 'stored';

/**
 * Moves a recovery point through its stages as far as it can go now: prepare the share
 * (waiting while the source re-encrypts), copy into the vault, and complete once the copy is
 * available (`settled`: the copy's state the caller has just read in the vault). Each step is recorded in the catalog and the audit log before the next starts,
 * so a crash at any point resumes without a second copy (a resumed point's copy is first looked
 * for by its provenance). A copy just requested is left to its completion event (or the reconciler), unless the
 * kind copies synchronously. A full copy quota parks the point in the catalog until the
 * reconciler finds a free slot; other deferrals and transient errors propagate; a deterministic
 * failure marks the point failed.
 */
export async function advance(
  point: RecoveryPoint,
  kind: ArtifactKind,
  ctx: HubContext,
  origin: PointOrigin = 'stored',
  settled?: CopyStatus,
): Promise<AdvanceResult> {
  const push: Push = { copyRequested: false };
  try {
    return await step(point, kind, ctx, origin, push, settled);
  } catch (error) {
    if (error instanceof CopyQuotaFull) {
      const waiting = await markWaiting(point, error.quota, error.message, ctx);
      // A slot may be free: the first of the line takes it, which may be this point if the line has none before it.
      if (error instanceof BehindTheLine) await handOnSlot(kind, ctx);
      return waiting;
    }
    if (mayBePropagating(error)) await retryWhilePropagating(point, error, ctx);
    if (error instanceof Rejection) {
      // Refused after the hub may have shared or copied (the reader role gone, say): the point ends here.
      await markFailed(point, kind, { reason: `${error.code}: ${error.message}`, code: error.code }, ctx);
      return 'failed';
    }
    if (!(error instanceof PermanentFailure) && !isDeterministicAwsError(error)) {
      // Transient (throttled, say): the next attempt need not wait out the lease, unless a copy may be in flight unrecorded.
      if (!push.copyRequested) await ctx.catalog.update(point, {});
      throw error;
    }
    await markFailed(
      point,
      kind,
      {
        reason: describeError(error),
        code: codeOf(error) ?? (error as Error).name,
        aboutArtifact: error instanceof PermanentFailure && error.aboutArtifact,
      },
      ctx,
    );
    return 'failed';
  }
}

/**
 * Within the window since the point first met such an error, comes back later (a Deferral) instead of
 * failing: the share, re-encrypting copy or grant the hub just made may not have reached every part of
 * AWS yet. Each wait is about as long as the time already waited (30 s, then doubling up to 5 min).
 * Returns, so that the error counts, once the window has passed.
 */
async function retryWhilePropagating(point: RecoveryPoint, error: unknown, ctx: HubContext): Promise<void> {
  const now = ctx.now();
  const since = point.retryingSince ?? now.toISOString();
  const waitedMs = now.getTime() - Date.parse(since);
  if (waitedMs >= PROPAGATION_WINDOW_MS) return;
  // Also releases the lease: the retry must not find its own point busy.
  await ctx.catalog.update(point, { retryingSince: since });
  const delaySeconds = Math.min(PROPAGATION_RETRY_MAX_SECONDS, Math.max(30, Math.round(waitedMs / 1000)));
  throw new Deferral(
    `${describeError(error)}: may only mean that what the hub just changed has not propagated yet; retried until ${new Date(Date.parse(since) + PROPAGATION_WINDOW_MS).toISOString()}`,
    delaySeconds,
  );
}

/** What one push did that its error handling must know: whether it asked for the vault copy. */
interface Push {
  copyRequested: boolean;
}

async function step(
  initial: RecoveryPoint,
  kind: ArtifactKind,
  ctx: HubContext,
  origin: PointOrigin,
  push: Push,
  settled: CopyStatus | undefined,
): Promise<AdvanceResult> {
  let point = initial;
  const deps = kindDeps(kind, ctx);
  if (point.stage === 'claimed' || point.stage === 'reencrypting') {
    if (origin === 'stored') {
      const leased = await ctx.catalog.lease(point, ctx.now(), LEASE_MS);
      if (!leased) return 'busy';
      point = leased;
    }
    const share = await kind.prepareShare(point, deps, origin === 'claimed');
    if (share.status === 'reencrypting') {
      const first = point.stage !== 'reencrypting';
      point = await ctx.catalog.update(
        point,
        {
          stage: 'reencrypting',
          intermediateId: share.intermediateId,
          waitingFor: undefined,
          retryingSince: undefined,
          updatedAt: ctx.now().toISOString(),
        },
        point.stage,
      );
      if (first) await record(ctx, point, 'reencrypting', `re-encrypting in the source under the share key as ${share.intermediateId}`);
      return 'reencrypting';
    }
    const found = origin === 'stored' ? await kind.findCopy(point, deps) : undefined;
    if (!found && !kind.copiesSynchronously) await waitItsTurn(point, ctx);
    const copy = found ?? (await requestCopy(point, share.sharedId, kind, deps, push));
    point = await ctx.catalog.update(
      point,
      {
        stage: 'copying',
        ...copy,
        waitingFor: undefined,
        retryingSince: undefined,
        updatedAt: ctx.now().toISOString(),
      },
      point.stage,
    );
    await record(ctx, point, 'copied', `vault copy ${copy.vaultCopyId} requested under ${copy.vaultKeyArn}`);
    ctx.metrics.copyRequested(point);
    if (!kind.copiesSynchronously) return 'copying';
  }
  if (point.stage !== 'copying') return point.state === 'available' ? 'available' : 'failed';
  const status = settled ?? (await kind.copyStatus(point, deps));
  if (status.status === 'pending') return checkPendingTimeout(point, ctx);
  if (status.status === 'missing') return checkMissing(point, ctx);
  if (status.status === 'failed') {
    await markFailed(point, kind, { reason: `${status.code}: ${status.reason}`, code: status.code }, ctx);
    return 'failed';
  }
  // Locked before it counts as available: a copy the catalog calls protected is one AWS keeps.
  const providerLock = kind.lockVaultCopy && (await kind.lockVaultCopy(point, await providerLockTerms(point, ctx), deps));
  const leftInSource = await cleanUpAfterCopy(point, kind, ctx);
  if (leftInSource)
    ctx.logger.warn('source cleanup skipped', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason: leftInSource });
  // The resource's record first: a crash after it leaves the point copying, and the retry records it again (idempotent).
  await ctx.catalog.recordProtected(point);
  const completedAt = ctx.now();
  const now = completedAt.toISOString();
  point = await ctx.catalog.update(
    point,
    {
      stage: 'done',
      state: 'available',
      completedAt: now,
      updatedAt: now,
      retryingSince: undefined,
      leftInSource,
      providerLock,
      copies: newRegionCopies(ctx, now),
    },
    'copying',
  );
  ctx.metrics.copyCompleted(point, completedAt);
  const locked = providerLock ? `, locked by AWS in ${providerLock.mode} mode until ${providerLock.until}` : '';
  await record(ctx, point, 'completed', `vault copy ${point.vaultCopyId} is available${locked}${leftInSource ? `; ${leftInSource}` : ''}`);
  await startRegionCopies(point, kind, ctx);
  return 'available';
}

/**
 * Starts the point's copies in the vault's further regions right away; one that cannot start now
 * (throttled, say) is the reconciler's, and never fails the vault copy that is available.
 */
async function startRegionCopies(point: RecoveryPoint, kind: ArtifactKind, ctx: HubContext): Promise<void> {
  if (!point.copies) return;
  try {
    await advanceRegionCopy(point, kind, ctx);
  } catch (error) {
    ctx.logger.warn('copy in a further region left to the reconciler', {
      kind: point.kind,
      sourceId: point.sourceId,
      error: describeError(error),
    });
  }
}

/**
 * A point the line did not give its slot to (a new one, or one just re-encrypted in its source) does
 * not take a slot that frees while other points wait for one: it joins the line, which the reconciler
 * and the copies that settle serve fairly across sources (`planSlots`, fair-share.ts); a source making points
 * by the thousand would otherwise take each slot as it frees. Nor does a point of a source over its
 * cap, even with slots free.
 */
async function waitItsTurn(point: RecoveryPoint, ctx: HubContext): Promise<void> {
  const quota = copyQuotaKey(point.kind, ctx.config.vaultAccountId, ctx.config.vaultRegion);
  // Waiting for this very quota: the line has just given it the slot.
  if (point.waitingFor === quota) return;
  if (await ctx.slots.isOverCap(point.account))
    throw new CopyQuotaFull(
      `source ${point.account} is over its pendingCap: its new points wait behind the other sources' for ${quota}`,
      quota,
    );
  if (await ctx.slots.hasLine(quota))
    throw new BehindTheLine(
      `others wait for ${quota}: the point joins the line, where the source holding the fewest slots comes first`,
      quota,
    );
}

/** Asks for the vault copy. An error AWS answered with means it made nothing; any other (a timeout) may hide a copy in flight. */
async function requestCopy(
  point: RecoveryPoint,
  sharedId: string,
  kind: ArtifactKind,
  deps: KindDeps<unknown>,
  push: Push,
): Promise<VaultCopy> {
  push.copyRequested = true;
  try {
    return await kind.copy(point, sharedId, deps);
  } catch (error) {
    if (awsErrorCode(error) !== undefined || error instanceof CopyQuotaFull) push.copyRequested = false;
    throw error;
  }
}

/**
 * A vault copy the vault does not see. Right after it was requested (`updatedAt` of a copying point)
 * EC2 may not have propagated it yet ("Eventual consistency in the Amazon EC2 API"); past the window it is gone.
 */
function checkMissing(point: RecoveryPoint, ctx: HubContext): 'copying' {
  if (ctx.now().getTime() - Date.parse(point.updatedAt) < PROPAGATION_WINDOW_MS) return 'copying';
  throw new PermanentFailure(`vault copy ${point.vaultCopyId} no longer exists`, { code: 'CopyMissing' });
}

/** `updatedAt` of a copying point is when its copy was requested (nothing else writes it until completion). */
function checkPendingTimeout(point: RecoveryPoint, ctx: HubContext): 'copying' {
  const pendingMs = ctx.now().getTime() - Date.parse(point.updatedAt);
  if (pendingMs > COPY_PENDING_TIMEOUT_MS) {
    throw new PermanentFailure(
      `vault copy ${point.vaultCopyId} still pending ${Math.round(pendingMs / 3_600_000)} h after it was requested (limit ${COPY_PENDING_TIMEOUT_MS / 3_600_000} h)`,
      { code: 'CopyTimedOut' },
    );
  }
  return 'copying';
}

/**
 * Parks the point under its full quota and releases the lease. A point already waiting keeps its
 * `updatedAt`, so its place in the line, and is not audited again on every retry. A newcomer within
 * its source's cap goes to the end of the vault quota's line, where there is one, so that the copies
 * settling before the reconciler's next run serve it too (that run puts it in its fair place).
 */
async function markWaiting(point: RecoveryPoint, quota: string, reason: string, ctx: HubContext): Promise<'waiting'> {
  const already = point.waitingFor === quota;
  const waiting = await ctx.catalog.update(point, { waitingFor: quota, ...(already ? {} : { updatedAt: ctx.now().toISOString() }) });
  if (!already) {
    await record(ctx, waiting, 'deferred', `waiting for a copy slot: ${reason}`);
    ctx.metrics.waitingForSlot(point, quota);
    const vaultQuota = quota === copyQuotaKey(point.kind, ctx.config.vaultAccountId, ctx.config.vaultRegion);
    if (vaultQuota && !(await ctx.slots.isOverCap(point.account)))
      await ctx.catalog.appendToBookmarkEntry(LINE_KEY, quota, point.pk, LINE_LENGTH);
  }
  return 'waiting';
}

/**
 * Records the failure, then removes what the hub left in the source (the vault's access, its
 * intermediates), each removal audited. The point is read again by its key first: the one in hand may
 * predate what this very push recorded (an intermediate, a vault copy). A cleanup that cannot finish now
 * stays listed as residue, for the reconciler. `code` classes the failure for the failures-by-reason metric.
 */
async function markFailed(
  point: RecoveryPoint,
  kind: ArtifactKind,
  failure: { reason: string; code: string; aboutArtifact?: boolean },
  ctx: HubContext,
): Promise<void> {
  // A resource whose copies fail still counts against its target (first, so a retry writes it again).
  await ctx.catalog.recordSeen(point);
  const current = (await ctx.catalog.get(point.pk)) ?? point;
  const failed = await ctx.catalog.update(current, {
    state: 'failed',
    stage: 'done',
    failureReason: failure.reason,
    failureAboutArtifact: failure.aboutArtifact || undefined,
    waitingFor: undefined,
    retryingSince: undefined,
    residue: true,
    updatedAt: ctx.now().toISOString(),
  });
  await record(ctx, failed, 'failed', failure.reason);
  ctx.metrics.copyFailed(point, failure.code);
  ctx.logger.error('copy failed', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason: failure.reason });
  try {
    await releaseSource(failed, kind, ctx, 'failed');
  } catch (error) {
    ctx.logger.warn('source cleanup left for the reconciler', { kind: point.kind, sourceId: point.sourceId, error: describeError(error) });
  }
}

function record(
  ctx: HubContext,
  point: RecoveryPoint,
  decision: 'reencrypting' | 'copied' | 'completed' | 'failed' | 'deferred',
  reason: string,
) {
  return ctx.audit.append({ decision, reason, ...pointFacts(point) });
}

/** Others wait for the quota: the point joins their line instead of taking a slot that frees. */
class BehindTheLine extends CopyQuotaFull {}

/**
 * A slot of the kind's vault quota has freed (a copy settled on its event) or may be free (a point joined the line):
 * it goes now to the first point of the line the reconciler last drew that still waits for it, not
 * to whichever point arrives next, nor at the next run. Points of the line started meanwhile are
 * dropped from it, so that a line served to its end no longer holds back the points that become
 * ready. Returns whether one started: a slot taken meanwhile (the point finds the quota full again
 * and keeps its place), or an error (logged), starts none and leaves the slot to the next run.
 */
export async function handOnSlot(kind: ArtifactKind, ctx: HubContext): Promise<boolean> {
  // Each kind has its own quota, so the line holds the kind's points only: a kind's handler bundles no other kind.
  const quota = copyQuotaKey(kind.name, ctx.config.vaultAccountId, ctx.config.vaultRegion);
  try {
    return await serveLine(quota, kind, ctx);
  } catch (error) {
    ctx.logger.warn('the copy slot is left to the reconciler', { quota, error: describeError(error) });
    return false;
  }
}

async function serveLine(quota: string, kind: ArtifactKind, ctx: HubContext): Promise<boolean> {
  const line = (await ctx.catalog.bookmark<Lines>(LINE_KEY))?.[quota] ?? [];
  const kept: string[] = [];
  let started = false;
  for (const [i, pk] of line.entries()) {
    const point = await ctx.catalog.get(pk);
    // Started meanwhile, or gone: out of the line.
    if (point?.state !== 'pending' || point.waitingFor !== quota || point.kind !== kind.name) continue;
    const result = await advance(point, kind, ctx);
    // Another worker holds it (the reconciler, or another settled copy's hand-off), or the quota is full again: it keeps its place.
    if (result === 'busy' || result === 'waiting') kept.push(pk);
    started = result === 'copying' || result === 'available';
    if (started || result === 'waiting') {
      kept.push(...line.slice(i + 1));
      break;
    }
  }
  if (kept.length < line.length) await ctx.catalog.setBookmarkEntry(LINE_KEY, quota, kept);
  return started;
}
