import type { ArtifactKindName } from '../kinds/index.js';
import { POINT_STATES, type PointState } from './audited-point.js';
import type { ResourceStatus } from './resource-status.js';

/** What the vault protects in one account, region and kind. */
export interface CoverageRow {
  account: string;
  region: string;
  kind: ArtifactKindName;
  /** Resources the vault has seen (an event announced them and the source confirmed them). */
  resources: number;
  /** Resources with at least one available vault copy. */
  protected: number;
  /** Seen, but no vault copy was ever made (every attempt failed or is still pending). */
  neverCopied: number;
  /** Had vault copies, all of them pruned since. */
  noLongerProtected: number;
  /** With an available copy in the vault's region and in its DR region (set when it has one). */
  protectedInBothRegions?: number;
  /** Had vault copies and lost them (the integrity sweep found them gone): no protection left. */
  lost: number;
  points: Record<PointState, number>;
}

/**
 * Groups resource statuses by account, region and kind (in the order they come).
 *
 * @example
 * coverage(tally.resources()); // [{ account: '111111111111', region: 'eu-west-1', kind: 'ebs-snapshot', resources: 2, protected: 1, neverCopied: 1, … }]
 */
export function coverage(resources: readonly ResourceStatus[], drRegion?: string): CoverageRow[] {
  const rows = new Map<string, CoverageRow>();
  for (const r of resources) {
    const key = `${r.account}|${r.region}|${r.kind}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        account: r.account,
        region: r.region,
        kind: r.kind,
        resources: 0,
        protected: 0,
        neverCopied: 0,
        noLongerProtected: 0,
        ...(drRegion ? { protectedInBothRegions: 0 } : {}),
        lost: 0,
        points: Object.fromEntries(POINT_STATES.map((s) => [s, 0])) as Record<PointState, number>,
      };
      rows.set(key, row);
    }
    row.resources += 1;
    if (drRegion && r.newestAvailable && r.newestInRegion[drRegion]) row.protectedInBothRegions! += 1;
    if (r.newestAvailable) row.protected += 1;
    else if (r.points.lost > 0) row.lost += 1;
    else if (r.points.pruned > 0) row.noLongerProtected += 1;
    else row.neverCopied += 1;
    for (const state of POINT_STATES) row.points[state] += r.points[state];
  }
  return [...rows.values()];
}
