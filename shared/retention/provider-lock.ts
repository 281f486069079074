import type { ProviderLock, RecoveryPoint } from '../catalog/recovery-point.js';
import type { ProviderLockTerms } from '../kinds/common/artifact-kind.js';
import type { HubContext } from '../runtime/hub-context.js';

const DAY_MS = 86_400_000;

/**
 * The lock a vault copy gets: at least the retention in force for its source and kind and the vault
 * lock, counted from the source artifact's creation as the pruner counts them; never less than a day
 * from now (a copy of an old artifact, kept by keepLast, is still locked while it is new in the vault).
 */
export async function providerLockTerms(point: RecoveryPoint, ctx: HubContext): Promise<ProviderLockTerms> {
  const retentionDays = (await ctx.sources.source(point.account))?.targets[point.kind]?.retentionDays ?? 0;
  const lockDays = (await ctx.lock.inForce())?.minRetentionDays ?? 0;
  const until = Math.max(Date.parse(point.createdAt) + Math.max(retentionDays, lockDays) * DAY_MS, ctx.now().getTime() + DAY_MS);
  const coolOffHours = ctx.config.lockCoolOffHours;
  return { until: new Date(until), ...(coolOffHours === undefined ? {} : { coolOffHours }) };
}

/** The lock that lasts longest over the vault copy and its copies in further regions: the point's copies go only once all have expired. */
export function longestProviderLock(point: Pick<RecoveryPoint, 'providerLock' | 'copies'>): ProviderLock | undefined {
  const locks = [point.providerLock, ...(point.copies ?? []).map((c) => c.providerLock)].filter((l) => l !== undefined);
  return locks.reduce<ProviderLock | undefined>((longest, lock) => (!longest || lock.until > longest.until ? lock : longest), undefined);
}

/** Whether AWS still holds the copy locked at `now`. */
export function isProviderLocked(point: Pick<RecoveryPoint, 'providerLock'>, now: Date): boolean {
  return point.providerLock !== undefined && Date.parse(point.providerLock.until) > now.getTime();
}
