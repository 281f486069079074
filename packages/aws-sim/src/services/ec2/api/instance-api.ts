import type { CallContext } from '../../../core/service.js';
import type { SimVolume } from '../ebs-volume.js';
import type { Ec2Sim } from '../ec2.js';
import { ROOT_DEVICE } from '../image.js';
import type { SimInstance } from '../instance.js';
import { applyFilters, type FilterFields, readFilters } from './filters.js';
import type { Ec2Input } from './input.js';
import { paginate } from './paginate.js';
import { tagSet } from './tags.js';

type Action = (ec2: Ec2Sim, input: Ec2Input, ctx: CallContext) => unknown;

/** The DescribeVolumes filters the simulation knows (besides `tag:<key>` and `tag-key`). */
const VOLUME_FILTERS: FilterFields<SimVolume> = {
  'attachment.instance-id': (v) => [v.attachedTo],
  encrypted: (v) => [String(v.kmsKeyArn !== undefined)],
  size: (v) => [String(v.sizeGiB)],
  status: (v) => [v.attachedTo ? 'in-use' : 'available'],
  'volume-id': (v) => [v.id],
};

/** The DescribeInstances filters the simulation knows (besides `tag:<key>` and `tag-key`). */
const INSTANCE_FILTERS: FilterFields<SimInstance> = {
  'image-id': (i) => [i.imageId],
  'instance-id': (i) => [i.id],
  'instance-state-name': () => ['running'],
};

/** The volume and instance actions of the EC2 API: an account sees only its own. */
export const instanceActions: Record<string, Action> = {
  DescribeVolumes(ec2, input, ctx) {
    const ids = new Set(input.strings('VolumeId'));
    const own = ec2.volumes(ctx.account, ctx.region).filter((v) => ids.size === 0 || ids.has(v.id));
    const { page, nextToken } = paginate(applyFilters(own, readFilters(input), VOLUME_FILTERS), input);
    return { volumeSet: { item: page.map(volumeItem) }, nextToken };
  },

  DescribeInstances(ec2, input, ctx) {
    const ids = new Set(input.strings('InstanceId'));
    const own = ec2.instances(ctx.account, ctx.region).filter((i) => ids.size === 0 || ids.has(i.id));
    const { page, nextToken } = paginate(applyFilters(own, readFilters(input), INSTANCE_FILTERS), input);
    // One reservation per simulated instance: each was launched on its own.
    return {
      reservationSet: {
        item: page.map((i) => ({ reservationId: `r-${i.id.slice(2)}`, ownerId: i.account, instancesSet: { item: [instanceItem(i)] } })),
      },
      nextToken,
    };
  },
};

function volumeItem(volume: SimVolume): Record<string, unknown> {
  return {
    volumeId: volume.id,
    size: volume.sizeGiB,
    availabilityZone: `${volume.region}a`,
    status: volume.attachedTo ? 'in-use' : 'available',
    createTime: volume.createTime,
    encrypted: volume.kmsKeyArn !== undefined,
    kmsKeyId: volume.kmsKeyArn,
    volumeType: 'gp3',
    attachmentSet: {
      item: volume.attachedTo ? [{ volumeId: volume.id, instanceId: volume.attachedTo, device: ROOT_DEVICE, status: 'attached' }] : [],
    },
    tagSet: tagSet(volume.tags),
  };
}

function instanceItem(instance: SimInstance): Record<string, unknown> {
  return {
    instanceId: instance.id,
    imageId: instance.imageId,
    instanceState: { code: 16, name: 'running' },
    instanceType: 't3.micro',
    launchTime: instance.launchTime,
    placement: { availabilityZone: `${instance.region}a` },
    rootDeviceType: 'ebs',
    rootDeviceName: ROOT_DEVICE,
    blockDeviceMapping: { item: [{ deviceName: ROOT_DEVICE, ebs: { volumeId: instance.rootVolumeId, status: 'attached' } }] },
    tagSet: tagSet(instance.tags),
  };
}
