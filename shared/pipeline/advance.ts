import { pointFacts } from '../audit/audit-entry.js';
import { describeError, isDeterministicAwsError } from '../aws/aws-errors.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { CopyQuotaFull, PermanentFailure, Rejection } from '../core/errors.js';
import type { ArtifactKind } from '../kinds/common/artifact-kind.js';
import type { HubContext } from '../runtime/hub-context.js';
import { kindDeps } from './kind-deps.js';

/** Where an artifact ended after one push through its stages. */
export type AdvanceResult = 'reencrypting' | 'copying' | 'available' | 'failed' | 'busy' | 'waiting';

/** Long enough for share + copy calls with retries; short enough that a crashed worker's point is resumed soon. */
const LEASE_MS = 5 * 60_000;

/** The lease a new point is claimed with: the claim's own write takes it. */
export const claimLeaseUntil = (now: Date): string => new Date(now.getTime() + LEASE_MS).toISOString();

/**
 * `claimed`: this very invocation has just created the point, leased ({@link claimLeaseUntil}), so
 * no earlier attempt can have started its copy. `stored`: read from the catalog, it may have.
 */
export type PointOrigin = 'claimed' | 'stored';

/**
 * AWS gives no upper bound on a copy ("minutes to hours"); a copy still pending a day after it
 * was requested is stuck, and an operator must look at it rather than the hub wait forever.
 */
export const COPY_PENDING_TIMEOUT_MS = 24 * 3_600_000;

/**
 * Moves a recovery point through its stages as far as it can go now: prepare the share
 * (waiting while the source re-encrypts), copy into the vault, and complete once the copy is
 * available. Each step is recorded in the catalog and the audit log before the next starts,
 * so a crash at any point resumes without a second copy (a resumed point's copy is first looked
 * for by its provenance). A copy just requested is left to the reconciler to complete, unless the
 * kind copies synchronously. A full copy quota parks the point in the catalog until the
 * reconciler finds a free slot; other deferrals and transient errors propagate; a deterministic
 * failure marks the point failed.
 */
export async function advance(
  point: RecoveryPoint,
  kind: ArtifactKind,
  ctx: HubContext,
  origin: PointOrigin = 'stored',
): Promise<AdvanceResult> {
  try {
    return await step(point, kind, ctx, origin);
  } catch (error) {
    if (error instanceof CopyQuotaFull) return markWaiting(point, error.quota, error.message, ctx);
    if (!(error instanceof PermanentFailure) && !isDeterministicAwsError(error)) throw error;
    await markFailed(point, describeError(error), error instanceof PermanentFailure ? error.code : (error as Error).name, ctx);
    return 'failed';
  }
}

async function step(initial: RecoveryPoint, kind: ArtifactKind, ctx: HubContext, origin: PointOrigin): Promise<AdvanceResult> {
  let point = initial;
  const deps = kindDeps(kind, ctx);
  if (point.stage === 'claimed' || point.stage === 'reencrypting') {
    if (origin === 'stored') {
      const leased = await ctx.catalog.lease(point, ctx.now(), LEASE_MS);
      if (!leased) return 'busy';
      point = leased;
    }
    const share = await kind.prepareShare(point, deps);
    if (share.status === 'reencrypting') {
      const first = point.stage !== 'reencrypting';
      point = await ctx.catalog.update(
        point,
        { stage: 'reencrypting', intermediateId: share.intermediateId, waitingFor: undefined, updatedAt: ctx.now().toISOString() },
        point.stage,
      );
      if (first) await record(ctx, point, 'reencrypting', `re-encrypting in the source under the share key as ${share.intermediateId}`);
      return 'reencrypting';
    }
    const copy = (origin === 'stored' ? await kind.findCopy(point, deps) : undefined) ?? (await kind.copy(point, share.sharedId, deps));
    point = await ctx.catalog.update(
      point,
      { stage: 'copying', ...copy, waitingFor: undefined, updatedAt: ctx.now().toISOString() },
      point.stage,
    );
    await record(ctx, point, 'copied', `vault copy ${copy.vaultCopyId} requested under ${copy.vaultKeyArn}`);
    ctx.metrics.copyRequested(point);
    if (!kind.copiesSynchronously) return 'copying';
  }
  if (point.stage !== 'copying') return point.state === 'available' ? 'available' : 'failed';
  const status = await kind.copyStatus(point, deps);
  if (status.status === 'pending') return checkPendingTimeout(point, ctx);
  if (status.status === 'failed') {
    await markFailed(point, status.reason, 'CopyFailedInAws', ctx);
    return 'failed';
  }
  const leftInSource = await cleanUpSource(point, kind, ctx);
  // The resource's record first: a crash after it leaves the point copying, and the retry records it again (idempotent).
  await ctx.catalog.recordProtected(point);
  const completedAt = ctx.now();
  const now = completedAt.toISOString();
  point = await ctx.catalog.update(point, { stage: 'done', state: 'available', completedAt: now, updatedAt: now }, 'copying');
  ctx.metrics.copyCompleted(point, completedAt);
  await record(ctx, point, 'completed', `vault copy ${point.vaultCopyId} is available${leftInSource ? `; ${leftInSource}` : ''}`);
  return 'available';
}

/**
 * Removes what the hub left in the source. A source that refuses for good (lost in a disaster,
 * its reader role gone) must not keep a finished vault copy from counting: the copy is recorded
 * available and what was left behind is named, for an operator. Transient errors are retried.
 * @returns what could not be cleaned up, or undefined
 */
async function cleanUpSource(point: RecoveryPoint, kind: ArtifactKind, ctx: HubContext): Promise<string | undefined> {
  try {
    await kind.cleanup(point, kindDeps(kind, ctx));
    return undefined;
  } catch (error) {
    if (!(error instanceof Rejection) && !isDeterministicAwsError(error)) throw error;
    const left = point.intermediateId ? `the share and the intermediate copy ${point.intermediateId}` : 'the share with the vault';
    const problem = `could not clean up in ${point.account}/${point.region} (${describeError(error)}): remove ${left} by hand if the account still exists`;
    ctx.logger.warn('source cleanup skipped', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason: problem });
    return problem;
  }
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
 * `updatedAt`, so its place in the line, and is not audited again on every retry.
 */
async function markWaiting(point: RecoveryPoint, quota: string, reason: string, ctx: HubContext): Promise<'waiting'> {
  const already = point.waitingFor === quota;
  const waiting = await ctx.catalog.update(point, { waitingFor: quota, ...(already ? {} : { updatedAt: ctx.now().toISOString() }) });
  if (!already) {
    await record(ctx, waiting, 'deferred', `waiting for a copy slot: ${reason}`);
    ctx.metrics.waitingForSlot(point, quota);
  }
  return 'waiting';
}

async function markFailed(point: RecoveryPoint, reason: string, reasonClass: string, ctx: HubContext): Promise<void> {
  // A resource whose copies fail still counts against its target (first, so a retry writes it again).
  await ctx.catalog.recordSeen(point);
  const failed = await ctx.catalog.update(point, {
    state: 'failed',
    stage: 'done',
    failureReason: reason,
    waitingFor: undefined,
    updatedAt: ctx.now().toISOString(),
  });
  await record(ctx, failed, 'failed', reason);
  ctx.metrics.copyFailed(point, reasonClass);
  ctx.logger.error('copy failed', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason });
}

function record(
  ctx: HubContext,
  point: RecoveryPoint,
  decision: 'reencrypting' | 'copied' | 'completed' | 'failed' | 'deferred',
  reason: string,
) {
  return ctx.audit.append({ decision, reason, ...pointFacts(point) });
}
