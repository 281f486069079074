import type { CallContext } from '../../../core/service.js';
import type { Ec2Sim } from '../ec2.js';
import { canSeeImage, imageNotFound, ROOT_DEVICE, type SimImage } from '../image.js';
import { applyFilters, type FilterFields, readFilters } from './filters.js';
import type { Ec2Input } from './input.js';
import { paginate } from './paginate.js';
import { permissionChanges } from './snapshot-api.js';
import { readTagSpecificationsByType, tagSet } from './tags.js';

type Action = (ec2: Ec2Sim, input: Ec2Input, ctx: CallContext) => unknown;

/** The DescribeImages filters the simulation knows (besides `tag:<key>` and `tag-key`). */
const IMAGE_FILTERS: FilterFields<SimImage> = {
  'block-device-mapping.encrypted': (i) => i.blockDevices.map((d) => String(d.encrypted)),
  'block-device-mapping.snapshot-id': (i) => i.blockDevices.map((d) => d.snapshotId),
  'image-id': (i) => [i.id],
  'is-public': (i) => [String(i.isPublic)],
  name: (i) => [i.name],
  'owner-id': (i) => [i.owner],
  state: (i) => [i.state],
};

/** The AMI actions of the EC2 API, in the EC2 query protocol's response shapes. */
export const imageActions: Record<string, Action> = {
  DescribeImages(ec2, input, ctx) {
    const ids = [...new Set(input.strings('ImageId'))];
    const store = ec2.images.store;
    // Naming an image the caller cannot see, or one not propagated yet, fails the whole call (the SDK's image waiters retry on it).
    const described = (image: SimImage) => ec2.described(image.creationDate);
    const candidates =
      ids.length > 0
        ? ids.map((id) => {
            const image = store.visible(ctx.account, ctx.region, id);
            if (!described(image)) throw imageNotFound(id);
            return image;
          })
        : store.all().filter((i) => i.region === ctx.region && canSeeImage(i, ctx.account) && described(i));
    const owners = input.strings('Owner');
    const executableBy = input.strings('ExecutableBy');
    const selected = candidates.filter((i) => ownedBy(i, owners, ctx.account) && executableByAny(i, executableBy, ctx.account));
    const { page, nextToken } = paginate(applyFilters(selected, readFilters(input), IMAGE_FILTERS), input);
    return { imagesSet: { item: page.map((i) => imageItem(i, ec2.images.protectionOf(i))) }, nextToken };
  },

  ModifyImageAttribute(ec2, input, ctx) {
    const image = ec2.images.store.owned(ctx.account, ctx.region, input.string('ImageId'));
    const attribute = input.optionalString('Attribute');
    if (attribute !== undefined && attribute !== 'launchPermission')
      throw input.invalid('Attribute', attribute, 'the simulation modifies launchPermission only');
    ec2.images.changeLaunchPermissions(image, permissionChanges(input, 'LaunchPermission'));
    return { return: true };
  },

  CopyImage(ec2, input, ctx) {
    const tags = readTagSpecificationsByType(input, ['image', 'snapshot']);
    const copy = ec2.images.startCopy(
      {
        sourceRegion: input.string('SourceRegion'),
        sourceImageId: input.string('SourceImageId'),
        name: input.string('Name'),
        description: input.optionalString('Description'),
        encrypted: input.flag('Encrypted'),
        kmsKeyId: input.optionalString('KmsKeyId'),
        imageTags: tags.image!,
        snapshotTags: tags.snapshot!,
        clientToken: input.optionalString('ClientToken'),
      },
      ctx.caller,
      ctx.region,
    );
    return { imageId: copy.id };
  },

  EnableImageDeregistrationProtection(ec2, input, ctx) {
    ec2.images.protect(ec2.images.store.owned(ctx.account, ctx.region, input.string('ImageId')), input.flag('WithCooldown'));
    return { return: 'true' };
  },

  DisableImageDeregistrationProtection(ec2, input, ctx) {
    ec2.images.unprotect(ec2.images.store.owned(ctx.account, ctx.region, input.string('ImageId')));
    return { return: 'true' };
  },

  DeregisterImage(ec2, input, ctx) {
    ec2.images.deregister(ec2.images.store.owned(ctx.account, ctx.region, input.string('ImageId')));
    return { return: true };
  },
};

/** The `item` of an imagesSet. */
function imageItem(image: SimImage, deregistrationProtection: string): Record<string, unknown> {
  return {
    imageId: image.id,
    imageLocation: `${image.owner}/${image.name}`,
    imageState: image.state,
    imageOwnerId: image.owner,
    creationDate: image.creationDate.toISOString(),
    isPublic: image.isPublic,
    architecture: 'x86_64',
    imageType: 'machine',
    name: image.name,
    description: image.description,
    rootDeviceType: 'ebs',
    rootDeviceName: ROOT_DEVICE,
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    blockDeviceMapping: {
      item: image.blockDevices.map((d) => ({
        deviceName: d.deviceName,
        ebs: {
          snapshotId: d.snapshotId,
          volumeSize: d.volumeSizeGiB,
          deleteOnTermination: true,
          volumeType: 'gp3',
          encrypted: d.encrypted,
        },
      })),
    },
    stateReason: image.stateReason ? { code: 'Client.CopyImageFailed', message: image.stateReason } : undefined,
    sourceImageId: image.origin.kind === 'copy' ? image.origin.sourceImageId : undefined,
    sourceInstanceId: image.origin.kind === 'create' ? image.origin.instanceId : undefined,
    sourceImageRegion: image.origin.kind === 'copy' ? image.origin.sourceRegion : undefined,
    tagSet: tagSet(image.tags),
    deregistrationProtection,
  };
}

/** `Owner.N`: account ids or `self`; `amazon`, `aws-marketplace` and aliases match no simulated image. */
function ownedBy(image: SimImage, owners: string[], caller: string): boolean {
  return owners.length === 0 || owners.some((o) => (o === 'self' ? caller : o) === image.owner);
}

/** `ExecutableBy.N`: `all` for public images, `self` for those the caller may launch, an account id for images shared with it. */
function executableByAny(image: SimImage, accounts: string[], caller: string): boolean {
  return (
    accounts.length === 0 ||
    accounts.some((a) => {
      if (a === 'all') return image.isPublic;
      if (a === 'self') return canSeeImage(image, caller);
      return image.launchPermissions.has(a);
    })
  );
}
