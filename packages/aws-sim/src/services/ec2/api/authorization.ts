import type { CallContext } from '../../../core/service.js';
import type { AuthorizationRequest, ResourcePolicy } from '../../../iam/authorizer.js';
import type { PolicyDocument } from '../../../policy/resource-policy.js';
import { rootArn } from '../../iam/iam.js';
import { canSee } from '../ebs-snapshot.js';
import type { Ec2Sim } from '../ec2.js';
import { canSeeImage } from '../image.js';
import type { TagInput } from '../tags.js';
import type { Ec2Input } from './input.js';
import { permissionChanges } from './snapshot-api.js';
import { readTagSpecifications, readTagSpecificationsByType, readTags } from './tags.js';

/** `arn:aws:ec2:<region>::snapshot/<id>`, `…::image/<id>`: the IAM ARNs of snapshots and AMIs carry no account. */
export const ec2ResourceArn = (region: string, type: 'snapshot' | 'image', id: string) => `arn:aws:ec2:${region}::${type}/${id}`;

type Context = Record<string, string | string[]>;

/** What a share attribute (createVolumePermission, launchPermission) lets another account do with a snapshot or an AMI. */
const SHARED_USE = { snapshot: ['ec2:CopySnapshot', 'ec2:CreateVolume', 'ec2:CopyImage'], image: ['ec2:CopyImage', 'ec2:RunInstances'] };

/**
 * What EC2 authorizes for a call, per the Service Authorization Reference: the action on each
 * resource it names (a copy on its source and on the new resource, CopyImage on the image and its
 * snapshots too; `*` for actions without resource-level permissions), tagging on creation as
 * ec2:CreateTags with `ec2:CreateAction`, and the condition keys EC2 fills in: `aws:RequestTag/*`,
 * `aws:TagKeys`, `aws:ResourceTag/*` where the reference lists them, `ec2:Add/userId` and its
 * siblings for ModifySnapshotAttribute only. Another account's snapshot or AMI is used through its
 * share attribute, which acts as its resource policy.
 */
export function ec2Authorization(ec2: Ec2Sim, action: string, input: Ec2Input, ctx: CallContext): AuthorizationRequest[] {
  const here = (iamAction: string, resource: string, context: Context = {}): AuthorizationRequest => ({
    action: iamAction,
    resource,
    resourceAccount: ctx.account,
    context,
  });
  switch (action) {
    // EC2's Describe* support no resource-level permissions (Service Authorization Reference: no resource type).
    case 'DescribeSnapshots':
    case 'DescribeImages':
    case 'DescribeVolumes':
    case 'DescribeInstances':
      return [here(`ec2:${action}`, '*')];
    case 'CreateSnapshot': {
      const tags = readTagSpecificationsByType(input, ['snapshot']).snapshot!;
      const volume = `arn:aws:ec2:${ctx.region}:${ctx.account}:volume/${input.string('VolumeId')}`;
      const created = ec2ResourceArn(ctx.region, 'snapshot', '*');
      return [
        here('ec2:CreateSnapshot', volume),
        here('ec2:CreateSnapshot', created, requestTags(tags)),
        ...tagOnCreate(action, created, tags, ctx),
      ];
    }
    case 'CreateSnapshots': {
      // On the instance, on each of its volumes that is snapshotted, and on the new snapshots (Service Authorization Reference).
      const tags = readTagSpecificationsByType(input, ['snapshot']).snapshot!;
      const specification = input.map<string | undefined>('InstanceSpecification');
      const instanceId = specification.InstanceId ?? '';
      const volumeIds = ec2.instance(ctx.account, ctx.region, instanceId)?.volumeIds ?? [];
      const snapshotted = specification.ExcludeBootVolume === 'true' ? volumeIds.slice(1) : volumeIds;
      const created = ec2ResourceArn(ctx.region, 'snapshot', '*');
      return [
        here('ec2:CreateSnapshots', `arn:aws:ec2:${ctx.region}:${ctx.account}:instance/${instanceId}`, { 'ec2:InstanceID': instanceId }),
        ...snapshotted.map((id) =>
          here('ec2:CreateSnapshots', `arn:aws:ec2:${ctx.region}:${ctx.account}:volume/${id}`, { 'ec2:VolumeID': id }),
        ),
        here('ec2:CreateSnapshots', created, requestTags(tags)),
        ...tagOnCreate(action, created, tags, ctx),
      ];
    }
    case 'CopySnapshot': {
      const tags = readTagSpecificationsByType(input, ['snapshot']).snapshot!;
      const source = snapshotRequest(
        ec2,
        'ec2:CopySnapshot',
        input.string('SourceRegion'),
        input.string('SourceSnapshotId'),
        ctx,
        requestTags(tags),
      );
      const created = ec2ResourceArn(ctx.region, 'snapshot', '*');
      return [source, here('ec2:CopySnapshot', created, requestTags(tags)), ...tagOnCreate(action, created, tags, ctx)];
    }
    case 'CopyImage': {
      const tags = readTagSpecificationsByType(input, ['image', 'snapshot']);
      const region = input.string('SourceRegion');
      const id = input.string('SourceImageId');
      const image = ec2.images.store.get(region, id);
      const snapshots = (image?.blockDevices ?? []).map((d) =>
        snapshotRequest(ec2, 'ec2:CopyImage', region, d.snapshotId, ctx, requestTags(tags.snapshot!)),
      );
      const newImage = ec2ResourceArn(ctx.region, 'image', '*');
      const newSnapshots = ec2ResourceArn(ctx.region, 'snapshot', '*');
      return [
        imageRequest(ec2, 'ec2:CopyImage', region, id, ctx, requestTags(tags.image!)),
        ...snapshots,
        here('ec2:CopyImage', newImage, requestTags(tags.image!)),
        here('ec2:CopyImage', newSnapshots, requestTags(tags.snapshot!)),
        ...tagOnCreate(action, newImage, tags.image!, ctx),
        ...tagOnCreate(action, newSnapshots, tags.snapshot!, ctx),
      ];
    }
    case 'ModifySnapshotAttribute': {
      const changes = permissionChanges(input);
      const ids = (list: typeof changes.add) => list.flatMap((p) => (p.userId ? [p.userId] : []));
      const groups = (list: typeof changes.add) => list.flatMap((p) => (p.group ? [p.group] : []));
      return [
        snapshotRequest(ec2, 'ec2:ModifySnapshotAttribute', ctx.region, input.string('SnapshotId'), ctx, {
          'ec2:Attribute': input.optionalString('Attribute') ?? 'createVolumePermission',
          'ec2:Add/userId': ids(changes.add),
          'ec2:Remove/userId': ids(changes.remove),
          'ec2:Add/group': groups(changes.add),
          'ec2:Remove/group': groups(changes.remove),
        }),
      ].map(dropEmpty);
    }
    case 'ModifyImageAttribute':
      // The reference defines no ec2:Add/userId for AMIs: nothing in the request names the accounts added.
      return [
        imageRequest(ec2, 'ec2:ModifyImageAttribute', ctx.region, input.string('ImageId'), ctx, {
          'ec2:Attribute': input.optionalString('Attribute') ?? 'launchPermission',
        }),
      ];
    case 'CreateVpc':
    case 'CreateSubnet':
    case 'CreateRouteTable':
    case 'CreateSecurityGroup': {
      const type = CREATED[action]!;
      const tags = readTagSpecificationsByType(input, [type])[type]!;
      const created = `arn:aws:ec2:${ctx.region}:${ctx.account}:${type}/*`;
      return [here(`ec2:${action}`, created, requestTags(tags)), ...tagOnCreate(action, created, tags, ctx)];
    }
    case 'RunInstances': {
      // On the new instance and volumes, the image (another account's through its launch permission), the subnet and each group.
      const own = (type: string, id: string) => here('ec2:RunInstances', `arn:aws:ec2:${ctx.region}:${ctx.account}:${type}/${id}`);
      const subnet = input.optionalString('SubnetId');
      const imageId = input.optionalString('ImageId');
      const tags = readTagSpecificationsByType(input, ['instance', 'volume']);
      const instances = `arn:aws:ec2:${ctx.region}:${ctx.account}:instance/*`;
      return [
        ...tagOnCreate(action, instances, tags.instance!, ctx),
        ...tagOnCreate(action, `arn:aws:ec2:${ctx.region}:${ctx.account}:volume/*`, tags.volume!, ctx),
        own('instance', '*'),
        own('volume', '*'),
        ...(imageId ? [imageRequest(ec2, 'ec2:RunInstances', ctx.region, imageId, ctx)] : []),
        ...(subnet ? [own('subnet', subnet)] : []),
        ...input.strings('SecurityGroupId').map((id) => own('security-group', id)),
      ];
    }
    case 'CreateVolume': {
      const snapshotId = input.optionalString('SnapshotId');
      const volumes = `arn:aws:ec2:${ctx.region}:${ctx.account}:volume/*`;
      return [
        ...tagOnCreate(action, volumes, readTagSpecifications(input, 'volume'), ctx),
        here('ec2:CreateVolume', volumes),
        ...(snapshotId ? [snapshotRequest(ec2, 'ec2:CreateVolume', ctx.region, snapshotId, ctx)] : []),
      ];
    }
    case 'AttachVolume':
      return [
        here('ec2:AttachVolume', `arn:aws:ec2:${ctx.region}:${ctx.account}:instance/${input.string('InstanceId')}`),
        here('ec2:AttachVolume', `arn:aws:ec2:${ctx.region}:${ctx.account}:volume/${input.string('VolumeId')}`),
      ];
    case 'StopInstances':
    case 'StartInstances':
      return input.strings('InstanceId').map((id) => here(`ec2:${action}`, `arn:aws:ec2:${ctx.region}:${ctx.account}:instance/${id}`));
    case 'ModifyInstanceAttribute':
      return [here('ec2:ModifyInstanceAttribute', `arn:aws:ec2:${ctx.region}:${ctx.account}:instance/${input.string('InstanceId')}`)];
    case 'DescribeSnapshotAttribute':
    case 'DeleteSnapshot':
    case 'LockSnapshot':
    case 'UnlockSnapshot':
      return [snapshotRequest(ec2, `ec2:${action}`, ctx.region, input.string('SnapshotId'), ctx)];
    case 'DeregisterImage':
    case 'EnableImageDeregistrationProtection':
    case 'DisableImageDeregistrationProtection':
      return [imageRequest(ec2, `ec2:${action}`, ctx.region, input.string('ImageId'), ctx)];
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = readTags(input);
      return input
        .strings('ResourceId')
        .map((id) =>
          id.startsWith('ami-')
            ? imageRequest(ec2, `ec2:${action}`, ctx.region, id, ctx, requestTags(tags))
            : snapshotRequest(ec2, `ec2:${action}`, ctx.region, id, ctx, requestTags(tags)),
        );
    }
    default:
      return [here(`ec2:${action}`, '*')];
  }
}

/** The resource type each network create call makes (its ARN's type and its TagSpecification's ResourceType). */
const CREATED: Record<string, string> = {
  CreateVpc: 'vpc',
  CreateSubnet: 'subnet',
  CreateRouteTable: 'route-table',
  CreateSecurityGroup: 'security-group',
};

/** Tagging a new resource on creation is authorized as ec2:CreateTags, with ec2:CreateAction naming the call (EC2 User Guide, "Grant permission to tag resources during creation"). */
function tagOnCreate(action: string, resource: string, tags: TagInput[], ctx: CallContext): AuthorizationRequest[] {
  if (tags.length === 0) return [];
  return [
    { action: 'ec2:CreateTags', resource, resourceAccount: ctx.account, context: { ...requestTags(tags), 'ec2:CreateAction': action } },
  ];
}

function requestTags(tags: TagInput[]): Context {
  if (tags.length === 0) return {};
  return { ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.key}`, t.value ?? ''])), 'aws:TagKeys': tags.map((t) => t.key) };
}

function resourceTags(tags: Map<string, string> | undefined): Context {
  return Object.fromEntries(
    [...(tags ?? [])].flatMap(([k, v]) => [
      [`aws:ResourceTag/${k}`, v],
      [`ec2:ResourceTag/${k}`, v],
    ]),
  );
}

/**
 * A snapshot or AMI request. Another account's resource is authorized in that account, through its
 * share attribute, when it is shared with the caller and the action is one a share allows; otherwise
 * as the caller's own (IAM decides, then EC2 answers that no such resource exists, as it does).
 */
function snapshotRequest(
  ec2: Ec2Sim,
  action: string,
  region: string,
  id: string,
  ctx: CallContext,
  context: Context = {},
): AuthorizationRequest {
  const snapshot = ec2.snapshotStore.get(region, id);
  const arn = ec2ResourceArn(region, 'snapshot', id);
  const shared = snapshot && snapshot.owner !== ctx.account && canSee(snapshot, ctx.account) && SHARED_USE.snapshot.includes(action);
  return {
    action,
    resource: arn,
    resourceAccount: shared ? snapshot.owner : ctx.account,
    context: { ...(tagsVisible(action) ? resourceTags(snapshot?.tags) : {}), 'ec2:SnapshotID': id, ...context },
    ...(shared ? { resourcePolicy: shareAttribute(arn, 'snapshot', snapshot.sharedWith, snapshot.isPublic) } : {}),
  };
}

function imageRequest(
  ec2: Ec2Sim,
  action: string,
  region: string,
  id: string,
  ctx: CallContext,
  context: Context = {},
): AuthorizationRequest {
  const image = ec2.images.store.get(region, id);
  const arn = ec2ResourceArn(region, 'image', id);
  const shared = image && image.owner !== ctx.account && canSeeImage(image, ctx.account) && SHARED_USE.image.includes(action);
  return {
    action,
    resource: arn,
    resourceAccount: shared ? image.owner : ctx.account,
    context: { ...(tagsVisible(action) ? resourceTags(image?.tags) : {}), 'ec2:ImageID': id, ...context },
    ...(shared ? { resourcePolicy: shareAttribute(arn, 'image', image.launchPermissions, image.isPublic) } : {}),
  };
}

/** The reference lists aws:ResourceTag for these actions on snapshots and AMIs; copies are authorized by the tags of the request only. */
const tagsVisible = (action: string) => !['ec2:CopySnapshot', 'ec2:CopyImage'].includes(action);

/**
 * A share attribute as the resource policy it amounts to: the accounts given permission (or
 * everyone) may use the resource. One document per distinct attribute (`Resource: "*"` is the
 * resource itself in a resource policy), so that it is parsed once.
 */
function shareAttribute(arn: string, type: 'snapshot' | 'image', accounts: Set<string>, isPublic: boolean): ResourcePolicy {
  const principals = isPublic ? '*' : [...accounts].sort();
  const key = `${type} ${JSON.stringify(principals)}`;
  let document = shareDocuments.get(key);
  if (!document) {
    document = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: `${type}Permission`,
          Effect: 'Allow',
          Principal: isPublic ? '*' : { AWS: [...accounts].sort().map(rootArn) },
          Action: SHARED_USE[type],
          Resource: '*',
        },
      ],
    };
    shareDocuments.set(key, document);
  }
  return { type: 'share attribute', owner: arn, document };
}

const shareDocuments = new Map<string, PolicyDocument>();

function dropEmpty(request: AuthorizationRequest): AuthorizationRequest {
  const context = Object.fromEntries(Object.entries(request.context ?? {}).filter(([, v]) => !(Array.isArray(v) && v.length === 0)));
  return { ...request, context };
}
