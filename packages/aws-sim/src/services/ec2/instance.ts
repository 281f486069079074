import type { CreateVolumeSpec, VolumeEncryption } from './ebs-volume.js';

/** An instance the account runs (drills, tests): one root volume, which its AMIs are made of, and the settings it was launched with. */
export interface RunInstanceSpec {
  /** An explicit instance id (`i-` and 8 to 17 hex digits). */
  id?: string;
  encryption: VolumeEncryption;
  kmsKeyArn?: string;
  sizeGiB?: number;
  rootVolumeId?: string;
  tags?: Record<string, string>;
  instanceType?: string;
  keyName?: string;
  /** Its subnet (and so its VPC and Availability Zone). */
  subnetId?: string;
  securityGroupIds?: string[];
  iamInstanceProfileArn?: string;
  /** Volumes attached besides the root, as /dev/sdf, /dev/sdg, … */
  dataVolumes?: CreateVolumeSpec[];
}

/** What RunInstances launches: an image, with the settings and volumes it asks for. */
export interface LaunchSpec {
  imageId: string;
  instanceType: string;
  keyName?: string;
  subnetId?: string;
  availabilityZone?: string;
  securityGroupIds: string[];
  iamInstanceProfileArn?: string;
  /** Volumes besides those of the image: from a snapshot, or empty of a size. */
  blockDevices: { deviceName: string; snapshotId?: string; sizeGiB?: number; volumeType?: string }[];
  tags: Record<string, string>;
  launchTemplate?: { id: string; version: number };
}

/** The instance states the simulation goes through (shutting-down is not simulated). */
export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated';

/** The codes DescribeInstances gives each state (EC2 API Reference, InstanceState). */
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** An EC2 instance, as DescribeInstances shows it. */
export interface SimInstance {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  /** The AMI it was launched from. */
  readonly imageId: string;
  readonly rootVolumeId: string;
  /** The attached volumes, the root volume first (multi-volume snapshot sets are taken of them). */
  readonly volumeIds: string[];
  readonly launchTime: Date;
  readonly tags: Map<string, string>;
  /** ModifyInstanceAttribute changes it while the instance is stopped. */
  instanceType: string;
  readonly keyName?: string;
  readonly subnetId?: string;
  readonly vpcId?: string;
  readonly availabilityZone: string;
  readonly securityGroupIds: readonly string[];
  readonly iamInstanceProfileArn?: string;
  readonly launchTemplate?: { id: string; version: number };
  /** When a pending instance is running, in simulated ms (StartInstances sets it again). */
  runningAt: number;
  /** When StopInstances stopped it (stopping, then stopped), in simulated ms; none while it runs. */
  stoppedAt?: number;
}

/** Its state at a simulated time: pending until it has booted, then running; after a stop, stopping until it has shut down, then stopped. */
export const instanceState = (instance: SimInstance, nowMs: number): InstanceStateName =>
  instance.stoppedAt !== undefined
    ? nowMs < instance.stoppedAt
      ? 'stopping'
      : 'stopped'
    : nowMs < instance.runningAt
      ? 'pending'
      : 'running';

/** What the simulated instances are launched from: an Amazon Linux style public image, as good as any. */
export const LAUNCH_IMAGE_ID = 'ami-0abcdef1234567890';

/** The instance type of instances launched without one: RunInstances' own default is m1.small, a previous generation; the simulation uses its successor. */
export const DEFAULT_INSTANCE_TYPE = 't3.micro';

/** The device names of data volumes, in the order EC2's console suggests them. */
export const dataDeviceName = (index: number) => `/dev/sd${String.fromCharCode('f'.charCodeAt(0) + index)}`;
