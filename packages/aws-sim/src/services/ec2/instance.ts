import type { VolumeEncryption } from './ebs-volume.js';

/** An instance the account runs (drills, tests): one root volume, which its AMIs are made of. */
export interface RunInstanceSpec {
  /** An explicit instance id (`i-` and 8 to 17 hex digits). */
  id?: string;
  encryption: VolumeEncryption;
  kmsKeyArn?: string;
  sizeGiB?: number;
  tags?: Record<string, string>;
}

/** A running EC2 instance, as DescribeInstances shows it. */
export interface SimInstance {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  /** The AMI it was launched from (a public image the simulation does not hold). */
  readonly imageId: string;
  readonly rootVolumeId: string;
  /** The attached volumes, the root volume first (multi-volume snapshot sets are taken of them). */
  readonly volumeIds: readonly string[];
  readonly launchTime: Date;
  readonly tags: Map<string, string>;
}

/** What the simulated instances are launched from: an Amazon Linux style public image, as good as any. */
export const LAUNCH_IMAGE_ID = 'ami-0abcdef1234567890';
