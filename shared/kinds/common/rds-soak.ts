import { DB_SNAPSHOT, type RdsFamily, snapshotCreatedEvent } from '@backup-hub/aws-sim';
import { replaceInEvent, type SoakKind, sourceOf } from '../../../bench/soak-kind.js';

/** How the soak makes an RDS snapshot of either family: manual or automated, of a random encryption, taken silently. */
export function rdsSoak(kind: 'rds-snapshot' | 'rds-cluster-snapshot', family: RdsFamily, share: number): SoakKind {
  // CopyDBClusterSnapshot cannot encrypt an unencrypted snapshot: the hub records those as failed, which the soak does not exercise.
  const encryptions = family === DB_SNAPSHOT ? (['none', 'aws-managed', 'cmk'] as const) : (['aws-managed', 'cmk'] as const);
  return {
    kind,
    share,
    quotaBound: true,
    create(hub, owner, region, pick) {
      const resource = `soak-${family.family}-${hub.rds.snapshots(family).length}`;
      const spec = { type: pick(['manual', 'automated'] as const), encryption: pick(encryptions), emit: false };
      const snapshot =
        family === DB_SNAPSHOT
          ? hub.rds.createDBSnapshot(owner, region, { ...spec, db: resource })
          : hub.rds.createDBClusterSnapshot(owner, region, { ...spec, cluster: resource });
      const announce = () => snapshotCreatedEvent(family, snapshot, new Date(snapshot.availableAt));
      return {
        announce,
        shareWith: (account) => snapshot.sharedWith.add(account),
        inRegion: (other) => replaceInEvent(announce(), `:rds:${region}:`, `:rds:${other}:`),
      };
    },
    vaultCopies: (hub) =>
      hub.rds
        .snapshots(family, hub.config.vaultAccountId)
        .map((s) => ({ kind, region: s.region, source: sourceOf(s.tags), startMs: s.createdAt.getTime(), endMs: s.availableAt })),
  };
}
