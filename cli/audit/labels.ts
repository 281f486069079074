import type { AuditReport, ResourceRow } from '../../shared/report/audit-report.js';
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
 * A resource's protection across the vault's regions, in words, when the vault has a DR region.
 *
 * @example
 * regionsText(row); // 'protected in both regions', 'DR copy pending for 3 h'
 */
export function regionsText(row: ResourceRow): string {
  if (!row.dr) return 'vault region only';
  if (row.status === 'no-copy') return 'in neither region';
  const behind = row.dr.behind;
  if (!behind) return 'protected in both regions';
  const state = { none: 'not started', waiting: 'waiting for a copy slot', pending: 'pending', failed: 'failed' }[behind.state];
  return `DR copy ${state}${behind.hours === undefined ? '' : ` for ${hoursText(behind.hours)}`}`;
}

/** With a DR region: the resources whose newest point is not copied there, or whose DR copy misses its RPO there. */
export const drShortfalls = (report: AuditReport): ResourceRow[] =>
  report.resources.filter((r) => r.dr && (r.dr.behind || r.dr.status === 'breached' || r.dr.status === 'no-copy'));

/** Hours as an operator reads them: minutes under one, then whole hours, then days. */
function hoursText(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} d`;
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
