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
  /** The instance it is attached to, as its root device. */
  attachedTo?: string;
}

/** EC2's default volume size in the console and most AMIs. */
export const DEFAULT_VOLUME_GIB = 8;

/** `arn:aws:ec2::<region>:volume/<id>`, the form AWS's documented EBS snapshot events use. */
export const eventVolumeArn = (volume: SimVolume) => `arn:aws:ec2::${volume.region}:volume/${volume.id}`;
