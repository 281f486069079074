import type { HubContext } from '../runtime/hub-context.js';
import { furtherRegions } from './region-copy.js';

/**
 * Every region a copy can wait for a slot in: the vault's own regions, and each recorded source's
 * (where a source's re-encrypting copy counts against that source's quota). Waiting points are listed
 * per region, so the reconciler reads one partition per region, not one per kind, account and region.
 */
export async function waitingRegions(ctx: HubContext): Promise<string[]> {
  const sources = [...(await ctx.sources.all()).values()].flatMap(({ regions }) => regions);
  return [...new Set([ctx.config.vaultRegion, ...furtherRegions(ctx), ...sources])];
}
