import { parameterChangeEvent } from '@backup-hub/aws-sim';
import { CONFIG_PREFIX, ssmStoreBucket } from '../../../accounts/stack/names.js';
import type { SoakKind } from '../../../bench/soak-kind.js';

/**
 * The shapes of a soak parameter: most have one version; some were written past the 100 versions
 * Parameter Store keeps before their first event (the vault copies the newest 100 and records the
 * rest as missed); some are deleted and created again once the burst has settled (the new life is
 * copied beside the old one, its version 1 no duplicate of the old version 1).
 */
const SHAPES = [...Array<'plain'>(18).fill('plain'), 'long', 'recreated'] as const;
const LONG_VERSIONS = [104, 120, 150] as const;

/** How the soak makes an SSM parameter: versions of a random type, written silently. */
export const soak: SoakKind = {
  kind: 'ssm-parameter',
  share: 0.2,
  quotaBound: false,
  create(hub, owner, region, pick) {
    // The owner in the name: a forged event from another account names a parameter that account does not have.
    const name = `/soak/${owner}/app-${hub.ssm.parameters(owner, region).length}/secret`;
    const type = pick(['String', 'StringList', 'SecureString'] as const);
    const shape = pick(SHAPES);
    const write = (value: string) => hub.ssm.putParameter(owner, region, { name, value, type, overwrite: true }, { emit: false });
    let version = write(`soak-value-${name}-1`);
    for (let v = 2; v <= (shape === 'long' ? pick(LONG_VERSIONS) : 1); v++) version = write(`soak-value-${name}-${v}`);
    const announced = version;
    return {
      announce: () => parameterChangeEvent(hub.ssm.parameter(owner, region, name)!, 'Create', announced),
      ...(shape === 'recreated'
        ? {
            afterBurst() {
              hub.ssm.deleteParameter(owner, region, name);
              const first = write(`soak-value-${name}-second-life`);
              return parameterChangeEvent(hub.ssm.parameter(owner, region, name)!, 'Create', first);
            },
          }
        : {}),
    };
  },
  // Each stored object holds one version of one life; a second S3 version of a key would be a duplicate copy.
  // The configuration captures share the store under their own prefix: they are no parameter's copies.
  vaultCopies: (hub) =>
    [hub.config.vaultRegion, ...(hub.config.drRegion ? [hub.config.drRegion] : [])].flatMap((region) =>
      (hub.s3.bucket(ssmStoreBucket(hub.config.vaultAccountId, region))?.listVersions() ?? [])
        .filter((v) => !v.key.startsWith(CONFIG_PREFIX))
        .map((v) => ({
          kind: 'ssm-parameter' as const,
          region,
          source: v.key,
          startMs: v.lastModified,
          endMs: v.lastModified,
        })),
    ),
};
