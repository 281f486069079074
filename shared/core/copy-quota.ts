/**
 * Names one concurrent-copy quota: AWS counts copies of a kind per destination account and
 * region. The vault's own copies use the vault's; the re-encryption of an artifact in its
 * source uses that source's.
 */
export function copyQuotaKey(kind: string, account: string, region: string): string {
  return `${kind}:${account}:${region}`;
}

/** The destination region of a copy quota: where the copies that wait on it are listed. */
export const quotaRegion = (quota: string): string => quota.slice(quota.lastIndexOf(':') + 1);

/**
 * How many of a source's recovery points may be pending (copying, or waiting for a copy slot) before
 * the rest of them wait behind every other source's, and its "over its cap" alarm pages, unless its
 * account file sets `pendingCap`: ten times the vault's 20 EBS copy slots, more than a nightly
 * backup of a large account keeps pending, far fewer than a runaway snapshot loop makes.
 */
export const PENDING_CAP = 200;
