import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { Rejection } from '../core/errors.js';
import type { RestoreAction, RestoreTarget } from '../kinds/common/artifact-kind.js';
import { ARTIFACT_KINDS, artifactKind } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';
import { type RestoreRequest, RestoreRequestError } from './restore-request.js';
import { landingRegion, selectPoints, type Unrestorable } from './restore-selection.js';

export interface RestoreItem {
  point: RecoveryPoint;
  /** The calls the restore of this point makes, in order. */
  actions: RestoreAction[];
}

/** Everything a restore will do, decided before anything is done: the dry run prints it, `--apply` carries it out. */
export interface RestorePlan {
  request: RestoreRequest;
  target: RestoreTarget;
  /** The vault region of the copies restored, and the region the restore lands in (the target's). */
  regions: { from: string; to: string };
  items: RestoreItem[];
  unrestorable: Unrestorable[];
}

/**
 * Decides what restoring `request` into `target` means: which points, and per point the calls its
 * kind makes. Read-only, apart from assuming the recovery role when a point needs it, so that a
 * recovery account without its stack fails here and not half-way through.
 * @throws RestoreRequestError
 *
 * @example
 * const plan = await planRestore({ account: '111111111111', asOf: new Date() }, target, ctx);
 * console.log(formatPlan(plan).join('\n'));
 */
export async function planRestore(request: RestoreRequest, target: RestoreTarget, ctx: HubContext): Promise<RestorePlan> {
  const regions = { from: request.fromRegion ?? ctx.config.vaultRegion, to: landingRegion(request, ctx) };
  if (target.region !== regions.to)
    throw new RestoreRequestError(`the restore lands in ${regions.to}, but its target was looked up in ${target.region}`);
  const { points, unrestorable } = await selectPoints(request, ctx);
  const items = points
    .sort((a, b) => ARTIFACT_KINDS.indexOf(a.kind) - ARTIFACT_KINDS.indexOf(b.kind) || a.resourceId.localeCompare(b.resourceId))
    .map((point) => ({ point, actions: artifactKind(point.kind).restoreActions(point, target) }));
  if (items.some((item) => item.actions.some((a) => a.call === 'sts:AssumeRole'))) await checkWriter(target);
  return { request, target, regions, items, unrestorable };
}

async function checkWriter(target: RestoreTarget): Promise<void> {
  try {
    if (typeof target.writer === 'function') await target.writer();
  } catch (error) {
    if (error instanceof Rejection) throw new RestoreRequestError(error.message);
    throw error;
  }
}

/** How an artifact is named in the plan and the log: kind, resource, and the recovery point it comes from. */
export function itemLabel(point: RecoveryPoint): string {
  return `${point.kind} ${point.resourceId} (${point.sourceId} of ${point.createdAt})`;
}

/** Where a plan restores from (and, across regions, into), as its first line says it. */
function from({ request, regions }: RestorePlan): string {
  if (regions.from === regions.to) return request.fromRegion ? `, from the vault copies in ${regions.from}` : '';
  return ` in ${regions.to}, from the vault copies in ${regions.from} (each copied into ${regions.to} first)`;
}

/** The plan as the dry run prints it. */
export function formatPlan(plan: RestorePlan): string[] {
  const what =
    'point' in plan.request
      ? `recovery point ${plan.request.point}`
      : `account ${plan.request.account} as of ${plan.request.asOf.toISOString()}`;
  const lines = [
    `restore of ${what} into ${plan.target.account}${from(plan)}`,
    `  restore key: ${plan.target.keyAlias} (${plan.target.keyArn})`,
    `  ${plan.items.length} artifact(s) to make usable there:`,
  ];
  plan.items.forEach(({ point, actions }, i) => {
    lines.push(`  ${i + 1}. ${itemLabel(point)}, vault copy ${point.vaultCopyId}`);
    for (const action of actions) lines.push(`       ${action.call.padEnd(34)} ${action.what}`);
  });
  if (plan.unrestorable.length) {
    lines.push(`  ${plan.unrestorable.length} resource(s) cannot be restored:`);
    for (const u of plan.unrestorable) lines.push(`   - ${u.kind} ${u.resourceId} (${u.account}/${u.region}): ${u.reason}`);
  }
  return lines;
}
