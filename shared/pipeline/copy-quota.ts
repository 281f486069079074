import type { HubConfig } from '../config/hub-config.js';
import { copyQuotaKey } from '../core/copy-quota.js';
import type { ArtifactKindName } from '../kinds/index.js';

/** Every quota a kind's copies can wait on: the vault's, then each allowed source region's. */
export function copyQuotaKeys(kind: ArtifactKindName, config: HubConfig): string[] {
  const sources = Object.entries(config.allowedSources).flatMap(([account, regions]) =>
    regions.map((region) => copyQuotaKey(kind, account, region)),
  );
  return [copyQuotaKey(kind, config.vaultAccountId, config.vaultRegion), ...sources];
}
