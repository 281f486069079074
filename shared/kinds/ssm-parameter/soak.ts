import { parameterChangeEvent } from '@backup-hub/aws-sim';
import type { SoakKind } from '../../../bench/soak-kind.js';

/** How the soak makes an SSM parameter: one version of a random type, written silently. */
export const soak: SoakKind = {
  kind: 'ssm-parameter',
  share: 0.2,
  quotaBound: false,
  create(hub, owner, region, pick) {
    const name = `/soak/app-${hub.ssm.parameters(owner, region).length}/secret`;
    const version = hub.ssm.putParameter(
      owner,
      region,
      { name, value: `soak-value-${name}`, type: pick(['String', 'StringList', 'SecureString'] as const) },
      { emit: false },
    );
    return { announce: () => parameterChangeEvent(hub.ssm.parameter(owner, region, name)!, 'Create', version) };
  },
  vaultCopies: (hub) =>
    hub.ssm
      .parameters(hub.config.vaultAccountId, hub.config.vaultRegion)
      .filter((p) => p.name.startsWith('/backup-hub/'))
      .flatMap((p) =>
        // The vault name keeps account, region and name; each vault version says which source version it holds.
        p.versions.map((v) => ({
          kind: 'ssm-parameter' as const,
          source: `${p.name}:${v.description ?? ''}`,
          startMs: v.lastModified.getTime(),
          endMs: v.lastModified.getTime(),
        })),
      ),
};
