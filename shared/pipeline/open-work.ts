import type { HubContext } from '../runtime/hub-context.js';
import { waitingRegions } from './copy-quota.js';

/**
 * (As the reconciler sees it: it lists every source.) Whether any recovery point is still pending (in a
 * stage, or waiting for a copy slot: those are listed per destination region, not as pending), or
 * settled with something still to remove from its source.
 */
export async function hasOpenWork(ctx: HubContext): Promise<boolean> {
  for await (const _ of ctx.catalog.byState('pending')) return true;
  for await (const _ of ctx.catalog.byState('residue')) return true;
  for await (const _ of ctx.catalog.byState('copy-pending')) return true;
  for (const region of await waitingRegions(ctx)) for await (const _ of ctx.catalog.waiting(region, 1)) return true;
  return false;
}
