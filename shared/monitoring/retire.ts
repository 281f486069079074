import { resourceKey } from '../catalog/recovery-point.js';
import { ARTIFACT_KINDS, type ArtifactKindName, isArtifactKindName } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';

/** Why a retirement was refused: said so the operator knows what to type instead. */
export class RetireRefused extends Error {
  override name = 'RetireRefused';
}

interface ResourceRef {
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
}

/**
 * Reads `<kind>/<account>/<region>/<resource id>` (the id may hold slashes: an SSM parameter name).
 * @throws RetireRefused for anything else
 */
export function resourceRefOf(reference: string): ResourceRef {
  const match = /^([a-z-]+)\/(\d{12})\/([a-z0-9-]+)\/(.+)$/.exec(reference);
  if (!match || !isArtifactKindName(match[1]!))
    throw new RetireRefused(
      `${JSON.stringify(reference)} names no resource: write <kind>/<account>/<region>/<resource id> (kind one of ${ARTIFACT_KINDS.join(', ')}), e.g. ebs-snapshot/111111111111/eu-west-1/vol-0123456789abcdef0`,
    );
  return { kind: match[1], account: match[2]!, region: match[3]!, resourceId: match[4]! };
}

/**
 * Stops counting a resource against its RPO target (it was decommissioned, say): its recovery points
 * and vault copies stay. Audited with who and why. A new recovery point of it counts it again.
 * @throws RetireRefused when the catalog does not know it or it is retired already
 */
export async function retireResource(ctx: HubContext, ref: ResourceRef, retirement: { reason: string; by: string }): Promise<void> {
  const pk = resourceKey(ref.kind, ref.account, ref.region, ref.resourceId);
  const retired = await ctx.catalog.retire(pk, { at: ctx.now().toISOString(), ...retirement });
  if (!retired) {
    const known = await ctx.catalog.resource(pk);
    throw new RetireRefused(
      known?.retired
        ? `${pk} was already retired at ${known.retired.at} by ${known.retired.by}: ${known.retired.reason}`
        : `the catalog knows no resource ${pk} (none of its recovery points became available or failed)`,
    );
  }
  await ctx.audit.append({ decision: 'retired', reason: `retired by ${retirement.by}: ${retirement.reason}`, ...facts(ref) });
}

/**
 * Counts a retired resource against its RPO target again.
 * @throws RetireRefused when it is not retired
 */
export async function unretireResource(ctx: HubContext, ref: ResourceRef, by: string): Promise<void> {
  const pk = resourceKey(ref.kind, ref.account, ref.region, ref.resourceId);
  const before = await ctx.catalog.resource(pk);
  if (!(await ctx.catalog.unretire(pk))) throw new RetireRefused(`${pk} is not retired`);
  await ctx.audit.append({
    decision: 'unretired',
    reason: `counted against its RPO target again, by ${by}${before?.retired ? ` (retired at ${before.retired.at} by ${before.retired.by}: ${before.retired.reason})` : ''}`,
    ...facts(ref),
  });
}

const facts = (ref: ResourceRef) => ({ kind: ref.kind, account: ref.account, region: ref.region, sourceId: ref.resourceId });
