import { AwsError } from '../../core/errors.js';

/** The states an AMI goes through (`disabled` is not simulated). */
export type ImageState = 'pending' | 'available' | 'failed' | 'deregistered';

/** One EBS-backed block device of an AMI: the snapshot a volume is restored from. */
export interface ImageBlockDevice {
  readonly deviceName: string;
  readonly snapshotId: string;
  readonly volumeSizeGiB: number;
  readonly encrypted: boolean;
}

/** Where an AMI came from: CreateImage (of an instance, when one is named), or CopyImage of another AMI. */
export type ImageOrigin = { kind: 'create'; instanceId?: string } | { kind: 'copy'; sourceImageId: string; sourceRegion: string };

/** One EBS-backed AMI in the region it lives in. */
export interface SimImage {
  readonly id: string;
  /** The owning account. */
  readonly owner: string;
  readonly region: string;
  readonly name: string;
  readonly description: string;
  readonly origin: ImageOrigin;
  readonly creationDate: Date;
  state: ImageState;
  /** Why a copy failed (DescribeImages' StateReason, the event's ErrorMessage). */
  stateReason?: string;
  /** When it was deregistered, in simulated ms: it stays visible, and keeps its name, for a while. */
  deregisteredAt?: number;
  /** When a pending image settles, in simulated ms. */
  readonly settlesAt: number;
  /** Root device first. For a pending copy these snapshots do not exist yet. */
  readonly blockDevices: readonly ImageBlockDevice[];
  readonly tags: Map<string, string>;
  /** Accounts given launchPermission. */
  readonly launchPermissions: Set<string>;
  isPublic: boolean;
  /** EnableImageDeregistrationProtection: on (with or without the 24-hour cooldown), or off. */
  deregistrationProtection?: { withCooldown: boolean };
  /** After protection with cooldown was disabled: deregistration stays refused until then (simulated ms). */
  protectedUntil?: number;
}

/** The root device name of the simulated (HVM, Amazon Linux style) images. */
export const ROOT_DEVICE = '/dev/xvda';

/** Whether an account can see (describe, launch, copy) an image: it owns it, has launch permission, or it is public. */
export function canSeeImage(image: SimImage, account: string): boolean {
  return image.owner === account || image.launchPermissions.has(account) || image.isPublic;
}

/** EC2's answer for an image id the caller cannot see (the waiters of the SDK retry on this code). */
export function imageNotFound(id: string): AwsError {
  return new AwsError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
}

/** EC2's answer for an image deregistered already. */
export function imageUnavailable(id: string): AwsError {
  return new AwsError('InvalidAMIID.Unavailable', `The image ID '${id}' is no longer available`);
}

/**
 * Every AMI of the simulated cloud, keyed by region and id, with the visibility and ownership checks
 * of the image APIs. A deregistered image stays, in state `deregistered`, for `deregisteredVisibleMs`:
 * "Recently deregistered images appear in the returned results for a short interval" (DescribeImages).
 */
export class ImageStore {
  readonly #images = new Map<string, SimImage>();

  constructor(
    private readonly now: () => number,
    private readonly deregisteredVisibleMs: number,
  ) {}

  /** @throws Error when the id is taken in that region */
  add(image: SimImage): void {
    const key = `${image.region}/${image.id}`;
    if (this.#images.has(key)) throw new Error(`Image ${image.id} already exists in ${image.region}`);
    this.#images.set(key, image);
  }

  /** An image, unless it was deregistered long enough ago to be gone. */
  get(region: string, id: string): SimImage | undefined {
    const image = this.#images.get(`${region}/${id}`);
    return image && !this.#gone(image) ? image : undefined;
  }

  all(): SimImage[] {
    return [...this.#images.values()].filter((i) => !this.#gone(i));
  }

  /** Whether the image is still registered (a timer may outlive a deregistered image). */
  holds(image: SimImage): boolean {
    return this.get(image.region, image.id) === image && image.state !== 'deregistered';
  }

  /** Marks an image deregistered: visible, with its name taken, for a while yet. */
  markDeregistered(image: SimImage): void {
    image.state = 'deregistered';
    image.deregisteredAt = this.now();
  }

  /**
   * The image of the account holding a name in a region, if any: AMI names are unique per account
   * and region, failed and recently deregistered images included.
   */
  named(account: string, region: string, name: string): SimImage | undefined {
    return this.all().find((i) => i.owner === account && i.region === region && i.name === name);
  }

  #gone(image: SimImage): boolean {
    return image.deregisteredAt !== undefined && this.now() - image.deregisteredAt >= this.deregisteredVisibleMs;
  }

  /** Forgets every image an account owns (disaster drills). */
  removeAccount(account: string): void {
    for (const [key, image] of this.#images) if (image.owner === account) this.#images.delete(key);
  }

  /**
   * An image the account can see.
   * @throws AwsError InvalidAMIID.NotFound otherwise
   */
  visible(account: string, region: string, id: string): SimImage {
    const image = this.get(region, id);
    if (!image || !canSeeImage(image, account)) throw imageNotFound(id);
    return image;
  }

  /**
   * An image the account owns: only the owner may share, tag or deregister it.
   * @throws AwsError InvalidAMIID.NotFound, AuthFailure, InvalidAMIID.Unavailable (deregistered)
   */
  owned(account: string, region: string, id: string): SimImage {
    const image = this.visible(account, region, id);
    if (image.owner !== account) throw new AwsError('AuthFailure', `Not authorized for image:${id}`, 403);
    if (image.state === 'deregistered') throw imageUnavailable(id);
    return image;
  }

  /** Copies still pending into an account's region: what the concurrent AMI copy quota counts. */
  pendingCopies(account: string, region: string): number {
    return this.all().filter((i) => i.owner === account && i.region === region && i.origin.kind === 'copy' && i.state === 'pending').length;
  }
}
