import type { Filter } from '@aws-sdk/client-ec2';
import { isAwsError } from '../../aws/aws-errors.js';
import { CopyQuotaFull, PermanentFailure } from '../../core/errors.js';

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
