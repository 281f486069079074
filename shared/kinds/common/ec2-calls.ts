import { DescribeLockedSnapshotsCommand, type EC2Client, type Filter, LockSnapshotCommand } from '@aws-sdk/client-ec2';
import { isAwsError } from '../../aws/aws-errors.js';
import type { ProviderLock } from '../../catalog/recovery-point.js';
import { CopyQuotaFull, PermanentFailure } from '../../core/errors.js';
import type { ProviderLockTerms } from './artifact-kind.js';

/** Items a paged EC2 listing asks for: the most EC2 returns in one page (EC2 API Reference, Pagination). */
export const EC2_PAGE = 1000;
/** Values of one Describe filter the hub sends at once (it names vault copies or snapshots by id). */
export const EC2_FILTER_VALUES = 200;

/** EC2's answer when the destination region already runs its maximum of concurrent copies (snapshots and AMIs alike). */
const QUOTA_ERRORS = ['ResourceLimitExceeded'];

/** DescribeSnapshots / DescribeImages filters matching every given tag. */
export function tagFilters(tags: Record<string, string>): Filter[] {
  return Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] }));
}

/**
 * Runs a copy call; a full concurrent-copy quota becomes {@link CopyQuotaFull}, so the point waits
 * for a slot instead of failing.
 * @param quota the copyQuotaKey of the destination the call copies into
 * @param what the quota's name, for the reason recorded (`snapshot copy`, `AMI copy`)
 */
export async function withCopyQuota<T>(quota: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAwsError(error, ...QUOTA_ERRORS)) throw new CopyQuotaFull(`the concurrent ${what} quota ${quota} is full`, quota);
    throw error;
  }
}

/**
 * The restore copy among those its tags found, unless there is none. One that failed fails the
 * restore: copying again would fail the same way (the restore key refused, say).
 * @throws PermanentFailure naming the failed copy and `why`
 */
export function liveRestoreCopy<T>(found: T[], failed: (copy: T) => string | undefined): T | undefined {
  const live = found.find((copy) => failed(copy) === undefined);
  if (live || found.length === 0) return live;
  throw new PermanentFailure(`${failed(found[0]!)} (is the restore key usable by the vault?)`, { code: 'CopyFailedInAws' });
}

/**
 * Locks vault snapshots in compliance mode until at least `terms.until` (EBS snapshot lock): a lock
 * in force that lasts as long is left alone, so a retried completion neither restarts a cooling-off
 * period nor asks for one after it has passed (LockSnapshot refuses that). A pending snapshot may be
 * locked too.
 * @returns the lock, with the earliest expiry over the snapshots
 */
export async function lockSnapshots(ec2: EC2Client, snapshotIds: string[], terms: ProviderLockTerms): Promise<ProviderLock> {
  const { Snapshots = [] } = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: snapshotIds }));
  const expiries: number[] = [];
  for (const id of snapshotIds) {
    const held = Snapshots.find((s) => s.SnapshotId === id);
    const compliance = held?.LockState === 'compliance' || held?.LockState === 'compliance-cooloff';
    const heldUntil = held?.LockExpiresOn?.getTime();
    if (compliance && heldUntil !== undefined && heldUntil >= terms.until.getTime()) {
      expiries.push(heldUntil);
      continue;
    }
    const locked = await ec2.send(
      new LockSnapshotCommand({
        SnapshotId: id,
        LockMode: 'compliance',
        ExpirationDate: terms.until,
        // Only a new lock (or one still cooling off) takes a cooling-off period; extending a binding one refuses it.
        CoolOffPeriod: held?.LockState === 'compliance' ? undefined : terms.coolOffHours,
      }),
    );
    expiries.push(locked.LockExpiresOn?.getTime() ?? terms.until.getTime());
  }
  return { mode: 'compliance', until: new Date(Math.min(...expiries)).toISOString() };
}
