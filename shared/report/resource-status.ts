import { ARTIFACT_KINDS, type ArtifactKindName } from '../kinds/index.js';
import { type AuditedPoint, compare, POINT_STATES, type PointState } from './audited-point.js';

/** One protected resource (a volume, database, parameter…) and what the vault holds for it. */
export interface ResourceStatus {
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  points: Record<PointState, number>;
  /** The newest recovery point that can be restored from, with its copies in further regions. */
  newestAvailable?: Pick<AuditedPoint, 'sourceId' | 'createdAt' | 'vaultCopyId' | 'completedAt' | 'copies'>;
  /** Per further vault region (the DR region): the newest recovery point whose copy there is available. */
  newestInRegion: Record<string, { sourceId: string; createdAt: string }>;
  /** The newest recovery point whatever its state, with why it failed when it did. */
  newest: { sourceId: string; createdAt: string; state: PointState; failureReason?: string };
}

/**
 * Folds recovery points, in any order, into one status per resource.
 *
 * @example
 * const tally = new ResourceTally();
 * for await (const point of catalog.byAccount('111111111111')) tally.add(point);
 * tally.resources(); // [{ resourceId: 'vol-a', points: { available: 3, … }, newestAvailable: … }]
 */
export class ResourceTally {
  readonly #byResource = new Map<string, ResourceStatus>();

  add(point: AuditedPoint): void {
    let status = this.#byResource.get(point.resourcePk);
    if (!status) {
      status = {
        kind: point.kind,
        account: point.account,
        region: point.region,
        resourceId: point.resourceId,
        points: Object.fromEntries(POINT_STATES.map((s) => [s, 0])) as Record<PointState, number>,
        newestInRegion: {},
        newest: { sourceId: point.sourceId, createdAt: point.createdAt, state: point.state, failureReason: point.failureReason },
      };
      this.#byResource.set(point.resourcePk, status);
    } else if (point.createdAt > status.newest.createdAt) {
      status.newest = { sourceId: point.sourceId, createdAt: point.createdAt, state: point.state, failureReason: point.failureReason };
    }
    status.points[point.state] += 1;
    if (point.state === 'available' && (!status.newestAvailable || point.createdAt > status.newestAvailable.createdAt)) {
      const { sourceId, createdAt, vaultCopyId, completedAt, copies } = point;
      status.newestAvailable = { sourceId, createdAt, vaultCopyId, completedAt, copies };
    }
    if (point.state !== 'available') return;
    for (const copy of point.copies ?? []) {
      const newest = status.newestInRegion[copy.region];
      if (copy.state === 'available' && (!newest || point.createdAt > newest.createdAt))
        status.newestInRegion[copy.region] = { sourceId: point.sourceId, createdAt: point.createdAt };
    }
  }

  /** One resource's status, if any of its points was read. */
  get(resourcePk: string): ResourceStatus | undefined {
    return this.#byResource.get(resourcePk);
  }

  /** Every resource, by account, region, kind (in the documented order) and id. */
  resources(): ResourceStatus[] {
    return [...this.#byResource.values()].sort(
      (a, b) =>
        compare(a.account, b.account) ||
        compare(a.region, b.region) ||
        ARTIFACT_KINDS.indexOf(a.kind) - ARTIFACT_KINDS.indexOf(b.kind) ||
        compare(a.resourceId, b.resourceId),
    );
  }
}
