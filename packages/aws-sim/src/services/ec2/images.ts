import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import type { RecycleBin } from '../rbin/recycle-bin.js';
import type { SimSnapshot, SnapshotStore } from './ebs-snapshot.js';
import type { CopyPlan } from './ebs-snapshot-copy.js';
import { settledSnapshotEvent } from './ebs-snapshot-events.js';
import { type PermissionChanges, validatePermission } from './ebs-snapshot-sharing.js';
import type { CreateVolumeSpec, SimVolume, VolumeEncryption } from './ebs-volume.js';
import { ec2Id, isEc2Id } from './ids.js';
import { type ImageBlockDevice, ImageStore, ROOT_DEVICE, type SimImage } from './image.js';
import { type ImageCopyRequest, planImageCopy } from './image-copy.js';
import { amiStateChangeEvent } from './image-events.js';
import type { SimInstance } from './instance.js';
import { addTags, type TagInput } from './tags.js';

/** "Destination Regions are limited to 100 concurrent AMI copies" (EC2 User Guide, Copy an AMI, Cross-Region copying). */
export const AMI_CONCURRENT_COPY_QUOTA = 100;

/**
 * An AMI made by the account itself (drills, tests): CreateImage of one of its instances, or, without
 * an instance, an image registered from a snapshot of a volume nothing else holds.
 */
export interface CreateImageSpec {
  name: string;
  /** The instance it is made of (its root volume); its encryption then is the volume's. */
  instanceId?: string;
  encryption: VolumeEncryption;
  /** The customer managed key for `cmk` (a new key in the account when absent). */
  kmsKeyArn?: string;
  /** An explicit image id (`ami-` and 8 to 17 hex digits). */
  id?: string;
  /** Emit `EC2 AMI State Change` when it settles (default true). */
  emit?: boolean;
  sizeGiB?: number;
}

export interface ImageCopyOptions {
  copyQuota: number;
  /** How long a copy of an AMI of that total size stays pending. */
  copyDurationMs: (sizeGiB: number) => number;
  /** How long a deregistered AMI stays visible, its name taken. */
  deregisteredVisibleMs: number;
  /** Whether the snapshots CreateImage and CopyImage make announce themselves as EBS snapshot events. */
  announceImageSnapshots: boolean;
}

/** A CopyImage request: the copy, its name and description, its `image` / `snapshot` tags, and its idempotency token. */
export type StartImageCopy = ImageCopyRequest & {
  name: string;
  description?: string;
  imageTags: TagInput[];
  snapshotTags: TagInput[];
  clientToken?: string;
};

/** A copy that cannot succeed stays pending this long before it fails. */
const FAILING_COPY_MS = 60_000;
/** "Snapshots created by a snapshot copy operation have an arbitrary volume ID, such as vol-ffffffff." */
const COPY_VOLUME_ID = 'vol-ffffffff';
/** "If true, enforces deregistration protection for 24 hours after deregistration protection is disabled" (EnableImageDeregistrationProtection). */
const DEREGISTRATION_COOLDOWN_MS = 24 * 3_600_000;

/** The EBS side images are backed by (the simulated EC2's volumes and snapshots). */
export interface ImageBacking {
  readonly cloud: CloudCore;
  readonly kms: KmsSim;
  readonly snapshotStore: SnapshotStore;
  readonly recycleBin?: RecycleBin;
  scratchVolume(account: string, region: string, spec: CreateVolumeSpec): SimVolume;
  volume(account: string, region: string, id: string): SimVolume | undefined;
  instance(account: string, region: string, id: string): SimInstance | undefined;
  startSnapshot(volume: SimVolume, options: { id?: string; description?: string; tags: TagInput[]; emit: boolean }): SimSnapshot;
}

/**
 * Simulated EC2, AMI part: EBS-backed images over the snapshots of {@link ImageBacking.snapshotStore},
 * which an image marks as in use. Images go pending → available (or failed) on the simulated clock
 * and then emit `EC2 AMI State Change` on the owner's default bus; so does deregistering one.
 */
export class Ec2Images {
  readonly store: ImageStore;
  /** The image each CopyImage ClientToken made, per account and region. */
  readonly #tokens = new Map<string, SimImage>();

  constructor(
    private readonly ec2: ImageBacking,
    private readonly options: ImageCopyOptions,
  ) {
    this.store = new ImageStore(() => ec2.cloud.clock.nowMs(), options.deregisteredVisibleMs);
  }

  /**
   * Creates an AMI: of an instance's root volume (CreateImage), or of a fresh volume of that
   * encryption. Its backing snapshot is taken silently, and the AMI becomes available when the
   * snapshot completes.
   * @throws Error for a malformed or taken id, or an unknown instance
   */
  create(account: string, region: string, spec: CreateImageSpec): SimImage {
    if (spec.id !== undefined && !isEc2Id('ami', spec.id))
      throw new Error(`Image id ${spec.id} is not of the form ami-<8 to 17 hex digits>`);
    const id = spec.id ?? ec2Id('ami');
    if (this.store.get(region, id)) throw new Error(`Image ${id} already exists in ${region}`);
    this.#refuseTakenName(account, region, spec.name);
    const instance = spec.instanceId === undefined ? undefined : this.ec2.instance(account, region, spec.instanceId);
    if (spec.instanceId !== undefined && !instance) throw new Error(`No instance ${spec.instanceId} in ${account}/${region}`);
    const volume = instance
      ? this.ec2.volume(account, region, instance.rootVolumeId)!
      : this.ec2.scratchVolume(account, region, { encryption: spec.encryption, kmsKeyArn: spec.kmsKeyArn, sizeGiB: spec.sizeGiB });
    // The description EC2 gives the snapshots CreateImage takes; whether their events are sent is an option.
    const snapshot = this.ec2.startSnapshot(volume, {
      description: `Created by CreateImage(${instance?.id ?? ec2Id('i')}) for ${id}`,
      tags: [],
      emit: this.options.announceImageSnapshots,
    });
    const image = this.#image({
      id,
      owner: account,
      region,
      name: spec.name,
      description: '',
      origin: instance ? { kind: 'create', instanceId: instance.id } : { kind: 'create' },
      settlesAt: snapshot.settlesAt,
      blockDevices: [deviceOf(snapshot)],
    });
    this.ec2.snapshotStore.use(snapshot, id);
    this.#register(image, { emit: spec.emit ?? true });
    return image;
  }

  /**
   * Starts a CopyImage for `caller` into `region`. Its backing snapshots appear when the copy completes.
   * @throws AwsError ResourceLimitExceeded, and those of {@link planImageCopy}
   */
  startCopy(request: StartImageCopy, caller: Principal, region: string): SimImage {
    // "Ensuring idempotency in Amazon EC2 API requests": a request repeated with its ClientToken returns what the first made.
    const token = request.clientToken === undefined ? undefined : `${caller.account}|${region}|${request.clientToken}`;
    const earlier = token === undefined ? undefined : this.#tokens.get(token);
    if (earlier) return earlier;
    const plan = planImageCopy(request, caller, region, { images: this.store, snapshots: this.ec2.snapshotStore }, this.ec2.kms);
    this.#refuseTakenName(caller.account, region, request.name);
    const quota = this.options.copyQuota;
    if (this.store.pendingCopies(caller.account, region) >= quota) {
      throw new AwsError(
        'ResourceLimitExceeded',
        `You have exceeded the limit of ${quota} concurrent AMI copies to ${region}. Wait for copies in progress to complete.`,
      );
    }
    const sizeGiB = plan.devices.reduce((sum, d) => sum + d.device.volumeSizeGiB, 0);
    const now = this.ec2.cloud.clock.nowMs();
    const devices = plan.devices.map(({ device, plan: p }) => ({
      device: { ...device, snapshotId: ec2Id('snap'), encrypted: p.encrypted },
      plan: p,
    }));
    const image = this.#image({
      id: ec2Id('ami'),
      owner: caller.account,
      region,
      name: request.name,
      description: request.description ?? '',
      origin: { kind: 'copy', sourceImageId: request.sourceImageId, sourceRegion: request.sourceRegion },
      settlesAt: now + (plan.failure ? FAILING_COPY_MS : this.options.copyDurationMs(sizeGiB)),
      blockDevices: devices.map((d) => d.device),
    });
    addTags(image.tags, request.imageTags);
    if (token !== undefined) this.#tokens.set(token, image);
    this.#register(image, {
      emit: true,
      failure: plan.failure,
      onAvailable: () => {
        for (const d of devices) this.#copySnapshot(image, d, request.snapshotTags);
      },
    });
    return image;
  }

  /**
   * Applies launchPermission changes as ModifyImageAttribute does, all or nothing. An AMI whose
   * snapshots are under the AWS managed key cannot be shared.
   * @throws AwsError InvalidParameterValue, InvalidParameter
   */
  changeLaunchPermissions(image: SimImage, changes: PermissionChanges): void {
    [...changes.add, ...changes.remove].forEach(validatePermission);
    if (changes.add.length > 0)
      this.#refuseUnshareable(
        image,
        changes.add.some((p) => p.group === 'all'),
      );
    for (const { userId } of changes.add) if (userId) image.launchPermissions.add(userId);
    for (const { userId } of changes.remove) if (userId) image.launchPermissions.delete(userId);
    if (changes.add.some((p) => p.group === 'all')) image.isPublic = true;
    if (changes.remove.some((p) => p.group === 'all')) image.isPublic = false;
  }

  /**
   * Deregisters an image: it stays visible as `deregistered` for a while (its name still taken), its
   * snapshots stay (now deletable), and `deregistered` is emitted.
   */
  deregister(image: SimImage): void {
    this.#refuseProtected(image);
    this.store.markDeregistered(image);
    this.ec2.recycleBin?.keep('EC2_IMAGE', image.owner, image.region, image.id, image.tags, image);
    for (const device of image.blockDevices) {
      const snapshot = this.ec2.snapshotStore.get(image.region, device.snapshotId);
      if (snapshot) this.ec2.snapshotStore.release(snapshot, image.id);
    }
    this.ec2.cloud.emitServiceEvent(amiStateChangeEvent(image, 'deregistered'));
  }

  /** EnableImageDeregistrationProtection: with cooldown, disabling it later leaves the AMI protected for 24 hours more. */
  protect(image: SimImage, withCooldown: boolean): void {
    image.deregistrationProtection = { withCooldown };
    image.protectedUntil = undefined;
  }

  /** DisableImageDeregistrationProtection. */
  unprotect(image: SimImage): void {
    if (image.deregistrationProtection?.withCooldown) image.protectedUntil = this.ec2.cloud.clock.nowMs() + DEREGISTRATION_COOLDOWN_MS;
    image.deregistrationProtection = undefined;
  }

  /** DescribeImages' `DeregistrationProtection`. */
  protectionOf(image: SimImage): string {
    if (image.deregistrationProtection) return image.deregistrationProtection.withCooldown ? 'enabled-with-cooldown' : 'enabled';
    const until = image.protectedUntil;
    return until !== undefined && until > this.ec2.cloud.clock.nowMs() ? `disabled-until-${new Date(until).toISOString()}` : 'disabled';
  }

  /**
   * EC2 documents no error code for a protected AMI; the simulator answers OperationNotPermitted, EC2's code for
   * termination protection (README fidelity table).
   * @throws AwsError OperationNotPermitted
   */
  #refuseProtected(image: SimImage): void {
    const protection = this.protectionOf(image);
    if (protection !== 'disabled')
      throw new AwsError(
        'OperationNotPermitted',
        protection.startsWith('enabled')
          ? `The image ${image.id} has deregistration protection (${protection}): disable it with DisableImageDeregistrationProtection first.`
          : `The image ${image.id} had deregistration protection with cooldown: it cannot be deregistered until ${protection.slice('disabled-until-'.length)}.`,
      );
  }

  /**
   * AMI names are unique per account and region, failed and recently deregistered images included.
   * @throws AwsError InvalidAMIName.Duplicate
   */
  #refuseTakenName(account: string, region: string, name: string): void {
    const holder = this.store.named(account, region, name);
    if (holder) throw new AwsError('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${holder.id}`);
  }

  #image(fields: Omit<SimImage, 'creationDate' | 'state' | 'tags' | 'launchPermissions' | 'isPublic'>): SimImage {
    return {
      ...fields,
      creationDate: this.ec2.cloud.clock.now(),
      state: 'pending',
      tags: new Map(),
      launchPermissions: new Set(),
      isPublic: false,
    };
  }

  #register(image: SimImage, settle: { emit: boolean; failure?: string; onAvailable?: () => void }): void {
    this.store.add(image);
    this.ec2.cloud.clock.at(image.settlesAt, () => this.#settle(image, settle));
  }

  #settle(image: SimImage, settle: { emit: boolean; failure?: string; onAvailable?: () => void }): void {
    // Deregistered while pending (how a copy is stopped): nothing left to complete.
    if (!this.store.holds(image)) return;
    const failure = settle.failure ?? this.#failedSnapshot(image);
    if (failure) {
      image.state = 'failed';
      image.stateReason = failure;
    } else {
      settle.onAvailable?.();
      image.state = 'available';
    }
    if (settle.emit) this.ec2.cloud.emitServiceEvent(amiStateChangeEvent(image, image.state));
  }

  /** A CreateImage whose snapshot failed fails too. */
  #failedSnapshot(image: SimImage): string | undefined {
    const failed = image.blockDevices.map((d) => this.ec2.snapshotStore.get(image.region, d.snapshotId)).find((s) => s?.state === 'error');
    return failed ? `Snapshot ${failed.id} failed: ${failed.stateMessage ?? 'no reason given'}` : undefined;
  }

  #copySnapshot(image: SimImage, { device, plan }: { device: ImageBlockDevice; plan: CopyPlan }, tags: TagInput[]): void {
    const snapshot: SimSnapshot = {
      id: device.snapshotId,
      owner: image.owner,
      region: image.region,
      volumeId: COPY_VOLUME_ID,
      volumeSizeGiB: device.volumeSizeGiB,
      origin: { kind: 'copy', sourceArn: plan.sourceArn },
      startTime: image.creationDate,
      encrypted: plan.encrypted,
      kmsKeyId: plan.kmsKeyId,
      description: `Copied for DestinationAmi ${image.id} from SourceAmi ${image.origin.kind === 'copy' ? image.origin.sourceImageId : ''} for SourceSnapshot ${plan.sourceArn.split('/').pop()}`,
      state: 'completed',
      settlesAt: image.settlesAt,
      completionTime: new Date(image.settlesAt),
      tags: new Map(),
      sharedWith: new Set(),
      isPublic: false,
      usedBy: new Set(),
    };
    addTags(snapshot.tags, tags);
    this.ec2.snapshotStore.add(snapshot);
    this.ec2.snapshotStore.use(snapshot, image.id);
    if (this.options.announceImageSnapshots) this.ec2.cloud.emitServiceEvent(settledSnapshotEvent(snapshot));
  }

  #refuseUnshareable(image: SimImage, toEveryone: boolean): void {
    const snapshots = image.blockDevices.map((d) => this.ec2.snapshotStore.get(image.region, d.snapshotId)).filter((s) => s?.encrypted);
    // EC2's answer, as quoted in hashicorp/packer#7410.
    if (snapshots.some((s) => this.ec2.kms.key(s!.kmsKeyId ?? '')?.keyManager === 'AWS')) {
      throw new AwsError('InvalidParameter', 'Snapshots encrypted with the AWS Managed CMK can’t be shared. Specify another snapshot');
    }
    if (toEveryone && snapshots.length > 0) throw new AwsError('InvalidParameter', 'AMIs with encrypted snapshots cannot be made public.');
  }
}

function deviceOf(snapshot: SimSnapshot): ImageBlockDevice {
  return { deviceName: ROOT_DEVICE, snapshotId: snapshot.id, volumeSizeGiB: snapshot.volumeSizeGiB, encrypted: snapshot.encrypted };
}
