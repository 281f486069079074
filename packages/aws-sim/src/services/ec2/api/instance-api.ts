import { AwsError } from '../../../core/errors.js';
import type { CallContext } from '../../../core/service.js';
import { type SimVolume, volumeState } from '../ebs-volume.js';
import type { Ec2Sim } from '../ec2.js';
import { INSTANCE_STATE_CODES, type InstanceStateName, instanceState, type LaunchSpec, type SimInstance } from '../instance.js';
import type { LaunchTemplateData, SimLaunchTemplate } from '../launch-template.js';
import { applyFilters, type FilterFields, readFilters } from './filters.js';
import type { Ec2Input } from './input.js';
import { paginate } from './paginate.js';
import { readTagSpecifications, readTagSpecificationsByType, tagSet } from './tags.js';

type Action = (ec2: Ec2Sim, input: Ec2Input, ctx: CallContext) => unknown;

/** The DescribeVolumes filters the simulation knows (besides `tag:<key>` and `tag-key`). */
const volumeFilters = (now: number): FilterFields<SimVolume> => ({
  'attachment.instance-id': (v) => [v.attachedTo],
  'availability-zone': (v) => [v.availabilityZone],
  encrypted: (v) => [String(v.kmsKeyArn !== undefined)],
  size: (v) => [String(v.sizeGiB)],
  'snapshot-id': (v) => [v.snapshotId],
  status: (v) => [volumeState(v, now)],
  'volume-id': (v) => [v.id],
});

/** The DescribeInstances filters the simulation knows (besides `tag:<key>` and `tag-key`). */
const instanceFilters = (now: number): FilterFields<SimInstance> => ({
  'image-id': (i) => [i.imageId],
  'instance-id': (i) => [i.id],
  'instance-state-name': (i) => [instanceState(i, now)],
  'subnet-id': (i) => [i.subnetId],
  'vpc-id': (i) => [i.vpcId],
});

/** "You can launch up to 1,000 instances per call" is not simulated: each call launches MinCount = MaxCount = 1. */
const ONE = '1';

/** The volume, instance and launch template actions of the EC2 API: an account sees only its own. */
export const instanceActions: Record<string, Action> = {
  DescribeVolumes(ec2, input, ctx) {
    const ids = new Set(input.strings('VolumeId'));
    const now = ec2.cloud.clock.nowMs();
    const own = ec2.volumes(ctx.account, ctx.region).filter((v) => ids.size === 0 || ids.has(v.id));
    const { page, nextToken } = paginate(applyFilters(own, readFilters(input), volumeFilters(now)), input);
    return { volumeSet: { item: page.map((v) => volumeItem(v, now)) }, nextToken };
  },

  CreateVolume(ec2, input, ctx) {
    const volume = ec2.restoreVolume(ctx.account, ctx.region, {
      availabilityZone: input.string('AvailabilityZone'),
      snapshotId: input.optionalString('SnapshotId'),
      sizeGiB: input.integer('Size', 1, 65_536),
      volumeType: input.optionalString('VolumeType'),
      kmsKeyId: input.optionalString('KmsKeyId'),
      tags: readTagSpecifications(input, 'volume'),
    });
    return volumeItem(volume, ec2.cloud.clock.nowMs());
  },

  AttachVolume(ec2, input, ctx) {
    const volume = ec2.attachVolume(ctx.account, ctx.region, {
      volumeId: input.string('VolumeId'),
      instanceId: input.string('InstanceId'),
      device: input.string('Device'),
    });
    return {
      volumeId: volume.id,
      instanceId: volume.attachedTo,
      device: volume.device,
      status: 'attaching',
      attachTime: ec2.cloud.clock.now(),
    };
  },

  DescribeInstances(ec2, input, ctx) {
    const ids = new Set(input.strings('InstanceId'));
    const now = ec2.cloud.clock.nowMs();
    const own = ec2.instances(ctx.account, ctx.region).filter((i) => ids.size === 0 || ids.has(i.id));
    const { page, nextToken } = paginate(applyFilters(own, readFilters(input), instanceFilters(now)), input);
    // One reservation per simulated instance: each was launched on its own.
    return { reservationSet: { item: page.map((i) => reservation(ec2, i, now)) }, nextToken };
  },

  RunInstances(ec2, input, ctx) {
    if (input.string('MinCount') !== ONE || input.string('MaxCount') !== ONE)
      throw input.invalid('MaxCount', input.optionalString('MaxCount'), 'the simulation launches one instance per call');
    const spec = launchSpec(ec2, input, ctx);
    const instance = ec2.launch(ctx.account, ctx.region, spec);
    return reservation(ec2, instance, ec2.cloud.clock.nowMs());
  },

  StopInstances: (ec2, input, ctx) => ({
    instancesSet: { item: stateChanges(input, (id) => ec2.stopInstance(ctx.account, ctx.region, id)) },
  }),

  StartInstances: (ec2, input, ctx) => ({
    instancesSet: { item: stateChanges(input, (id) => ec2.startInstance(ctx.account, ctx.region, id)) },
  }),

  /** The instance type only (`InstanceType.Value`): the other attributes are not simulated. */
  ModifyInstanceAttribute(ec2, input, ctx) {
    const type = input.map<string | undefined>('InstanceType').Value;
    if (type === undefined) throw input.invalid('InstanceType', undefined, 'the simulation modifies the instance type only');
    ec2.modifyInstanceType(ctx.account, ctx.region, input.string('InstanceId'), type);
    return { return: true };
  },

  CreateLaunchTemplate(ec2, input, ctx) {
    const data = input.map<unknown>('LaunchTemplateData');
    const template = ec2.launchTemplates.create(
      ctx.account,
      ctx.region,
      input.string('LaunchTemplateName'),
      readTemplateData(data),
      ec2.cloud.clock.now(),
    );
    return { launchTemplate: templateItem(template) };
  },

  DescribeLaunchTemplates(ec2, input, ctx) {
    const ids = new Set(input.strings('LaunchTemplateId'));
    const names = new Set(input.strings('LaunchTemplateName'));
    const own = ec2.launchTemplates
      .list(ctx.account, ctx.region)
      .filter((t) => (ids.size === 0 || ids.has(t.id)) && (names.size === 0 || names.has(t.name)));
    const { page, nextToken } = paginate(own, input);
    return { launchTemplates: { item: page.map(templateItem) }, nextToken };
  },

  DescribeLaunchTemplateVersions(ec2, input, ctx) {
    const template = ec2.launchTemplates.find(ctx.account, ctx.region, {
      id: input.optionalString('LaunchTemplateId'),
      name: input.optionalString('LaunchTemplateName'),
    });
    const asked = input.strings('LaunchTemplateVersion');
    const versions = template.versions
      .map((data, index) => ({ data, number: index + 1 }))
      .filter(
        (v) =>
          asked.length === 0 ||
          asked.includes(String(v.number)) ||
          (asked.includes('$Default') && v.number === template.defaultVersion) ||
          (asked.includes('$Latest') && v.number === template.versions.length),
      );
    return {
      launchTemplateVersionSet: {
        item: versions.map((v) => ({
          launchTemplateId: template.id,
          launchTemplateName: template.name,
          versionNumber: v.number,
          defaultVersion: v.number === template.defaultVersion,
          createTime: template.createTime,
          launchTemplateData: {
            imageId: v.data.imageId,
            instanceType: v.data.instanceType,
            keyName: v.data.keyName,
            securityGroupIdSet: v.data.securityGroupIds ? { item: v.data.securityGroupIds } : undefined,
            iamInstanceProfile: v.data.iamInstanceProfileArn ? { arn: v.data.iamInstanceProfileArn } : undefined,
          },
        })),
      },
    };
  },
};

/**
 * What RunInstances asks for: its own parameters over the launch template's (a request parameter
 * overrides the template's, as EC2 documents), the template's version recorded on the instance.
 */
function launchSpec(ec2: Ec2Sim, input: Ec2Input, ctx: CallContext): LaunchSpec {
  const named = input.map<string | undefined>('LaunchTemplate');
  const template =
    named.LaunchTemplateId || named.LaunchTemplateName
      ? ec2.launchTemplates.find(ctx.account, ctx.region, { id: named.LaunchTemplateId, name: named.LaunchTemplateName })
      : undefined;
  const version =
    template &&
    (named.Version === undefined || named.Version === '$Default'
      ? template.defaultVersion
      : named.Version === '$Latest'
        ? template.versions.length
        : Number(named.Version));
  const data: LaunchTemplateData = template ? (template.versions[(version ?? 1) - 1] ?? {}) : {};
  const profile = input.map<string | undefined>('IamInstanceProfile');
  const imageId = input.optionalString('ImageId') ?? data.imageId;
  if (!imageId) throw new AwsError('MissingParameter', 'The request must contain the parameter ImageId');
  const groups = input.strings('SecurityGroupId');
  return {
    imageId,
    instanceType: input.optionalString('InstanceType') ?? data.instanceType ?? 'm1.small',
    keyName: input.optionalString('KeyName') ?? data.keyName,
    subnetId: input.optionalString('SubnetId'),
    availabilityZone: input.map<string | undefined>('Placement').AvailabilityZone,
    securityGroupIds: groups.length > 0 ? groups : (data.securityGroupIds ?? []),
    iamInstanceProfileArn:
      profile.Arn ?? (profile.Name ? `arn:aws:iam::${ctx.account}:instance-profile/${profile.Name}` : data.iamInstanceProfileArn),
    blockDevices: input
      .list<{ DeviceName?: string; Ebs?: { SnapshotId?: string; VolumeSize?: string; VolumeType?: string } }>('BlockDeviceMapping')
      .map((m) => {
        if (!m.DeviceName) throw new AwsError('MissingParameter', 'The request must contain the parameter BlockDeviceMapping.DeviceName');
        return {
          deviceName: m.DeviceName,
          snapshotId: m.Ebs?.SnapshotId,
          sizeGiB: m.Ebs?.VolumeSize === undefined ? undefined : Number(m.Ebs.VolumeSize),
          volumeType: m.Ebs?.VolumeType,
        };
      }),
    tags: Object.fromEntries(readTagSpecificationsByType(input, ['instance', 'volume']).instance!.map((t) => [t.key, t.value ?? ''])),
    launchTemplate: template ? { id: template.id, version: version ?? template.defaultVersion } : undefined,
  };
}

/** `LaunchTemplateData` of CreateLaunchTemplate (the JSON-like nested map the query protocol decodes). */
function readTemplateData(data: Record<string, unknown>): LaunchTemplateData {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const profile = (data.IamInstanceProfile ?? {}) as Record<string, unknown>;
  const groups = data.SecurityGroupId;
  return {
    imageId: text(data.ImageId),
    instanceType: text(data.InstanceType),
    keyName: text(data.KeyName),
    securityGroupIds: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : undefined,
    iamInstanceProfileArn: text(profile.Arn),
  };
}

function templateItem(template: SimLaunchTemplate): Record<string, unknown> {
  return {
    launchTemplateId: template.id,
    launchTemplateName: template.name,
    createTime: template.createTime,
    defaultVersionNumber: template.defaultVersion,
    latestVersionNumber: template.versions.length,
    tagSet: tagSet(template.tags),
  };
}

function volumeItem(volume: SimVolume, now: number): Record<string, unknown> {
  return {
    volumeId: volume.id,
    size: volume.sizeGiB,
    snapshotId: volume.snapshotId ?? '',
    availabilityZone: volume.availabilityZone,
    status: volumeState(volume, now),
    createTime: volume.createTime,
    encrypted: volume.kmsKeyArn !== undefined,
    kmsKeyId: volume.kmsKeyArn,
    volumeType: volume.volumeType,
    attachmentSet: {
      item: volume.attachedTo
        ? [{ volumeId: volume.id, instanceId: volume.attachedTo, device: volume.device, status: 'attached', deleteOnTermination: false }]
        : [],
    },
    tagSet: tagSet(volume.tags),
  };
}

function reservation(ec2: Ec2Sim, instance: SimInstance, now: number): Record<string, unknown> {
  return {
    reservationId: `r-${instance.id.slice(2)}`,
    ownerId: instance.account,
    instancesSet: { item: [instanceItem(ec2, instance, now)] },
  };
}

function instanceItem(ec2: Ec2Sim, instance: SimInstance, now: number): Record<string, unknown> {
  const state = instanceState(instance, now);
  const volumes = instance.volumeIds.flatMap((id) => ec2.volume(instance.account, instance.region, id) ?? []);
  const groups = instance.securityGroupIds.map((id) => ({ groupId: id, groupName: ec2.network.securityGroups.get(id)?.groupName }));
  return {
    instanceId: instance.id,
    imageId: instance.imageId,
    instanceState: { code: INSTANCE_STATE_CODES[state], name: state },
    instanceType: instance.instanceType,
    keyName: instance.keyName,
    launchTime: instance.launchTime,
    placement: { availabilityZone: instance.availabilityZone },
    subnetId: instance.subnetId,
    vpcId: instance.vpcId,
    groupSet: { item: groups },
    iamInstanceProfile: instance.iamInstanceProfileArn
      ? { arn: instance.iamInstanceProfileArn, id: `AIPA${instance.id.slice(2, 19).toUpperCase()}` }
      : undefined,
    rootDeviceType: 'ebs',
    rootDeviceName: volumes[0]?.device,
    blockDeviceMapping: {
      item: volumes.map((v) => ({
        deviceName: v.device,
        ebs: { volumeId: v.id, status: 'attached', attachTime: instance.launchTime, deleteOnTermination: v.id === instance.rootVolumeId },
      })),
    },
    tagSet: tagSet(instance.tags),
  };
}

/** StopInstances / StartInstances: each instance's state before and after the call, as InstanceStateChange. */
function stateChanges(
  input: Ec2Input,
  change: (id: string) => { previous: InstanceStateName; current: InstanceStateName },
): Record<string, unknown>[] {
  return input.strings('InstanceId').map((instanceId) => {
    const { previous, current } = change(instanceId);
    return {
      instanceId,
      previousState: { code: INSTANCE_STATE_CODES[previous], name: previous },
      currentState: { code: INSTANCE_STATE_CODES[current], name: current },
    };
  });
}
