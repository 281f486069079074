import { SourceKeys } from '../aws/source-keys.js';
import { SourceSessions } from '../aws/source-sessions.js';
import { resourceKey } from '../catalog/recovery-point.js';
import { type ArtifactKind, type KindDeps, RECORDED_ATTRIBUTES, type RecordedPoint } from '../kinds/common/artifact-kind.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { HubContext } from '../runtime/hub-context.js';

const built = new WeakMap<HubContext, Map<ArtifactKindName, KindDeps<unknown>>>();

/**
 * What a kind's operations receive from the hub context, built once per context and kind (its
 * sessions are cached there): its own SDK client (made by the kind's factory, so a handler bundles
 * only its kind's), its reader role in the sources with the function as source identity, the
 * sources' keys through that role, what the catalog holds of a resource, the vault and the clock;
 * never the context itself. A function that acts for several kinds (the reconciler and
 * the sweeps, `kindRolePrefix` set) makes the kind's calls through the kind's own vault role, so its own role
 * holds no kind's permissions.
 */
export function kindDeps<C>(kind: ArtifactKind<ArtifactKindName, C>, ctx: HubContext): KindDeps<C> {
  let byKind = built.get(ctx);
  if (!byKind) {
    byKind = new Map();
    built.set(ctx, byKind);
  }
  let deps = byKind.get(kind.name) as KindDeps<C> | undefined;
  if (!deps) {
    deps = build(kind, ctx);
    byKind.set(kind.name, deps as KindDeps<unknown>);
  }
  return deps;
}

function build<C>(kind: ArtifactKind<ArtifactKindName, C>, ctx: HubContext): KindDeps<C> {
  const { config, aws } = ctx;
  const sourceIdentity = config.functionName;
  const acting =
    config.kindRolePrefix === undefined
      ? undefined
      : new SourceSessions(
          aws,
          {
            region: config.vaultRegion,
            roleName: `${config.kindRolePrefix}${kind.name}`,
            sessionName: sourceIdentity ?? 'backup-hub-reconciler',
            sourceIdentity,
            deployHint: `redeploy the vault stack: its ${kind.name} role must trust the reconciler's and the sweeps' roles`,
          },
          ctx.now,
        ).credentials(config.vaultAccountId);
  const readers = new SourceSessions(
    aws,
    {
      region: config.vaultRegion,
      roleName: `${config.readerRoleName}-${kind.name}`,
      externalId: config.externalId,
      // Named after the function, as CloudTrail shows it: the sweep's listings are told from the handlers'.
      sessionName: sourceIdentity ?? 'backup-hub-vault',
      sourceIdentity,
      credentials: acting,
    },
    ctx.now,
  );
  return {
    vault: { account: config.vaultAccountId, region: config.vaultRegion, keyArn: config.vaultKeyArn },
    client: (region, credentials) => kind.sdk(aws, region, credentials ?? acting),
    reader: (account) => readers.credentials(account),
    keys: new SourceKeys(aws, readers, config.shareKeyAlias, ctx.sources),
    recorded: (account, region, resourceId) =>
      ctx.catalog.byResource<RecordedPoint>(resourceKey(kind.name, account, region, resourceId), RECORDED_ATTRIBUTES),
    now: ctx.now,
  };
}
