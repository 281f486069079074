import { copyQuotaKey } from '../core/copy-quota.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';
import { furtherRegions } from './region-copy.js';

/** Every quota a kind's copies can wait on: the vault's in each of its regions, then each recorded source region's. */
export async function copyQuotaKeys(kind: ArtifactKindName, ctx: HubContext): Promise<string[]> {
  const sources = [...(await ctx.sources.all())].flatMap(([account, { regions }]) =>
    regions.map((region) => copyQuotaKey(kind, account, region)),
  );
  const vault = [ctx.config.vaultRegion, ...furtherRegions(ctx)];
  return [...vault.map((region) => copyQuotaKey(kind, ctx.config.vaultAccountId, region)), ...sources];
}
