import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import type { CreateInstanceSpec, CreateSnapshotsSpec } from './ebs-instance.js';
import { type SimSnapshot, type SnapshotOrigin, type SnapshotState, SnapshotStore } from './ebs-snapshot.js';
import { type CopyRequest, planCopy } from './ebs-snapshot-copy.js';
import { settledSnapshotEvent, snapshotSetEvent } from './ebs-snapshot-events.js';
import { type CreateVolumeSpec, DEFAULT_VOLUME_GIB, eventVolumeArn, type SimVolume } from './ebs-volume.js';
import { ec2Id, isEc2Id, notFound } from './ids.js';
import { AMI_CONCURRENT_COPY_QUOTA, Ec2Images } from './images.js';
import { LAUNCH_IMAGE_ID, type RunInstanceSpec, type SimInstance } from './instance.js';
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
  readonly #volumes = new Map<string, SimVolume>();
  readonly #instances = new Map<string, SimInstance>();
  readonly #options: typeof DEFAULTS;

  constructor(
    readonly kms: KmsSim,
    options: Ec2SimOptions = {},
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
    };
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
    const root = this.createVolume(account, region, { encryption: spec.encryption, kmsKeyArn: spec.kmsKeyArn, sizeGiB: spec.sizeGiB });
    root.attachedTo = id;
    const tags = new Map<string, string>();
    addTags(tags, tagInputs(spec.tags));
    const instance: SimInstance = {
      id,
      account,
      region,
      imageId: LAUNCH_IMAGE_ID,
      rootVolumeId: root.id,
      volumeIds: [root.id],
      launchTime: this.cloud.clock.now(),
      tags,
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
    const id = spec.id ?? ec2Id('i');
    if (this.#instances.has(`${region}/${id}`)) throw new Error(`Instance ${id} already exists in ${region}`);
    const volumes = spec.volumes.map((v) => this.createVolume(account, region, v));
    for (const volume of volumes) volume.attachedTo = id;
    const volumeIds = volumes.map((v) => v.id);
    const instance: SimInstance = {
      id,
      account,
      region,
      imageId: LAUNCH_IMAGE_ID,
      rootVolumeId: volumeIds[0]!,
      volumeIds,
      launchTime: this.cloud.clock.now(),
      tags: new Map(),
    };
    this.#instances.set(`${region}/${id}`, instance);
    return instance;
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
