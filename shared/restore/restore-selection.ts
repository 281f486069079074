import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';
import { type RestoreRequest, RestoreRequestError } from './restore-request.js';

/** A protected resource the restore cannot bring back, and why. */
export interface Unrestorable {
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  reason: string;
}

export interface RestoreSelection {
  /** The recovery points to restore, one per protected resource. */
  points: RecoveryPoint[];
  unrestorable: Unrestorable[];
}

/**
 * The recovery points a request means. For an account: per protected resource, its newest
 * available point created at or before `asOf`; a resource without one is listed as unrestorable
 * with the state of its newest point.
 * @throws RestoreRequestError when a named point does not exist or holds no vault copy, or the account has no point at all
 */
export async function selectPoints(request: RestoreRequest, ctx: HubContext): Promise<RestoreSelection> {
  if ('point' in request) {
    const point = await ctx.catalog.get(request.point);
    if (!point)
      throw new RestoreRequestError(
        `there is no recovery point ${request.point} in the catalog (an SSM parameter version is named with its life: <name>:<version>#<life>, as the audit and the drill report show it)`,
      );
    if (point.state !== 'available') throw new RestoreRequestError(`${request.point} cannot be restored: ${stateOf(point)}`);
    return { points: [point], unrestorable: [] };
  }
  // Oldest first: the last point seen of a resource is its newest, the last available one its newest usable.
  const resources = new Map<string, { newest: RecoveryPoint; usable?: RecoveryPoint }>();
  for await (const point of ctx.catalog.byAccount(request.account, { to: request.asOf.toISOString() })) {
    const seen = resources.get(point.resourcePk);
    resources.set(point.resourcePk, { newest: point, usable: point.state === 'available' ? point : seen?.usable });
  }
  if (resources.size === 0)
    throw new RestoreRequestError(
      `the catalog holds no recovery point of account ${request.account} created by ${request.asOf.toISOString()}`,
    );
  const selection: RestoreSelection = { points: [], unrestorable: [] };
  for (const { newest, usable } of resources.values()) {
    if (usable) selection.points.push(usable);
    else
      selection.unrestorable.push({
        kind: newest.kind,
        account: newest.account,
        region: newest.region,
        resourceId: newest.resourceId,
        reason: `no available recovery point; the newest (${newest.sourceId}) ${stateOf(newest)}`,
      });
  }
  return selection;
}

function stateOf(point: RecoveryPoint): string {
  if (point.state === 'failed') return `failed: ${point.failureReason ?? 'no reason recorded'}`;
  if (point.state === 'pruned') return `was pruned${point.prunedAt ? ` at ${point.prunedAt}` : ''}: its vault copy is gone`;
  return `is still being copied (${point.stage})`;
}
