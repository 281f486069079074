import type { ArtifactKindName } from '../kinds/index.js';
import { hoursBetween } from './audited-point.js';
import type { ResourceStatus } from './resource-status.js';

/**
 * - `met`: the newest available recovery point is no older than the RPO target.
 * - `breached`: it is older.
 * - `no-copy`: the vault holds no available copy (never copied, or every copy pruned).
 * - `no-target`: the account sets no RPO for this kind, so there is nothing to meet.
 */
export type RpoStatus = 'met' | 'breached' | 'no-copy' | 'no-target';

/**
 * The newest available point's copy in a further region when it is not available there: its state
 * (`none` before any copy was recorded), and the hours since it was due (the vault copy's completion).
 */
export interface RegionCopyBehind {
  state: 'none' | 'waiting' | 'pending' | 'failed';
  sourceId: string;
  hours?: number;
}

export interface ResourceRpo {
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  /** When the newest available recovery point was taken in the source. */
  newestAvailableAt?: string;
  /** Hours from that point to the report's as-of time. */
  ageHours?: number;
  rpoHours?: number;
  status: RpoStatus;
  /** In a further region: set when the newest available point's copy there is not available (yet). */
  behind?: RegionCopyBehind;
}

export interface AccountRpo {
  account: string;
  resources: number;
  met: number;
  breached: number;
  noCopy: number;
  noTarget: number;
  /** Met ÷ resources with a target, in percent; undefined when no resource has one. */
  compliancePercent?: number;
  /** The oldest newest-available point among the account's resources that have a target, in hours. */
  worstAgeHours?: number;
}

/**
 * The RPO standing of one resource at `asOf`.
 *
 * @example
 * resourceRpo(status, 24, new Date('2026-01-02T06:00:00Z')); // { …, ageHours: 30, rpoHours: 24, status: 'breached' }
 */
export function resourceRpo(resource: ResourceStatus, rpoHours: number | undefined, asOf: Date): ResourceRpo {
  return rpoOf(resource, resource.newestAvailable?.createdAt, rpoHours, asOf);
}

/** The RPO standing of one resource's copies in a further vault region (the DR region), against that region's target. */
export function regionRpo(resource: ResourceStatus, copyRegion: string, rpoHours: number | undefined, asOf: Date): ResourceRpo {
  const rpo = rpoOf(resource, resource.newestInRegion[copyRegion]?.createdAt, rpoHours, asOf);
  const newest = resource.newestAvailable;
  const copy = newest?.copies?.find((c) => c.region === copyRegion);
  if (!newest || copy?.state === 'available') return rpo;
  const due = newest.completedAt;
  return {
    ...rpo,
    behind: { state: copy?.state ?? 'none', sourceId: newest.sourceId, ...(due ? { hours: hoursBetween(due, asOf) } : {}) },
  };
}

function rpoOf(resource: ResourceStatus, newest: string | undefined, rpoHours: number | undefined, asOf: Date): ResourceRpo {
  const { kind, account, region, resourceId } = resource;
  const ageHours = newest === undefined ? undefined : hoursBetween(newest, asOf);
  const status: RpoStatus =
    rpoHours === undefined ? 'no-target' : ageHours === undefined ? 'no-copy' : ageHours <= rpoHours ? 'met' : 'breached';
  return { kind, account, region, resourceId, newestAvailableAt: newest, ageHours, rpoHours, status };
}

/**
 * RPO compliance per account, in the order the accounts first appear.
 *
 * @example
 * rpoByAccount(rows); // [{ account: '111111111111', resources: 4, met: 3, breached: 1, noCopy: 0, noTarget: 0, compliancePercent: 75, worstAgeHours: 30 }]
 */
export function rpoByAccount(rows: readonly ResourceRpo[]): AccountRpo[] {
  const accounts = new Map<string, AccountRpo>();
  for (const row of rows) {
    let a = accounts.get(row.account);
    if (!a) {
      a = { account: row.account, resources: 0, met: 0, breached: 0, noCopy: 0, noTarget: 0 };
      accounts.set(row.account, a);
    }
    a.resources += 1;
    if (row.status === 'met') a.met += 1;
    else if (row.status === 'breached') a.breached += 1;
    else if (row.status === 'no-copy') a.noCopy += 1;
    else a.noTarget += 1;
    if (row.rpoHours !== undefined && row.ageHours !== undefined && (a.worstAgeHours === undefined || row.ageHours > a.worstAgeHours))
      a.worstAgeHours = row.ageHours;
  }
  for (const a of accounts.values()) {
    const targeted = a.resources - a.noTarget;
    if (targeted > 0) a.compliancePercent = (100 * a.met) / targeted;
  }
  return [...accounts.values()];
}
