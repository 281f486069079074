import { AwsError } from '../../../core/errors.js';
import type { CallContext } from '../../../core/service.js';
import { canSee, progressOf, type SimSnapshot } from '../ebs-snapshot.js';
import { changePermissions, type PermissionChanges, type VolumePermission } from '../ebs-snapshot-sharing.js';
import type { Ec2Sim } from '../ec2.js';
import { notFound } from '../ids.js';
import { applyLock, durationStart, lockExpiresOn, lockState, removeLock } from '../snapshot-lock.js';
import { addTags, deleteTags } from '../tags.js';
import { applyFilters, type FilterFields, readFilters } from './filters.js';
import type { Ec2Input } from './input.js';
import { pageSize, paginate } from './paginate.js';
import { readTagSpecifications, readTags, tagSet } from './tags.js';

type Action = (ec2: Ec2Sim, input: Ec2Input, ctx: CallContext) => unknown;

/** The DescribeSnapshots filters (besides `tag:<key>` and `tag-key`). */
const SNAPSHOT_FILTERS: FilterFields<SimSnapshot> = {
  description: (s) => [s.description],
  encrypted: (s) => [String(s.encrypted)],
  'owner-alias': () => [],
  'owner-id': (s) => [s.owner],
  'snapshot-id': (s) => [s.id],
  'start-time': (s) => [s.startTime.toISOString()],
  status: (s) => [s.state],
  'storage-tier': () => ['standard'],
  'volume-id': (s) => [s.volumeId],
  'volume-size': (s) => [String(s.volumeSizeGiB)],
};

/** The EBS snapshot actions of the EC2 API, in the EC2 query protocol's response shapes. */
export const snapshotActions: Record<string, Action> = {
  CreateSnapshot(ec2, input, ctx) {
    const volumeId = input.string('VolumeId');
    const volume = ec2.volume(ctx.account, ctx.region, volumeId);
    if (!volume) throw notFound('InvalidVolume.NotFound', 'volume', volumeId);
    const snapshot = ec2.startSnapshot(volume, {
      description: input.optionalString('Description'),
      tags: readTagSpecifications(input, 'snapshot'),
      emit: true,
    });
    return snapshotItem(snapshot, ec2.cloud.clock.nowMs());
  },

  CreateSnapshots(ec2, input, ctx) {
    const specification = input.map<string | undefined>('InstanceSpecification');
    if (!specification.InstanceId)
      throw new AwsError('MissingParameter', 'The request must contain the parameter InstanceSpecification.InstanceId');
    const snapshots = ec2.createSnapshots(ctx.account, ctx.region, {
      instanceId: specification.InstanceId,
      excludeBootVolume: specification.ExcludeBootVolume === 'true',
      description: input.optionalString('Description'),
      tags: readTagSpecifications(input, 'snapshot'),
    });
    const now = ec2.cloud.clock.nowMs();
    return { snapshotSet: { item: snapshots.map((s) => snapshotItem(s, now)) } };
  },

  DescribeSnapshots(ec2, input, ctx) {
    const ids = [...new Set(input.strings('SnapshotId'))];
    const maxResults = pageSize(input);
    if (ids.length > 0 && maxResults !== undefined)
      throw new AwsError('InvalidParameterCombination', 'The parameter SnapshotIds cannot be used with the parameter MaxResults');
    const store = ec2.snapshotStore;
    // "If you specify an invalid snapshot ID, an error is returned. If you specify a snapshot ID for which you do not have
    // access, it is not included in the returned results" (DescribeSnapshots); one not propagated yet does not exist yet.
    const candidates =
      ids.length > 0
        ? ids.flatMap((id) => {
            const snapshot = store.get(ctx.region, id);
            if (!snapshot || !ec2.described(snapshot.startTime)) throw notFound('InvalidSnapshot.NotFound', 'snapshot', id);
            return canSee(snapshot, ctx.account) ? [snapshot] : [];
          })
        : store.all().filter((s) => s.region === ctx.region && canSee(s, ctx.account) && ec2.described(s.startTime));
    const owners = input.strings('Owner');
    const restorableBy = input.strings('RestorableBy');
    const selected = candidates.filter((s) => ownedBy(s, owners, ctx.account) && restorableByAny(s, restorableBy, ctx.account));
    const { page, nextToken } = paginate(applyFilters(selected, readFilters(input), SNAPSHOT_FILTERS), input);
    const now = ec2.cloud.clock.nowMs();
    return { snapshotSet: { item: page.map((s) => snapshotItem(s, now)) }, nextToken };
  },

  DescribeSnapshotAttribute(ec2, input, ctx) {
    const attribute = input.string('Attribute');
    const snapshot = ec2.snapshotStore.owned(ctx.account, ctx.region, input.string('SnapshotId'));
    if (attribute === 'productCodes') return { snapshotId: snapshot.id, productCodes: { item: [] } };
    if (attribute !== 'createVolumePermission')
      throw input.invalid('Attribute', attribute, 'must be createVolumePermission or productCodes');
    const permissions = [...[...snapshot.sharedWith].map((userId) => ({ userId })), ...(snapshot.isPublic ? [{ group: 'all' }] : [])];
    return { snapshotId: snapshot.id, createVolumePermission: { item: permissions } };
  },

  ModifySnapshotAttribute(ec2, input, ctx) {
    const snapshot = ec2.snapshotStore.owned(ctx.account, ctx.region, input.string('SnapshotId'));
    const attribute = input.optionalString('Attribute');
    if (attribute !== undefined && attribute !== 'createVolumePermission')
      throw input.invalid('Attribute', attribute, 'only createVolumePermission can be modified');
    changePermissions(snapshot, permissionChanges(input), ec2.kms, ec2.cloud);
    return { return: true };
  },

  CopySnapshot(ec2, input, ctx) {
    const copy = ec2.startCopy(
      {
        sourceRegion: input.string('SourceRegion'),
        sourceSnapshotId: input.string('SourceSnapshotId'),
        encrypted: input.flag('Encrypted'),
        kmsKeyId: input.optionalString('KmsKeyId'),
        description: input.optionalString('Description'),
        tags: readTagSpecifications(input, 'snapshot'),
      },
      ctx.caller,
      ctx.region,
    );
    return { snapshotId: copy.id, tagSet: tagSet(copy.tags) };
  },

  DeleteSnapshot(ec2, input, ctx) {
    ec2.deleteSnapshot(ec2.snapshotStore.owned(ctx.account, ctx.region, input.string('SnapshotId')));
    return { return: true };
  },

  LockSnapshot(ec2, input, ctx) {
    const snapshot = ec2.snapshotStore.owned(ctx.account, ctx.region, input.string('SnapshotId'));
    const expiration = input.optionalString('ExpirationDate');
    applyLock(
      snapshot,
      {
        mode: input.string('LockMode'),
        durationDays: input.integer('LockDuration', 1, 36_500),
        expirationDate: expiration === undefined ? undefined : Date.parse(expiration),
        coolOffHours: input.integer('CoolOffPeriod', 1, 72),
      },
      ec2.cloud.clock.nowMs(),
    );
    return lockItem(snapshot, ec2.cloud.clock.nowMs());
  },

  UnlockSnapshot(ec2, input, ctx) {
    const snapshot = ec2.snapshotStore.owned(ctx.account, ctx.region, input.string('SnapshotId'));
    removeLock(snapshot, ec2.cloud.clock.nowMs());
    return { snapshotId: snapshot.id };
  },

  DescribeLockedSnapshots(ec2, input, ctx) {
    const now = ec2.cloud.clock.nowMs();
    const ids = new Set(input.strings('SnapshotId'));
    const states = new Set(readFilters(input).find((f) => f.name === 'lock-state')?.values ?? []);
    const locked = ec2.snapshotStore
      .all()
      .filter((s) => s.owner === ctx.account && s.region === ctx.region && s.lock && (ids.size === 0 || ids.has(s.id)))
      .filter((s) => states.size === 0 || states.has(lockState(s.lock!, s, now)));
    return { snapshotSet: { item: locked.map((s) => lockItem(s, now)) } };
  },

  CreateTags(ec2, input, ctx) {
    const tags = readTags(input);
    for (const resource of taggedResources(ec2, input, ctx)) addTags(resource.tags, tags);
    return { return: true };
  },

  DeleteTags(ec2, input, ctx) {
    const tags = readTags(input);
    for (const resource of taggedResources(ec2, input, ctx)) deleteTags(resource.tags, tags);
    return { return: true };
  },
};

/** The `item` of a snapshotSet (and the body of CreateSnapshot). */
function snapshotItem(snapshot: SimSnapshot, nowMs: number): Record<string, unknown> {
  const copy = snapshot.origin.kind === 'copy';
  return {
    snapshotId: snapshot.id,
    volumeId: snapshot.volumeId,
    status: snapshot.state,
    statusMessage: snapshot.stateMessage,
    startTime: snapshot.startTime,
    progress: progressOf(snapshot, nowMs),
    ownerId: snapshot.owner,
    volumeSize: snapshot.volumeSizeGiB,
    description: snapshot.description,
    encrypted: snapshot.encrypted,
    kmsKeyId: snapshot.kmsKeyId,
    tagSet: tagSet(snapshot.tags),
    storageTier: 'standard',
    completionTime: snapshot.completionTime,
    transferType: copy ? 'standard' : undefined,
  };
}

/** LockSnapshot's response and DescribeLockedSnapshots' LockedSnapshotsInfo. */
function lockItem(snapshot: SimSnapshot, nowMs: number): Record<string, unknown> {
  const lock = snapshot.lock!;
  const time = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  return {
    snapshotId: snapshot.id,
    lockState: lockState(lock, snapshot, nowMs),
    lockDuration: lock.durationDays,
    coolOffPeriod: lock.coolOffHours,
    coolOffPeriodExpiresOn: time(lock.coolOffExpiresOn),
    lockCreatedOn: time(lock.createdOn),
    lockExpiresOn: time(lockExpiresOn(lock, snapshot)),
    lockDurationStartTime: time(durationStart(lock, snapshot)),
  };
}

/** `Owner.N`: account ids or `self`; `amazon` and aliases match no simulated snapshot. */
function ownedBy(snapshot: SimSnapshot, owners: string[], caller: string): boolean {
  return owners.length === 0 || owners.some((o) => (o === 'self' ? caller : o) === snapshot.owner);
}

/**
 * `RestorableBy.N`: `all` for public snapshots, `self` for those the caller owns or was given
 * explicit permission on, an account id for the caller's snapshots shared with that account.
 */
function restorableByAny(snapshot: SimSnapshot, accounts: string[], caller: string): boolean {
  return (
    accounts.length === 0 ||
    accounts.some((a) => {
      if (a === 'all') return snapshot.isPublic;
      if (a === 'self') return snapshot.owner === caller || snapshot.sharedWith.has(caller);
      return snapshot.owner === caller && snapshot.sharedWith.has(a);
    })
  );
}

/**
 * Both request forms: `OperationType` with `UserId.N` / `UserGroup.N`, and `<attribute>.Add.N` /
 * `.Remove.N` (`CreateVolumePermission` of snapshots, `LaunchPermission` of AMIs).
 */
export function permissionChanges(input: Ec2Input, attribute = 'CreateVolumePermission'): PermissionChanges {
  const structured = input.map<{ UserId?: string; Group?: string }[]>(attribute);
  const changes: PermissionChanges = { add: (structured.Add ?? []).map(permission), remove: (structured.Remove ?? []).map(permission) };
  const flat = [...input.strings('UserId').map((userId) => ({ userId })), ...input.strings('UserGroup').map((group) => ({ group }))];
  if (flat.length > 0) {
    const operation = input.string('OperationType');
    if (operation !== 'add' && operation !== 'remove') throw input.invalid('OperationType', operation, 'must be add or remove');
    changes[operation].push(...flat);
  }
  if (changes.add.length + changes.remove.length === 0)
    throw new AwsError('MissingParameter', `The request must specify ${attribute.charAt(0).toLowerCase()}${attribute.slice(1)} changes.`);
  return changes;
}

function permission(wire: { UserId?: string; Group?: string }): VolumePermission {
  return wire.UserId !== undefined ? { userId: wire.UserId } : { group: wire.Group };
}

/**
 * The snapshots and AMIs `ResourceId.N` names, all checked before any is changed; only their owner may tag them.
 * @throws AwsError InvalidID for ids of other resource types, InvalidSnapshot.NotFound, InvalidAMIID.NotFound, UnauthorizedOperation
 */
function taggedResources(ec2: Ec2Sim, input: Ec2Input, ctx: CallContext): { tags: Map<string, string> }[] {
  const ids = input.strings('ResourceId');
  if (ids.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceId');
  return ids.map((id) => {
    if (id.startsWith('snap-')) return ec2.snapshotStore.owned(ctx.account, ctx.region, id);
    if (id.startsWith('ami-')) return ec2.images.store.owned(ctx.account, ctx.region, id);
    throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  });
}
