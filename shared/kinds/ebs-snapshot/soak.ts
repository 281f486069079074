import { settledSnapshotEvent } from '@backup-hub/aws-sim';
import { ENCRYPTIONS, replaceInEvent, SIZES_GIB, type SoakKind, sourceOf } from '../../../bench/soak-kind.js';
import { TAG } from '../common/provenance-tags.js';

/** How the soak makes an EBS snapshot: a volume of a random size and encryption, snapshotted silently. */
export const soak: SoakKind = {
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
      .map((s) => ({
        kind: 'ebs-snapshot',
        region: s.region,
        source: sourceOf(s.tags),
        startMs: s.startTime.getTime(),
        endMs: s.settlesAt,
      })),
};
