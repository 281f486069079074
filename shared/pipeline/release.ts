import { pointFacts } from '../audit/audit-entry.js';
import { describeError, isDeterministicAwsError } from '../aws/aws-errors.js';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import { Rejection } from '../core/errors.js';
import type { ArtifactKind } from '../kinds/common/artifact-kind.js';
import type { HubContext } from '../runtime/hub-context.js';
import { kindDeps } from './kind-deps.js';

/** How a point's life ended, when the hub takes back from its source what it shared or made there. */
export type PointEnd = 'failed' | 'pruned' | 'lost';

/**
 * Removes what the hub left in a point's source (the vault's access to the artifact, the intermediate
 * copies it made), records each removal in the audit log, and clears the point's residue. A source that
 * refuses for good is recorded as what an operator must remove, on the point and in the audit log.
 * Transient errors are thrown: the point stays listed as residue and the reconciler tries again.
 *
 * @example
 * await releaseSource(failedPoint, ebsSnapshot, ctx, 'failed');
 */
export async function releaseSource(point: RecoveryPoint, kind: ArtifactKind, ctx: HubContext, end: PointEnd): Promise<RecoveryPoint> {
  let leftInSource: string | undefined;
  try {
    for (const removed of await kind.cleanup(point, kindDeps(kind, ctx), 'abandoned'))
      await ctx.audit.append({ decision: 'cleaned', reason: `${removed} (the point ${end})`, ...pointFacts(point) });
  } catch (error) {
    leftInSource = leftBehind(point, error);
    if (leftInSource === undefined) throw error;
    await ctx.audit.append({ decision: 'cleaned', reason: `${leftInSource} (the point ${end})`, ...pointFacts(point) });
  }
  return ctx.catalog.update(point, { residue: undefined, leftInSource });
}

/**
 * Runs the cleanup after a completed copy. A source that refuses for good (lost in a disaster, its
 * reader role gone) must not keep a finished vault copy from counting: what was left is returned, for
 * an operator. Transient errors are thrown.
 */
export async function cleanUpAfterCopy(point: RecoveryPoint, kind: ArtifactKind, ctx: HubContext): Promise<string | undefined> {
  try {
    await kind.cleanup(point, kindDeps(kind, ctx), 'completed');
    return undefined;
  } catch (error) {
    const left = leftBehind(point, error);
    if (left === undefined) throw error;
    return left;
  }
}

/** What a refusal for good leaves in the source, for an operator; undefined when the error is worth retrying. */
function leftBehind(point: RecoveryPoint, error: unknown): string | undefined {
  if (!(error instanceof Rejection) && !isDeterministicAwsError(error)) return undefined;
  const left = point.intermediateId ? `the share and the intermediate copy ${point.intermediateId}` : 'the share with the vault';
  const because = error instanceof Rejection ? `${error.code}: ${error.message}` : describeError(error);
  return `could not clean up in ${point.account}/${point.region} (${because}): remove ${left} by hand if the account still exists`;
}
