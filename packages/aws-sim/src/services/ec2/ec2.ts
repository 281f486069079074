import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import type { RecycleBin } from '../rbin/recycle-bin.js';
import type { CreateInstanceSpec, CreateSnapshotsSpec } from './ebs-instance.js';
import { canSee, type SimSnapshot, type SnapshotOrigin, type SnapshotState, SnapshotStore } from './ebs-snapshot.js';
import { type CopyRequest, planCopy } from './ebs-snapshot-copy.js';
import { settledSnapshotEvent, snapshotSetEvent } from './ebs-snapshot-events.js';
import {
  type CreateVolumeSpec,
  DEFAULT_VOLUME_GIB,
  DEFAULT_VOLUME_TYPE,
  eventVolumeArn,
  type SimVolume,
  volumeState,
} from './ebs-volume.js';
import { ec2Id, isEc2Id, notFound } from './ids.js';
import { canSeeImage, imageNotFound, imageUnavailable, ROOT_DEVICE } from './image.js';
import { AMI_CONCURRENT_COPY_QUOTA, Ec2Images } from './images.js';
import {
  DEFAULT_INSTANCE_TYPE,
  dataDeviceName,
  type InstanceStateName,
  instanceState,
  LAUNCH_IMAGE_ID,
  type LaunchSpec,
  type RunInstanceSpec,
  type SimInstance,
} from './instance.js';
import { LaunchTemplateStore } from './launch-template.js';
import { NetworkStore } from './network.js';
import { refuseLockedDelete } from './snapshot-lock.js';
import { addTags, type TagInput, tagInputs } from './tags.js';

export interface Ec2SimOptions {
  /** Concurrent snapshot copies per destination account and region; AWS's default is {@link EBS_CONCURRENT_COPY_QUOTA}. */
  copyQuota?: number;
  /** How long a copy of a snapshot of that size stays pending. */
  copyDurationMs?: (sizeGiB: number) => number;
  /** How long a new snapshot stays pending. */
  snapshotDurationMs?: number;
  /** Concurrent AMI copies per destination account and region; AWS's is {@link AMI_CONCURRENT_COPY_QUOTA}. */
  imageCopyQuota?: number;
  /**
   * How long a new snapshot or AMI stays unseen by DescribeSnapshots and DescribeImages: EC2 is
   * eventually consistent ("Eventual consistency in the Amazon EC2 API"); none by default.
   */
  describeLagMs?: number;
  /** How long a deregistered AMI stays visible, its name still taken ("a short interval", DescribeImages); an hour by default. */
  deregisteredVisibleMs?: number;
  /**
   * Whether the snapshots that CreateImage and CopyImage make send `EBS Snapshot Notification`
   * (`createSnapshot`, `copySnapshot`) like any other: AWS does not document either way, so both can be had; off by default.
   */
  announceImageSnapshots?: boolean;
  /** How long a volume CreateVolume makes stays `creating`. */
  volumeCreateMs?: number;
  /** How long a launched instance stays `pending` before it is `running`. */
  instanceBootMs?: number;
  /** How long a stopped instance stays `stopping` before it is `stopped`. */
  instanceStopMs?: number;
  /** A `cmk` volume without a key uses the account's key by this alias (made on first use); without it, a new unnamed key each time. */
  customerKeyAlias?: string;
}

/** A snapshot taken by the account itself (drills, tests), outside the API. */
export interface CreateSnapshotSpec {
  volumeId: string;
  /** An explicit snapshot id (`snap-` and 8 to 17 hex digits). */
  id?: string;
  /** Emit the `createSnapshot` event on completion (default true). */
  emit?: boolean;
  description?: string;
  tags?: Record<string, string>;
}

/** "There is a limit of 20 concurrent snapshot copy requests per destination" (EBS User Guide, Copy an Amazon EBS snapshot). */
export const EBS_CONCURRENT_COPY_QUOTA = 20;

/** AWS publishes no durations (minutes to hours); these keep simulated runs realistic in shape. */
const DEFAULTS: Required<Omit<Ec2SimOptions, 'customerKeyAlias'>> & Pick<Ec2SimOptions, 'customerKeyAlias'> = {
  copyQuota: EBS_CONCURRENT_COPY_QUOTA,
  copyDurationMs: (sizeGiB) => 10 * 60_000 + sizeGiB * 30_000,
  snapshotDurationMs: 5 * 60_000,
  imageCopyQuota: AMI_CONCURRENT_COPY_QUOTA,
  describeLagMs: 0,
  deregisteredVisibleMs: 60 * 60_000,
  announceImageSnapshots: false,
  volumeCreateMs: 30_000,
  instanceBootMs: 60_000,
  instanceStopMs: 30_000,
};
/** A copy that cannot succeed stays pending this long before it fails. */
const FAILING_COPY_MS = 60_000;
/** "Snapshots created by a snapshot copy operation have an arbitrary volume ID, such as vol-ffffffff." */
const COPY_VOLUME_ID = 'vol-ffffffff';

interface NewSnapshot {
  id?: string;
  owner: string;
  region: string;
  volumeId: string;
  volumeSizeGiB: number;
  origin: SnapshotOrigin;
  encrypted: boolean;
  kmsKeyId?: string;
  description?: string;
  tags: TagInput[];
}

/**
 * Simulated EC2, EBS snapshot part: its state. Control-plane methods create volumes and snapshots
 * as a source account's own activity would; the API (api/ec2-api.ts) answers the SDK. Snapshots go
 * pending → completed (or error) on the simulated clock and then emit AWS's `EBS Snapshot
 * Notification` on the owner's default bus. AMIs live in {@link Ec2Sim.images} (images.ts).
 */
export class Ec2Sim {
  readonly cloud: CloudCore;
  /** Every snapshot; other EC2 kinds (AMIs) register their backing snapshots here. */
  readonly snapshotStore = new SnapshotStore();
  /** The AMIs (see ec2-images.ts), backed by snapshots of {@link snapshotStore}. */
  readonly images: Ec2Images;
  /** VPCs, subnets, route tables and security groups. */
  readonly network = new NetworkStore();
  readonly launchTemplates = new LaunchTemplateStore();
  readonly #volumes = new Map<string, SimVolume>();
  readonly #instances = new Map<string, SimInstance>();
  readonly #options: typeof DEFAULTS;

  /** `recycleBin`: where deleted snapshots and deregistered AMIs go when a retention rule keeps them; without it, nothing is kept. */
  constructor(
    readonly kms: KmsSim,
    options: Ec2SimOptions = {},
    readonly recycleBin?: RecycleBin,
  ) {
    this.cloud = kms.cloud;
    this.#options = { ...DEFAULTS, ...options };
    this.images = new Ec2Images(this, {
      copyQuota: this.#options.imageCopyQuota,
      copyDurationMs: this.#options.copyDurationMs,
      deregisteredVisibleMs: this.#options.deregisteredVisibleMs,
      announceImageSnapshots: this.#options.announceImageSnapshots,
    });
  }

  /**
   * Creates a volume. `aws-managed` uses the account's `aws/ebs` key; `cmk` without a key creates a
   * customer managed key in the volume's account.
   * @throws Error for a taken id or an unknown key
   */
  createVolume(account: string, region: string, spec: CreateVolumeSpec): SimVolume {
    if (spec.id !== undefined && this.#volumes.has(`${region}/${spec.id}`))
      throw new Error(`Volume ${spec.id} already exists in ${region}`);
    const volume = this.scratchVolume(account, region, spec);
    this.#volumes.set(`${region}/${volume.id}`, volume);
    return volume;
  }

  /**
   * A volume that is never listed: what an image registered without an instance is made of.
   * @throws Error for an unknown key
   */
  scratchVolume(account: string, region: string, spec: CreateVolumeSpec): SimVolume {
    const id = spec.id ?? ec2Id('vol');
    if (spec.kmsKeyArn !== undefined && !this.kms.key(spec.kmsKeyArn)) throw new Error(`No KMS key ${spec.kmsKeyArn}`);
    const tags = new Map<string, string>();
    addTags(tags, tagInputs(spec.tags));
    return {
      id,
      account,
      region,
      sizeGiB: spec.sizeGiB ?? DEFAULT_VOLUME_GIB,
      kmsKeyArn: this.#volumeKey(account, region, id, spec),
      createTime: this.cloud.clock.now(),
      tags,
      availabilityZone: spec.availabilityZone ?? `${region}a`,
      volumeType: spec.volumeType ?? DEFAULT_VOLUME_TYPE,
      availableAt: this.cloud.clock.nowMs(),
    };
  }

  /**
   * CreateVolume: an empty volume of a size, or one restored from a snapshot the account owns or
   * that is shared with it (at least the snapshot's size, encrypted as the snapshot is). It is
   * `creating` for {@link Ec2SimOptions.volumeCreateMs}, then `available`.
   * @throws AwsError MissingParameter, InvalidSnapshot.NotFound, IncorrectState, InvalidParameterValue
   */
  restoreVolume(
    account: string,
    region: string,
    spec: { availabilityZone: string; snapshotId?: string; sizeGiB?: number; volumeType?: string; kmsKeyId?: string; tags: TagInput[] },
    /** For a launch: the image's launch permission lets the account read its snapshots, and the volume is ready at once. */
    launch = false,
  ): SimVolume {
    if (!spec.availabilityZone.startsWith(region))
      throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${spec.availabilityZone}]`);
    const id = spec.snapshotId;
    const snapshot =
      id === undefined ? undefined : launch ? this.snapshotStore.get(region, id) : this.#visibleSnapshot(account, region, id);
    if (id !== undefined && !snapshot) throw notFound('InvalidSnapshot.NotFound', 'snapshot', id);
    if (snapshot && snapshot.state !== 'completed') throw new AwsError('IncorrectState', `Snapshot '${snapshot.id}' is not 'completed'.`);
    if (!snapshot && spec.sizeGiB === undefined)
      throw new AwsError('MissingParameter', 'The request must contain the parameter size or snapshotId');
    const sizeGiB = spec.sizeGiB ?? snapshot!.volumeSizeGiB;
    if (snapshot && sizeGiB < snapshot.volumeSizeGiB)
      throw new AwsError(
        'InvalidParameterValue',
        `Volume of ${sizeGiB}GiB is smaller than snapshot '${snapshot.id}', ${snapshot.volumeSizeGiB}GiB`,
      );
    const tags = new Map<string, string>();
    addTags(tags, spec.tags);
    const now = this.cloud.clock.nowMs();
    const volume: SimVolume = {
      id: ec2Id('vol'),
      account,
      region,
      sizeGiB,
      kmsKeyArn: spec.kmsKeyId ?? snapshot?.kmsKeyId,
      createTime: new Date(now),
      tags,
      availabilityZone: spec.availabilityZone,
      volumeType: spec.volumeType ?? DEFAULT_VOLUME_TYPE,
      snapshotId: snapshot?.id,
      availableAt: launch ? now : now + this.#options.volumeCreateMs,
    };
    this.#volumes.set(`${region}/${volume.id}`, volume);
    return volume;
  }

  /**
   * AttachVolume: an available volume to an instance in the same Availability Zone, as a device
   * name the instance does not use yet.
   * @throws AwsError InvalidVolume.NotFound, InvalidInstanceID.NotFound, IncorrectState, InvalidVolume.ZoneMismatch, InvalidParameterValue
   */
  attachVolume(account: string, region: string, spec: { volumeId: string; instanceId: string; device: string }): SimVolume {
    const volume = this.volume(account, region, spec.volumeId);
    if (!volume) throw notFound('InvalidVolume.NotFound', 'volume', spec.volumeId);
    const instance = this.instance(account, region, spec.instanceId);
    if (!instance) throw notFound('InvalidInstanceID.NotFound', 'instance ID', spec.instanceId);
    const state = volumeState(volume, this.cloud.clock.nowMs());
    if (state !== 'available') throw new AwsError('IncorrectState', `vol '${volume.id}' is not 'available'; it is '${state}'.`);
    if (volume.availabilityZone !== instance.availabilityZone)
      throw new AwsError(
        'InvalidVolume.ZoneMismatch',
        `The volume '${volume.id}' is not in the same availability zone as instance '${instance.id}'`,
      );
    if (instance.volumeIds.some((id) => this.volume(account, region, id)?.device === spec.device))
      throw new AwsError(
        'InvalidParameterValue',
        `Invalid value '${spec.device}' for unixDevice. Attachment point ${spec.device} is already in use`,
      );
    volume.attachedTo = instance.id;
    volume.device = spec.device;
    instance.volumeIds.push(volume.id);
    return volume;
  }

  /**
   * RunInstances of one instance: its root volume from the image's root snapshot (a fresh one for
   * the public launch image), further volumes from the image and the request, all attached; in its
   * subnet's VPC and zone, with security groups of that VPC. It is `pending` for
   * {@link Ec2SimOptions.instanceBootMs}, then `running`.
   * @throws AwsError InvalidAMIID.NotFound, InvalidAMIID.Unavailable, InvalidSubnetID.NotFound, InvalidGroup.NotFound, InvalidParameter
   */
  launch(account: string, region: string, spec: LaunchSpec): SimInstance {
    const image = spec.imageId === LAUNCH_IMAGE_ID ? undefined : this.images.store.get(region, spec.imageId);
    if (spec.imageId !== LAUNCH_IMAGE_ID && (!image || !canSeeImage(image, account))) throw imageNotFound(spec.imageId);
    if (image && image.state !== 'available') throw imageUnavailable(spec.imageId);
    const subnet = spec.subnetId === undefined ? undefined : this.network.subnet(account, region, spec.subnetId);
    for (const id of spec.securityGroupIds) {
      const group = this.network.securityGroup(account, region, id);
      if (subnet && group.vpcId !== subnet.vpcId)
        throw new AwsError('InvalidParameter', `Security group ${id} and subnet ${subnet.id} belong to different networks.`);
    }
    const availabilityZone = subnet?.availabilityZone ?? spec.availabilityZone ?? `${region}a`;
    const id = ec2Id('i');
    const now = this.cloud.clock.nowMs();
    const devices = [
      ...(image?.blockDevices ?? [{ deviceName: ROOT_DEVICE, snapshotId: undefined, volumeSizeGiB: DEFAULT_VOLUME_GIB }]).map((d) => ({
        deviceName: d.deviceName,
        snapshotId: d.snapshotId,
        sizeGiB: d.snapshotId === undefined ? d.volumeSizeGiB : undefined,
        volumeType: undefined as string | undefined,
      })),
      ...spec.blockDevices,
    ];
    const volumes = devices.map((d, index) => {
      const fromImage = index < (image?.blockDevices.length ?? 1);
      if (!fromImage && d.snapshotId !== undefined) this.#visibleSnapshot(account, region, d.snapshotId);
      const volume = this.restoreVolume(account, region, { availabilityZone, ...d, tags: [] }, true);
      volume.attachedTo = id;
      volume.device = d.deviceName;
      return volume;
    });
    const tags = new Map<string, string>();
    addTags(tags, tagInputs(spec.tags));
    const instance: SimInstance = {
      id,
      account,
      region,
      imageId: spec.imageId,
      rootVolumeId: volumes[0]!.id,
      volumeIds: volumes.map((v) => v.id),
      launchTime: new Date(now),
      tags,
      instanceType: spec.instanceType,
      keyName: spec.keyName,
      subnetId: subnet?.id,
      vpcId: subnet?.vpcId,
      availabilityZone,
      securityGroupIds: spec.securityGroupIds,
      iamInstanceProfileArn: spec.iamInstanceProfileArn,
      launchTemplate: spec.launchTemplate,
      runningAt: now + this.#options.instanceBootMs,
    };
    this.#instances.set(`${region}/${id}`, instance);
    return instance;
  }

  /** An account's volume, if it exists. */
  volume(account: string, region: string, id: string): SimVolume | undefined {
    const volume = this.#volumes.get(`${region}/${id}`);
    return volume?.account === account ? volume : undefined;
  }

  /** The volumes of an account in a region, oldest first. */
  volumes(account: string, region: string): SimVolume[] {
    return [...this.#volumes.values()].filter((v) => v.account === account && v.region === region);
  }

  /**
   * Launches an instance with a fresh root volume of that encryption (the account's own activity).
   * @throws Error for a malformed or taken id
   */
  runInstance(account: string, region: string, spec: RunInstanceSpec): SimInstance {
    if (spec.id !== undefined && !isEc2Id('i', spec.id))
      throw new Error(`Instance id ${spec.id} is not of the form i-<8 to 17 hex digits>`);
    const id = spec.id ?? ec2Id('i');
    if (this.#instances.has(`${region}/${id}`)) throw new Error(`Instance ${id} already exists in ${region}`);
    const subnet = spec.subnetId === undefined ? undefined : this.network.subnet(account, region, spec.subnetId);
    const availabilityZone = subnet?.availabilityZone ?? `${region}a`;
    const root = this.createVolume(account, region, {
      id: spec.rootVolumeId,
      encryption: spec.encryption,
      kmsKeyArn: spec.kmsKeyArn,
      sizeGiB: spec.sizeGiB,
      availabilityZone,
    });
    const volumes = [root, ...(spec.dataVolumes ?? []).map((v) => this.createVolume(account, region, { ...v, availabilityZone }))];
    volumes.forEach((volume, index) => {
      volume.attachedTo = id;
      volume.device = index === 0 ? ROOT_DEVICE : dataDeviceName(index - 1);
    });
    const tags = new Map<string, string>();
    addTags(tags, tagInputs(spec.tags));
    const now = this.cloud.clock.nowMs();
    const instance: SimInstance = {
      id,
      account,
      region,
      imageId: LAUNCH_IMAGE_ID,
      rootVolumeId: root.id,
      volumeIds: volumes.map((v) => v.id),
      launchTime: new Date(now),
      tags,
      instanceType: spec.instanceType ?? DEFAULT_INSTANCE_TYPE,
      keyName: spec.keyName,
      subnetId: subnet?.id,
      vpcId: subnet?.vpcId,
      availabilityZone,
      securityGroupIds: spec.securityGroupIds ?? [],
      iamInstanceProfileArn: spec.iamInstanceProfileArn,
      runningAt: now,
    };
    this.#instances.set(`${region}/${id}`, instance);
    return instance;
  }

  /** An account's instance, if it exists. */
  instance(account: string, region: string, id: string): SimInstance | undefined {
    const instance = this.#instances.get(`${region}/${id}`);
    return instance?.account === account ? instance : undefined;
  }

  /** The instances of an account in a region, oldest first. */
  instances(account: string, region: string): SimInstance[] {
    return [...this.#instances.values()].filter((i) => i.account === account && i.region === region);
  }

  /**
   * StopInstances of one instance: `stopping` for {@link Ec2SimOptions.instanceStopMs}, then
   * `stopped`; stopping a stopping or stopped one changes nothing.
   * @throws AwsError InvalidInstanceID.NotFound, IncorrectInstanceState (a pending instance cannot be stopped)
   */
  stopInstance(account: string, region: string, id: string): { previous: InstanceStateName; current: InstanceStateName } {
    const instance = this.#ownInstance(account, region, id);
    const now = this.cloud.clock.nowMs();
    const previous = instanceState(instance, now);
    if (previous === 'pending') throw incorrectState(id, previous, 'stopped');
    if (previous === 'running') instance.stoppedAt = now + this.#options.instanceStopMs;
    return { previous, current: instanceState(instance, now) };
  }

  /**
   * StartInstances of one instance: a stopped one is `pending` for {@link Ec2SimOptions.instanceBootMs}, then `running`;
   * starting a pending or running one changes nothing.
   * @throws AwsError InvalidInstanceID.NotFound, IncorrectInstanceState (a stopping instance)
   */
  startInstance(account: string, region: string, id: string): { previous: InstanceStateName; current: InstanceStateName } {
    const instance = this.#ownInstance(account, region, id);
    const now = this.cloud.clock.nowMs();
    const previous = instanceState(instance, now);
    if (previous === 'stopping') throw incorrectState(id, previous, 'started');
    if (previous === 'stopped') {
      instance.stoppedAt = undefined;
      instance.runningAt = now + this.#options.instanceBootMs;
    }
    return { previous, current: instanceState(instance, now) };
  }

  /**
   * ModifyInstanceAttribute of the instance type: "To change the instance type, the instance must be
   * stopped" (EC2 User Guide, "Change the instance type").
   * @throws AwsError InvalidInstanceID.NotFound, IncorrectInstanceState (not stopped)
   */
  modifyInstanceType(account: string, region: string, id: string, instanceType: string): void {
    const instance = this.#ownInstance(account, region, id);
    const state = instanceState(instance, this.cloud.clock.nowMs());
    if (state !== 'stopped') throw new AwsError('IncorrectInstanceState', `The instance '${id}' is not in the 'stopped' state.`);
    instance.instanceType = instanceType;
  }

  #ownInstance(account: string, region: string, id: string): SimInstance {
    const instance = this.instance(account, region, id);
    if (!instance) throw notFound('InvalidInstanceID.NotFound', 'instance ID', id);
    return instance;
  }

  /**
   * Starts a snapshot of an account's volume (the account's own activity, not through the API).
   * @throws AwsError InvalidVolume.NotFound; Error for a malformed or taken id
   */
  createSnapshot(account: string, region: string, spec: CreateSnapshotSpec): SimSnapshot {
    const volume = this.volume(account, region, spec.volumeId);
    if (!volume) throw notFound('InvalidVolume.NotFound', 'volume', spec.volumeId);
    if (spec.id !== undefined && !isEc2Id('snap', spec.id))
      throw new Error(`Snapshot id ${spec.id} is not of the form snap-<8 to 17 hex digits>`);
    const tags = tagInputs(spec.tags);
    return this.startSnapshot(volume, { id: spec.id, description: spec.description, tags, emit: spec.emit ?? true });
  }

  /**
   * Launches an instance with its volumes (the account's own activity, not through the API).
   * @throws Error for a taken id
   */
  createInstance(account: string, region: string, spec: CreateInstanceSpec): SimInstance {
    const [root, ...data] = spec.volumes;
    if (!root) throw new Error('An instance needs a root volume');
    const { encryption, kmsKeyArn, sizeGiB } = root;
    return this.runInstance(account, region, { encryption, kmsKeyArn, sizeGiB, rootVolumeId: root.id, id: spec.id, dataVolumes: data });
  }

  /**
   * Starts a crash-consistent snapshot of each volume of an instance (CreateSnapshots), which
   * announces the set with one `EBS Multi-Volume Snapshots Completion Status` once all have settled.
   * @throws AwsError InvalidInstanceID.NotFound
   */
  createSnapshots(account: string, region: string, spec: CreateSnapshotsSpec & { description?: string; tags?: TagInput[] }): SimSnapshot[] {
    const instance = this.instance(account, region, spec.instanceId);
    if (!instance) throw notFound('InvalidInstanceID.NotFound', 'instance ID', spec.instanceId);
    const volumeIds = spec.excludeBootVolume ? instance.volumeIds.slice(1) : instance.volumeIds;
    const snapshots = volumeIds.map((volumeId) =>
      this.startSnapshot(this.volume(account, region, volumeId)!, {
        description: spec.description,
        tags: spec.tags ?? [],
        emit: false,
        failure: spec.failing?.[volumeId],
      }),
    );
    const settled = Math.max(...snapshots.map((s) => s.settlesAt));
    if ((spec.emit ?? true) && snapshots.length > 0)
      this.cloud.clock.at(settled, () =>
        this.cloud.emitServiceEvent(snapshotSetEvent(snapshots.filter((s) => this.snapshotStore.holds(s)))),
      );
    return snapshots;
  }

  /** Starts a snapshot of a volume: pending now, completed (or, with `failure`, in error) after the snapshot duration. */
  startSnapshot(
    volume: SimVolume,
    options: { id?: string; description?: string; tags: TagInput[]; emit: boolean; failure?: string },
  ): SimSnapshot {
    const snapshot: NewSnapshot = {
      id: options.id,
      owner: volume.account,
      region: volume.region,
      volumeId: volume.id,
      volumeSizeGiB: volume.sizeGiB,
      origin: { kind: 'volume', volumeArn: eventVolumeArn(volume) },
      encrypted: volume.kmsKeyArn !== undefined,
      kmsKeyId: volume.kmsKeyArn,
      description: options.description,
      tags: options.tags,
    };
    return this.#start(snapshot, this.#options.snapshotDurationMs, { emit: options.emit, failure: options.failure });
  }

  /**
   * Starts a CopySnapshot for `caller` into `region`. A copy the caller may not make (invisible
   * source, inaccessible key) is still accepted, then fails, as EC2 does.
   * @throws AwsError InvalidParameterDependency, IncorrectState, ResourceLimitExceeded, InvalidParameterValue
   */
  startCopy(request: CopyRequest & { description?: string; tags: TagInput[] }, caller: Principal, region: string): SimSnapshot {
    const plan = planCopy(request, caller, region, this.snapshotStore, this.kms);
    const quota = this.#options.copyQuota;
    if (this.snapshotStore.pendingCopies(caller.account, region) >= quota) {
      throw new AwsError(
        'ResourceLimitExceeded',
        `You have exceeded the limit of ${quota} concurrent snapshot copies to ${region}. Wait for copies in progress to complete.`,
      );
    }
    const copy: NewSnapshot = {
      owner: caller.account,
      region,
      volumeId: COPY_VOLUME_ID,
      volumeSizeGiB: plan.volumeSizeGiB,
      origin: { kind: 'copy', sourceArn: plan.sourceArn },
      encrypted: plan.encrypted,
      kmsKeyId: plan.kmsKeyId,
      description: request.description,
      tags: request.tags,
    };
    const duration = plan.failure ? FAILING_COPY_MS : this.#options.copyDurationMs(plan.volumeSizeGiB);
    return this.#start(copy, duration, { emit: true, failure: plan.failure });
  }

  /**
   * Whether a resource created at `createdAt` has propagated to EC2's Describe calls: "if you run a
   * command to modify or describe the resource that you just created, its ID might not have
   * propagated throughout the system" (Amazon EC2 Developer Guide, "Eventual consistency in the Amazon EC2 API").
   */
  described(createdAt: Date): boolean {
    return createdAt.getTime() + this.#options.describeLagMs <= this.cloud.clock.nowMs();
  }

  /** A snapshot an account owns, if it exists. */
  snapshot(account: string, region: string, id: string): SimSnapshot | undefined {
    const snapshot = this.snapshotStore.get(region, id);
    return snapshot?.owner === account ? snapshot : undefined;
  }

  /**
   * DeleteSnapshot: refused while the snapshot is locked, whoever asks; a Recycle Bin rule of the
   * owner's region may keep it, out of sight, for its retention.
   * @throws AwsError SnapshotLocked, InvalidSnapshot.InUse
   */
  deleteSnapshot(snapshot: SimSnapshot): void {
    refuseLockedDelete(snapshot, this.cloud.clock.nowMs());
    this.snapshotStore.delete(snapshot);
    this.recycleBin?.keep('EBS_SNAPSHOT', snapshot.owner, snapshot.region, snapshot.id, snapshot.tags, snapshot);
  }

  /** Every snapshot, optionally narrowed to an owner, a region and a state. */
  snapshots(filter: { account?: string; region?: string; state?: SnapshotState } = {}): SimSnapshot[] {
    return this.snapshotStore
      .all()
      .filter(
        (s) => (filter.account ?? s.owner) === s.owner && (filter.region ?? s.region) === s.region && (filter.state ?? s.state) === s.state,
      );
  }

  /** Forgets an account's volumes, instances, snapshots and AMIs (disaster drills); pending ones never settle. */
  removeAccount(account: string): void {
    for (const [key, volume] of this.#volumes) if (volume.account === account) this.#volumes.delete(key);
    for (const [key, instance] of this.#instances) if (instance.account === account) this.#instances.delete(key);
    this.snapshotStore.removeAccount(account);
    this.images.store.removeAccount(account);
    this.network.removeAccount(account);
    this.launchTemplates.removeAccount(account);
  }

  /** @throws AwsError InvalidSnapshot.NotFound for a snapshot the account neither owns nor was given */
  #visibleSnapshot(account: string, region: string, id: string): SimSnapshot {
    const snapshot = this.snapshotStore.get(region, id);
    if (!snapshot || !canSee(snapshot, account)) throw notFound('InvalidSnapshot.NotFound', 'snapshot', id);
    return snapshot;
  }

  #volumeKey(account: string, region: string, id: string, spec: CreateVolumeSpec): string | undefined {
    if (spec.encryption === 'none') return undefined;
    if (spec.encryption === 'aws-managed') return this.kms.awsManagedKey(account, region, 'ebs').arn;
    if (spec.kmsKeyArn) return spec.kmsKeyArn;
    const alias = this.#options.customerKeyAlias;
    if (alias) return this.kms.aliasedKey(account, region, alias, `Customer managed key ${alias}`).arn;
    return this.kms.createKey(account, region, { description: `Customer managed key for EBS volume ${id}` }).arn;
  }

  /** Stores a pending snapshot and settles it (completed, or error with `failure`) after `durationMs`. */
  #start(fields: NewSnapshot, durationMs: number, settle: { emit: boolean; failure?: string }): SimSnapshot {
    const tags = new Map<string, string>();
    addTags(tags, fields.tags);
    const now = this.cloud.clock.nowMs();
    const snapshot: SimSnapshot = {
      ...fields,
      id: fields.id ?? ec2Id('snap'),
      description: fields.description ?? '',
      startTime: new Date(now),
      state: 'pending',
      settlesAt: now + durationMs,
      tags,
      sharedWith: new Set(),
      isPublic: false,
      usedBy: new Set(),
    };
    this.snapshotStore.add(snapshot);
    this.cloud.clock.at(snapshot.settlesAt, () => this.#settle(snapshot, settle));
    return snapshot;
  }

  #settle(snapshot: SimSnapshot, settle: { emit: boolean; failure?: string }): void {
    // Deleted (or its account removed) while pending: nothing left to complete.
    if (!this.snapshotStore.holds(snapshot)) return;
    if (settle.failure) {
      snapshot.state = 'error';
      snapshot.stateMessage = settle.failure;
    } else {
      snapshot.state = 'completed';
      snapshot.completionTime = new Date(snapshot.settlesAt);
    }
    if (settle.emit) this.cloud.emitServiceEvent(settledSnapshotEvent(snapshot));
  }
}

/** EC2's refusal of a state change the instance's state does not allow. */
function incorrectState(id: string, state: InstanceStateName, wanted: string): AwsError {
  return new AwsError('IncorrectInstanceState', `The instance '${id}' is in the '${state}' state and cannot be ${wanted}.`);
}
