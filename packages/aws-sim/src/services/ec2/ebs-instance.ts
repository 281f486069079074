import type { CreateVolumeSpec } from './ebs-volume.js';

/** An instance launched by the account itself (drills, tests), with its volumes. */
export interface CreateInstanceSpec {
  id?: string;
  /** The root volume first. */
  volumes: CreateVolumeSpec[];
}

/** A multi-volume snapshot set taken by the account itself (drills, tests): CreateSnapshots of an instance. */
export interface CreateSnapshotsSpec {
  instanceId: string;
  excludeBootVolume?: boolean;
  /** The volumes whose snapshot ends in `error`, with this message (how a partly failed set happens). */
  failing?: Record<string, string>;
  /** Emit `EBS Multi-Volume Snapshots Completion Status` when the set settles (default true). */
  emit?: boolean;
}
