import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { ArtifactKindName } from '../kinds/index.js';
import { asRegionCopy, furtherRegions } from '../pipeline/region-copy.js';
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
  landingRegion(request, ctx); // refuses a bad --from-region or --to-region before anything is read
  const from = request.fromRegion;
  // The point as it is in the region restored from: there, its vault copy is its copy in that region.
  const inRegion = (point: RecoveryPoint): RecoveryPoint | undefined => {
    if (point.state !== 'available') return undefined;
    if (from === undefined) return point;
    const copy = point.copies?.find((c) => c.region === from && c.state === 'available');
    return copy && asRegionCopy(point, copy);
  };
  if ('point' in request) {
    const point = await ctx.catalog.get(request.point);
    if (!point)
      throw new RestoreRequestError(
        `there is no recovery point ${request.point} in the catalog (an SSM parameter version is named with its life: <name>:<version>#<life>, as the audit and the drill report show it)`,
      );
    const usable = inRegion(point);
    if (!usable)
      throw new RestoreRequestError(`${request.point} cannot be restored${from ? ` from ${from}` : ''}: ${stateOf(point, from)}`);
    return { points: [usable], unrestorable: [] };
  }
  // Oldest first: the last point seen of a resource is its newest, the last available one its newest usable.
  const resources = new Map<string, { newest: RecoveryPoint; usable?: RecoveryPoint }>();
  for await (const point of ctx.catalog.byAccount(request.account, { to: request.asOf.toISOString() })) {
    const seen = resources.get(point.resourcePk);
    resources.set(point.resourcePk, { newest: point, usable: inRegion(point) ?? seen?.usable });
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
        reason: `no available recovery point${from ? ` in ${from}` : ''}; the newest (${newest.sourceId}) ${stateOf(newest, from)}`,
      });
  }
  return selection;
}

/**
 * The region a restore lands in: `toRegion`, else the region restored from, which must be one of the
 * vault's (only they hold vault copies). `toRegion` must be another region: a vault region, or another
 * region of the recovery account, where the vault keeps its restore key (restoreTarget finds it, or
 * says what to deploy).
 * @throws RestoreRequestError saying which regions to name
 */
export function landingRegion(request: Pick<RestoreRequest, 'fromRegion' | 'toRegion'>, ctx: Pick<HubContext, 'config'>): string {
  const { fromRegion: from, toRegion: to } = request;
  if (from !== undefined && !furtherRegions(ctx).includes(from))
    throw new RestoreRequestError(
      `--from-region ${from}: the vault keeps copies in ${ownRegions(ctx).join(' and ')} only${from === ctx.config.vaultRegion ? ' (leave --from-region out to restore from the vault region)' : ''}`,
    );
  const source = from ?? ctx.config.vaultRegion;
  if (to === undefined) return source;
  if (to === source)
    throw new RestoreRequestError(
      `--to-region ${to} is the region restored from: leave --to-region out (the restore lands there; no copy across regions is needed)`,
    );
  if (!REGION_NAME.test(to)) throw new RestoreRequestError(`--to-region ${to} is no AWS region name (such as us-east-1)`);
  return to;
}

/**
 * The vault region whose restore role, catalog and audit log a restore uses: the region it lands in
 * when that is one of the vault's (its restore keys are there), else the region it restores from.
 * @throws RestoreRequestError as landingRegion
 */
export function restoreRoleRegion(request: Pick<RestoreRequest, 'fromRegion' | 'toRegion'>, ctx: Pick<HubContext, 'config'>): string {
  const to = landingRegion(request, ctx);
  return ownRegions(ctx).includes(to) ? to : (request.fromRegion ?? ctx.config.vaultRegion);
}

const ownRegions = (ctx: Pick<HubContext, 'config'>) => [ctx.config.vaultRegion, ...furtherRegions(ctx)];
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function stateOf(point: RecoveryPoint, from?: string): string {
  const copy = from === undefined || point.state !== 'available' ? undefined : point.copies?.find((c) => c.region === from);
  if (from !== undefined && point.state === 'available')
    return copy?.state === 'failed'
      ? `has no copy in ${from}: it failed (${copy.failureReason ?? 'no reason recorded'})`
      : `has no copy in ${from} yet${copy ? ` (${copy.state})` : ''}`;
  if (point.state === 'failed') return `failed: ${point.failureReason ?? 'no reason recorded'}`;
  if (point.state === 'pruned') return `was pruned${point.prunedAt ? ` at ${point.prunedAt}` : ''}: its vault copy is gone`;
  return `is still being copied (${point.stage})`;
}
