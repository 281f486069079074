import { amiStateChangeEvent } from '@backup-hub/aws-sim';
import { ENCRYPTIONS, SIZES_GIB, type SoakKind, sourceOf } from '../../../bench/soak-kind.js';

/** How the soak makes an AMI: an image of a random size and encryption, registered silently. */
export const soak: SoakKind = {
  kind: 'ami',
  share: 0.15,
  quotaBound: true,
  create(hub, owner, region, pick) {
    const image = hub.ec2.images.create(owner, region, {
      name: `soak-${hub.ec2.images.store.all().length}`,
      encryption: pick(ENCRYPTIONS),
      sizeGiB: pick(SIZES_GIB),
      emit: false,
    });
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
      .map((i) => ({ kind: 'ami', region: i.region, source: sourceOf(i.tags), startMs: i.creationDate.getTime(), endMs: i.settlesAt })),
};
