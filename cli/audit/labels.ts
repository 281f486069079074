import type { ResourceRow } from '../../shared/report/audit-report.js';
import type { PendingCopy } from '../../shared/report/pending-copies.js';

/**
 * A resource's RPO standing in words.
 *
 * @example
 * rpoStatusText(row); // 'never copied: KMS key not usable'
 */
export function rpoStatusText(row: ResourceRow): string {
  const words = {
    met: 'met',
    breached: 'breached',
    'no-target': 'no RPO target',
    'no-copy': row.points.lost > 0 ? 'every copy lost' : row.points.pruned > 0 ? 'every copy pruned' : 'never copied',
  }[row.status];
  return row.lastFailure && row.status !== 'met' ? `${words}: ${row.lastFailure}` : words;
}

/**
 * Where a pending copy stands, in words.
 *
 * @example
 * pendingText(copy); // 'waits for a copy slot (ebs-snapshot:999999999999:eu-west-1)'
 */
export function pendingText(copy: PendingCopy): string {
  const where = copy.copyRegion ? `DR copy in ${copy.copyRegion} (vault copy available): ` : '';
  if (copy.waitingFor) return `${where}waits for a copy slot (${copy.waitingFor})`;
  if (copy.copyRegion) return `${where}copying`;
  return {
    claimed: 'claimed, copy not started',
    reencrypting: 're-encrypting in the source',
    copying: 'copying into the vault',
    done: 'done',
  }[copy.stage];
}

/**
 * A resource's tags in a cell: `Name=web, team=a`; `–` without any.
 *
 * @example
 * tagsText({ Name: 'web' }); // 'Name=web'
 */
export const tagsText = (tags: Record<string, string>): string =>
  Object.keys(tags).length === 0
    ? '–'
    : Object.entries(tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
