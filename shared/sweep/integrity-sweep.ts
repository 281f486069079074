import { pointFacts } from '../audit/audit-entry.js';
import { describeError } from '../aws/aws-errors.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { type ArtifactKind, type KindDeps, VAULT_CHECK_BATCH } from '../kinds/common/artifact-kind.js';
import { chunks, groupBy } from '../kinds/common/inventory.js';
import { artifactKind } from '../kinds/index.js';
import { kindDeps } from '../pipeline/kind-deps.js';
import { asRegionCopy, furtherRegions, markRegionCopyLost, regionDeps } from '../pipeline/region-copy.js';
import type { HubContext } from '../runtime/hub-context.js';

/** Where the integrity sweep stands: the account it is in, and the catalog page it goes on from. */
interface IntegrityCursor {
  passStartedAt: string;
  account?: string;
  start?: Record<string, unknown>;
}

export interface IntegritySummary {
  /** Available points whose vault copy was checked this run. */
  checked: number;
  /** Points found without their vault copy, now `lost`. */
  lost: number;
  /** Available copies in further regions (the DR region) checked this run. */
  checkedInRegions: number;
  /** Of those, copies found gone: recorded failed, for the reconciler to copy there again. */
  lostInRegions: number;
  /** Whether this run finished a pass over the whole catalog (the next one starts over). */
  passFinished: boolean;
  /** Batches left for the next pass after an error (logged). */
  errors: number;
}

const CURSOR_KEY = 'INTEGRITY-SWEEP';
/** Items read per catalog Query. */
const PAGE = 100;
/**
 * A copy completed this recently is left to the next pass: the copy was there when it completed,
 * and a listing may lag behind it for a moment (EC2's eventual consistency).
 */
const SETTLE_MS = 15 * 60_000;

/**
 * The integrity sweep: checks that every `available` recovery point's vault copy still exists as
 * recorded (a snapshot; an image and its snapshots; a DB or cluster snapshot; a parameter
 * version), a few calls per hundred points. A copy that is gone (deleted by hand, by a compromised
 * administrator, by a region incident) marks its point `lost` in the catalog, no longer counted as
 * protection, with an audit entry and an ERROR log line (the alerts alarm). Paged through the
 * catalog by account, at most `pointsPerRun` points a run; the next run goes on from its cursor.
 *
 * @example
 * const summary = await checkIntegrity(ctx, { pointsPerRun: 10_000 });
 */
export async function checkIntegrity(ctx: HubContext, { pointsPerRun }: { pointsPerRun: number }): Promise<IntegritySummary> {
  const accounts = [...(await ctx.sources.all()).keys()].sort();
  const summary: IntegritySummary = { checked: 0, lost: 0, checkedInRegions: 0, lostInRegions: 0, passFinished: false, errors: 0 };
  const now = ctx.now();
  let cursor = (await ctx.catalog.bookmark<IntegrityCursor>(CURSOR_KEY)) ?? { passStartedAt: now.toISOString() };
  let read = 0;
  while (read < pointsPerRun) {
    const account = cursor.account ?? accounts[0];
    if (account === undefined || !accounts.includes(account)) {
      summary.passFinished = true;
      cursor = { passStartedAt: now.toISOString() };
      break;
    }
    const limit = Math.min(PAGE, pointsPerRun - read);
    const page = await ctx.catalog.availablePage(account, cursor.start, limit);
    read += limit;
    const settled = page.points.filter((p) => Date.parse(p.completedAt ?? p.updatedAt) <= now.getTime() - SETTLE_MS);
    await checkPoints(settled, ctx, summary);
    for (const region of furtherRegions(ctx)) await checkRegionCopies(settled, region, now, ctx, summary);
    const nextAccount = accounts[accounts.indexOf(account) + 1];
    cursor = page.next ? { ...cursor, account, start: page.next } : { passStartedAt: cursor.passStartedAt, account: nextAccount ?? '' };
  }
  await ctx.catalog.setBookmark(CURSOR_KEY, cursor);
  ctx.logger.info('integrity sweep finished', { ...summary });
  return summary;
}

/** Checks the points' vault copies; one gone marks its point lost. */
async function checkPoints(points: RecoveryPoint[], ctx: HubContext, summary: IntegritySummary): Promise<void> {
  summary.checked += await findMissing(
    points.map((point) => ({ point, copy: point })),
    (kind) => kindDeps(kind, ctx),
    async (point, reason) => {
      if (await markLost(point, reason, ctx)) summary.lost += 1;
    },
    ctx,
    summary,
  );
}

/**
 * The same check of the points' copies in a further region (the DR region), each as the point whose
 * vault copy is that copy: a copy gone there leaves the point available (its vault copy is), and is
 * recorded failed, so that the reconciler copies it there again.
 */
async function checkRegionCopies(points: RecoveryPoint[], region: string, now: Date, ctx: HubContext, summary: IntegritySummary) {
  const settled = points.flatMap((point) => {
    const copy = point.copies?.find((c) => c.region === region);
    const done = copy?.state === 'available' && Date.parse(copy.completedAt ?? copy.updatedAt) <= now.getTime() - SETTLE_MS;
    return done ? [{ point, copy: asRegionCopy(point, copy) }] : [];
  });
  summary.checkedInRegions += await findMissing(
    settled,
    (kind) => regionDeps(kind, ctx, region),
    async (point, reason) => {
      await markRegionCopyLost(point, region, reason, ctx);
      summary.lostInRegions += 1;
    },
    ctx,
    summary,
  );
}

/**
 * Asks each kind, a batch at a time, which of the copies (each a point whose vault copy is the one
 * to check) are gone, and hands each gone one's point to `gone`. A batch that fails is left to the
 * next pass. Returns how many were checked.
 */
async function findMissing(
  checks: { point: RecoveryPoint; copy: RecoveryPoint }[],
  depsOf: (kind: ArtifactKind) => KindDeps<unknown>,
  gone: (point: RecoveryPoint, reason: string) => Promise<void>,
  ctx: HubContext,
  summary: IntegritySummary,
): Promise<number> {
  let checked = 0;
  for (const [name, ofKind] of groupBy(checks, ({ point }) => point.kind)) {
    const kind = artifactKind(name);
    for (const batch of chunks(ofKind, VAULT_CHECK_BATCH)) {
      try {
        const missing = await kind.missingCopies(
          batch.map((c) => c.copy),
          depsOf(kind),
        );
        checked += batch.length;
        for (const { point } of batch) {
          const reason = missing.get(point.pk);
          if (reason) await gone(point, reason);
        }
      } catch (error) {
        summary.errors += 1;
        ctx.logger.warn('integrity sweep: will check again on the next pass', {
          kind: name,
          points: batch.length,
          error: describeError(error),
        });
      }
    }
  }
  return checked;
}

/** Marks the point lost (unless the pruner took it out of service meanwhile), audits it and raises the alarm. */
async function markLost(point: RecoveryPoint, reason: string, ctx: HubContext): Promise<boolean> {
  const lost = await ctx.catalog.markLost(point, { at: ctx.now().toISOString(), reason });
  if (!lost) return false;
  // The RPO check measures from the newest copy that still exists.
  await ctx.catalog.withdrawProtection(lost);
  await ctx.audit.append({ decision: 'lost', reason: `${reason}; the point no longer counts as protection`, ...pointFacts(lost) });
  ctx.logger.error('vault copy lost', {
    kind: point.kind,
    account: point.account,
    sourceId: point.sourceId,
    vaultCopyId: point.vaultCopyId,
    reason,
  });
  return true;
}
