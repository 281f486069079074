import type { HubConfig } from '../config/hub-config.js';
import type { ArtifactKindName } from '../kinds/index.js';

/**
 * Names one concurrent-copy quota: AWS counts copies of a kind per destination account and
 * region. The vault's own copies use the vault's; the re-encryption of an artifact in its
 * source uses that source's.
 */
export function copyQuotaKey(kind: ArtifactKindName, account: string, region: string): string {
  return `${kind}:${account}:${region}`;
}

/** Every quota a kind's copies can wait on: the vault's, then each allowed source region's. */
export function copyQuotaKeys(kind: ArtifactKindName, config: HubConfig): string[] {
  const sources = Object.entries(config.allowedSources).flatMap(([account, regions]) =>
    regions.map((region) => copyQuotaKey(kind, account, region)),
  );
  return [copyQuotaKey(kind, config.vaultAccountId, config.vaultRegion), ...sources];
}
