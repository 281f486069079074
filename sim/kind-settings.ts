import type { Statement } from '../accounts/stack/cloudformation.js';
import { eachRecoveryAccountOf, eachSourceOf, type KindManifest } from '../shared/kinds/common/manifest.js';
import { KINDS, type ArtifactKindName } from '../shared/kinds/index.js';

/** What the deployment declares for one kind (its manifest), with the IAM actions each role gets for it. */
export interface KindSettings {
  manifest: KindManifest;
  actions: Record<'vault' | 'reader' | 'prune' | 'restore' | 'recovery', string[]>;
}

/** The accounts the simulated hub is deployed to, as the kinds' statements need them. */
export interface Deployment {
  vault: string;
  region: string;
  sources: { account: string; regions: string[] }[];
  recovery: string[];
}

/** Every kind's manifest, from which the simulated hub is wired exactly as the stack, and the actions its statements grant. */
export function kindSettings(d: Deployment): Record<ArtifactKindName, KindSettings> {
  // Only the actions are read: the simulated roles are built from them, not from the resources.
  const scope = {
    vaultAccount: d.vault,
    vaultRegion: d.region,
    vaultKeyArn: `arn:aws:kms:${d.region}:${d.vault}:alias/backup-hub-vault`,
    eachSource: eachSourceOf(d.sources.flatMap((s) => s.regions.map((region) => ({ account: s.account, region })))),
    keyAliases: [],
    eachRecoveryAccount: eachRecoveryAccountOf(d.recovery),
  };
  return Object.fromEntries(
    KINDS.map(({ module, manifest }) => [
      module.name,
      {
        manifest,
        actions: {
          vault: actionsOf(manifest.vault(scope)),
          reader: actionsOf(manifest.reader(scope)),
          prune: actionsOf(manifest.prune(scope)),
          restore: actionsOf(manifest.restore(scope)),
          recovery: actionsOf(manifest.recovery?.(scope)),
        },
      },
    ]),
  ) as Record<ArtifactKindName, KindSettings>;
}

/** The IAM actions statements grant, for the simulated roles. */
function actionsOf(statements: Statement[] | undefined): string[] {
  return (statements ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action as string]));
}
