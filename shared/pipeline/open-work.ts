import { ARTIFACT_KINDS } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';
import { copyQuotaKeys } from './copy-quota.js';

/**
 * (As the reconciler sees it: it lists every source.) Whether any recovery point is still pending (in a
 * stage, or waiting for a copy slot: those are listed per quota, not as pending), or settled with
 * something still to remove from its source.
 */
export async function hasOpenWork(ctx: HubContext): Promise<boolean> {
  for await (const _ of ctx.catalog.byState('pending')) return true;
  for await (const _ of ctx.catalog.byState('residue')) return true;
  for await (const _ of ctx.catalog.byState('copy-pending')) return true;
  for (const kind of ARTIFACT_KINDS) {
    for (const quota of await copyQuotaKeys(kind, ctx)) for await (const _ of ctx.catalog.waiting(quota, 1)) return true;
  }
  return false;
}
