import type { ArtifactKind, KindDeps } from '../kinds/common/artifact-kind.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';

/**
 * What a kind's operations receive from the hub context: its own SDK client (made by the kind's
 * factory, so a handler bundles only its kind's), the sources' reader role and keys, the vault and
 * the clock; never the context itself.
 */
export function kindDeps<C>(kind: ArtifactKind<ArtifactKindName, C>, ctx: HubContext): KindDeps<C> {
  return {
    vault: { account: ctx.config.vaultAccountId, region: ctx.config.vaultRegion, keyArn: ctx.config.vaultKeyArn },
    client: (region, credentials) => kind.sdk(ctx.aws, region, credentials),
    reader: (account) => ctx.sessions.credentials(account),
    keys: ctx.keys,
    now: ctx.now,
  };
}
