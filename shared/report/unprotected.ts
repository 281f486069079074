import type { InventoryItem } from '../catalog/source-inventory.js';
import type { ArtifactKindName } from '../kinds/index.js';
import { ARTIFACT_KINDS } from '../kinds/index.js';
import { compare, hoursBetween } from './audited-point.js';
import type { ResourceTally } from './resource-status.js';

/**
 * A resource a source holds (as the inventory sweep last saw it) that nothing protects now: no
 * available recovery point ever, or none within its RPO target ("we can't back up what we don't
 * know exists").
 */
export interface UnprotectedResource {
  account: string;
  region: string;
  kind: ArtifactKindName;
  resourceId: string;
  tags: Record<string, string>;
  /** Hours from its newest available recovery point to the as-of time; absent when it never had one. */
  newestAgeHours?: number;
  rpoHours?: number;
  why: 'never protected' | 'older than its RPO';
}

/**
 * The unprotected resources among those the sweep saw, by account, region, kind and id.
 *
 * @example
 * unprotected(items, tally, (account, kind) => 24, asOf); // [{ kind: 'ebs-snapshot', resourceId: 'vol-0…', why: 'never protected', … }]
 */
export function unprotected(
  items: readonly InventoryItem[],
  tally: ResourceTally,
  rpoHoursOf: (account: string, kind: ArtifactKindName) => number | undefined,
  asOf: Date,
): UnprotectedResource[] {
  const rows: UnprotectedResource[] = [];
  for (const item of items) {
    const newest = tally.get(item.resourcePk)?.newestAvailable?.createdAt;
    const ageHours = newest === undefined ? undefined : hoursBetween(newest, asOf);
    const rpoHours = rpoHoursOf(item.account, item.kind);
    const why =
      ageHours === undefined ? 'never protected' : rpoHours !== undefined && ageHours > rpoHours ? 'older than its RPO' : undefined;
    if (!why) continue;
    const { account, region, kind, resourceId, tags } = item;
    rows.push({
      account,
      region,
      kind,
      resourceId,
      tags,
      ...(ageHours === undefined ? {} : { newestAgeHours: ageHours }),
      ...(rpoHours === undefined ? {} : { rpoHours }),
      why,
    });
  }
  return rows.sort(
    (a, b) =>
      compare(a.account, b.account) ||
      compare(a.region, b.region) ||
      ARTIFACT_KINDS.indexOf(a.kind) - ARTIFACT_KINDS.indexOf(b.kind) ||
      compare(a.resourceId, b.resourceId),
  );
}
