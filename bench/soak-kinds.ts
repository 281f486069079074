import type { ArtifactKindName } from '../shared/catalog/recovery-point.js';
import { TAG } from '../shared/kinds/provenance-tags.js';
import type { LocalHub } from '../drill/local-hub.js';
import { amiStateChangeEvent, DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, parameterChangeEvent, type RdsFamily, type ServiceEvent, settledSnapshotEvent, snapshotCreatedEvent, type VolumeEncryption } from '@backup-hub/aws-sim';

/** One vault copy as the simulated service holds it: the source artifact it copies, and the copy slot it kept busy. */
export interface VaultCopy {
  kind: ArtifactKindName;
  /** `<account>/<region>/<source id>`: two copies with the same key are a duplicate. */
  source: string;
  startMs: number;
  endMs: number;
}

/** An artifact created for the soak, and the ways an event can announce it. */
export interface SoakArtifact {
  /** The event AWS sends in the owner's account once the artifact is ready, built by the simulated service itself. */
  announce(): ServiceEvent;
  /** Lets another account see the artifact (how the kind is shared), so that its forged claim meets a foreign owner, not a missing artifact. */
  shareWith?(account: string): void;
  /** The announcement naming the artifact in another region, when the kind's event carries a region of its own. */
  inRegion?(region: string): ServiceEvent;
  /** The event AWS sends when making the artifact failed, when the kind has one. */
  failed?(): ServiceEvent;
}

/** How the soak makes and announces artifacts of one kind, and finds their vault copies. */
export interface SoakKind {
  kind: ArtifactKindName;
  /** Share of the input events that announce this kind. */
  share: number;
  /** Whether the vault's copies of this kind count against the soak's copy quota Q (EC2 and RDS limit copies in progress per destination region; SSM copies are synchronous writes). */
  quotaBound: boolean;
  /** Creates the artifact silently in the owner's account, as if taken before the burst. */
  create(hub: LocalHub, owner: string, region: string, pick: Picker): SoakArtifact;
  vaultCopies(hub: LocalHub): VaultCopy[];
}

export type Picker = <T>(from: readonly T[]) => T;

const ENCRYPTIONS: VolumeEncryption[] = ['none', 'cmk', 'aws-managed'];
/** Volume sizes, and with them EC2 copy durations, vary (the sim's copy time grows with size). */
const SIZES_GIB = [8, 30, 100, 250, 500];

const sourceOf = (tags: Map<string, string>) => [TAG.sourceAccount, TAG.sourceRegion, TAG.sourceId].map((t) => tags.get(t)).join('/');

const ebsSnapshot: SoakKind = {
  kind: 'ebs-snapshot',
  share: 0.4,
  quotaBound: true,
  create(hub, owner, region, pick) {
    const volume = hub.ec2.createVolume(owner, region, { encryption: pick(ENCRYPTIONS), sizeGiB: pick(SIZES_GIB) });
    const snapshot = hub.ec2.createSnapshot(owner, region, { volumeId: volume.id, emit: false });
    const announce = () => settledSnapshotEvent(snapshot);
    return {
      announce,
      shareWith: (account) => snapshot.sharedWith.add(account),
      // AWS's EBS events put the region in the ARN's account slot; a forwarder can name another one.
      inRegion: (other) => replaceInEvent(announce(), `arn:aws:ec2::${region}:`, `arn:aws:ec2::${other}:`),
      failed: () => ({ ...announce(), detail: { ...announce().detail, result: 'failed', cause: 'Snapshot creation failed' } }),
    };
  },
  vaultCopies: (hub) =>
    hub.ec2
      .snapshots({ account: hub.config.vaultAccountId })
      // An AMI's vault copy brings its own backing snapshots; those are the AMI's, not copies of snapshots.
      .filter((s) => s.tags.get(TAG.sourceId)?.startsWith('snap-'))
      .map((s) => ({ kind: 'ebs-snapshot', source: sourceOf(s.tags), startMs: s.startTime.getTime(), endMs: s.settlesAt })),
};

const ami: SoakKind = {
  kind: 'ami',
  share: 0.15,
  quotaBound: true,
  create(hub, owner, region, pick) {
    const image = hub.ec2.images.create(owner, region, { name: `soak-${hub.ec2.images.store.all().length}`, encryption: pick(ENCRYPTIONS), sizeGiB: pick(SIZES_GIB), emit: false });
    return {
      announce: () => amiStateChangeEvent(image, 'available'),
      shareWith: (account) => image.launchPermissions.add(account),
      failed: () => amiStateChangeEvent(image, 'failed'),
    };
  },
  vaultCopies: (hub) =>
    hub.ec2.images.store
      .all()
      .filter((i) => i.owner === hub.config.vaultAccountId)
      .map((i) => ({ kind: 'ami', source: sourceOf(i.tags), startMs: i.creationDate.getTime(), endMs: i.settlesAt })),
};

function rdsKind(kind: 'rds-snapshot' | 'rds-cluster-snapshot', family: RdsFamily, share: number): SoakKind {
  // CopyDBClusterSnapshot cannot encrypt an unencrypted snapshot: the hub records those as failed, which the soak does not exercise.
  const encryptions = family === DB_SNAPSHOT ? (['none', 'aws-managed', 'cmk'] as const) : (['aws-managed', 'cmk'] as const);
  return {
    kind,
    share,
    quotaBound: true,
    create(hub, owner, region, pick) {
      const resource = `soak-${family.family}-${hub.rds.snapshots(family).length}`;
      const spec = { type: pick(['manual', 'automated'] as const), encryption: pick(encryptions), emit: false };
      const snapshot = family === DB_SNAPSHOT ? hub.rds.createDBSnapshot(owner, region, { ...spec, db: resource }) : hub.rds.createDBClusterSnapshot(owner, region, { ...spec, cluster: resource });
      const announce = () => snapshotCreatedEvent(family, snapshot, new Date(snapshot.availableAt));
      return {
        announce,
        shareWith: (account) => snapshot.sharedWith.add(account),
        inRegion: (other) => replaceInEvent(announce(), `:rds:${region}:`, `:rds:${other}:`),
      };
    },
    vaultCopies: (hub) =>
      hub.rds.snapshots(family, hub.config.vaultAccountId).map((s) => ({ kind, source: sourceOf(s.tags), startMs: s.createdAt.getTime(), endMs: s.availableAt })),
  };
}

const ssmParameter: SoakKind = {
  kind: 'ssm-parameter',
  share: 0.2,
  quotaBound: false,
  create(hub, owner, region, pick) {
    const name = `/soak/app-${hub.ssm.parameters(owner, region).length}/secret`;
    const version = hub.ssm.putParameter(owner, region, { name, value: `soak-value-${name}`, type: pick(['String', 'StringList', 'SecureString'] as const) }, { emit: false });
    return { announce: () => parameterChangeEvent(hub.ssm.parameter(owner, region, name)!, 'Create', version) };
  },
  vaultCopies: (hub) =>
    hub.ssm.parameters(hub.config.vaultAccountId, hub.config.vaultRegion).flatMap((p) =>
      // The vault name keeps account, region and name; each vault version says which source version it holds.
      p.versions.map((v) => ({ kind: 'ssm-parameter' as const, source: `${p.name}:${v.description ?? ''}`, startMs: v.lastModified.getTime(), endMs: v.lastModified.getTime() })),
    ),
};

/** Every kind the soak announces, with its share of the events. */
export const SOAK_KINDS: readonly SoakKind[] = [ebsSnapshot, ami, rdsKind('rds-snapshot', DB_SNAPSHOT, 0.15), rdsKind('rds-cluster-snapshot', DB_CLUSTER_SNAPSHOT, 0.1), ssmParameter];

function replaceInEvent(event: ServiceEvent, from: string, to: string): ServiceEvent {
  return JSON.parse(JSON.stringify(event).replaceAll(from, to)) as ServiceEvent;
}
