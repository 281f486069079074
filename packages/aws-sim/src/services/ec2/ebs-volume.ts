/** How a simulated volume is encrypted: not at all, with the account's `aws/ebs` key, or with a customer managed key. */
export type VolumeEncryption = 'none' | 'aws-managed' | 'cmk';

/** A volume created by the account itself (drills, tests). */
export interface CreateVolumeSpec {
  id?: string;
  sizeGiB?: number;
  encryption: VolumeEncryption;
  /** The customer managed key for `cmk` (a new key in the volume's account when absent). */
  kmsKeyArn?: string;
  tags?: Record<string, string>;
  availabilityZone?: string;
  volumeType?: string;
}

/** An EBS volume: what its snapshots inherit, and what DescribeVolumes shows. */
export interface SimVolume {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly sizeGiB: number;
  /** The key that encrypts it, when encrypted. */
  readonly kmsKeyArn?: string;
  readonly createTime: Date;
  readonly tags: Map<string, string>;
  readonly availabilityZone: string;
  readonly volumeType: string;
  /** The snapshot it was created from, if any. */
  readonly snapshotId?: string;
  /** When a new volume is available (`creating` until then), in simulated ms. */
  readonly availableAt: number;
  /** The instance it is attached to, and as which device. */
  attachedTo?: string;
  device?: string;
}

/** DescribeVolumes' state of a volume at a simulated time. */
export const volumeState = (volume: SimVolume, nowMs: number): 'creating' | 'available' | 'in-use' =>
  volume.attachedTo ? 'in-use' : nowMs < volume.availableAt ? 'creating' : 'available';

/** EC2's default volume size in the console and most AMIs. */
export const DEFAULT_VOLUME_GIB = 8;

/** The volume type of volumes created without one: gp3, the console's default. */
export const DEFAULT_VOLUME_TYPE = 'gp3';

/** `arn:aws:ec2::<region>:volume/<id>`, the form AWS's documented EBS snapshot events use. */
export const eventVolumeArn = (volume: SimVolume) => `arn:aws:ec2::${volume.region}:volume/${volume.id}`;
