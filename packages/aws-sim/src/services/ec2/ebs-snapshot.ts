import { AwsError } from '../../core/errors.js';
import { notFound } from './ids.js';
import type { SnapshotLock } from './snapshot-lock.js';

export type SnapshotState = 'pending' | 'completed' | 'error';

/** Where a snapshot's data came from: a volume, or another snapshot it copies (by event ARN). */
export type SnapshotOrigin = { kind: 'volume'; volumeArn: string } | { kind: 'copy'; sourceArn: string };

/** One EBS snapshot, in the region it lives in. Other EC2 kinds (AMIs) hold references to these. */
export interface SimSnapshot {
  readonly id: string;
  /** The owning account. */
  readonly owner: string;
  readonly region: string;
  readonly volumeId: string;
  readonly volumeSizeGiB: number;
  readonly origin: SnapshotOrigin;
  readonly startTime: Date;
  readonly encrypted: boolean;
  /** The key ARN; for a copy whose key could not be resolved, the identifier the request gave. */
  readonly kmsKeyId?: string;
  description: string;
  state: SnapshotState;
  stateMessage?: string;
  /** When a pending snapshot settles (completed or error), in simulated ms. */
  settlesAt: number;
  completionTime?: Date;
  readonly tags: Map<string, string>;
  /** Accounts given createVolumePermission. */
  readonly sharedWith: Set<string>;
  /** createVolumePermission for the group `all`. */
  isPublic: boolean;
  /** Resources (AMIs) registered on the snapshot, which keep it from being deleted. */
  readonly usedBy: Set<string>;
  /** Its snapshot lock (LockSnapshot), expired or not. */
  lock?: SnapshotLock;
}

/** `arn:aws:ec2::<region>:snapshot/<id>`: AWS's documented EBS events put the region in the account slot. */
export const eventSnapshotArn = (region: string, id: string) => `arn:aws:ec2::${region}:snapshot/${id}`;

/** Whether an account can see (describe, copy) a snapshot: it owns it, it was shared with it, or it is public. */
export function canSee(snapshot: SimSnapshot, account: string): boolean {
  return snapshot.owner === account || snapshot.sharedWith.has(account) || snapshot.isPublic;
}

/** DescribeSnapshots' progress: how far a pending snapshot is through its simulated duration. */
export function progressOf(snapshot: SimSnapshot, nowMs: number): string {
  if (snapshot.state !== 'pending') return '100%';
  const total = snapshot.settlesAt - snapshot.startTime.getTime();
  const done = total <= 0 ? 0 : Math.floor(((nowMs - snapshot.startTime.getTime()) / total) * 100);
  return `${Math.min(99, Math.max(0, done))}%`;
}

/**
 * Every snapshot of the simulated cloud, keyed by region and id (ids are unique across accounts,
 * as in AWS), with the visibility and ownership checks every snapshot API makes.
 */
export class SnapshotStore {
  readonly #snapshots = new Map<string, SimSnapshot>();

  /** @throws Error when the id is taken in that region */
  add(snapshot: SimSnapshot): void {
    const key = `${snapshot.region}/${snapshot.id}`;
    if (this.#snapshots.has(key)) throw new Error(`Snapshot ${snapshot.id} already exists in ${snapshot.region}`);
    this.#snapshots.set(key, snapshot);
  }

  get(region: string, id: string): SimSnapshot | undefined {
    return this.#snapshots.get(`${region}/${id}`);
  }

  all(): SimSnapshot[] {
    return [...this.#snapshots.values()];
  }

  /** Whether the snapshot is still stored (a timer may outlive a deleted snapshot). */
  holds(snapshot: SimSnapshot): boolean {
    return this.get(snapshot.region, snapshot.id) === snapshot;
  }

  /**
   * Deletes a snapshot no resource uses.
   * @throws AwsError InvalidSnapshot.InUse
   */
  delete(snapshot: SimSnapshot): void {
    const user = [...snapshot.usedBy][0];
    if (user) throw new AwsError('InvalidSnapshot.InUse', `The snapshot ${snapshot.id} is currently in use by ${user}`);
    this.#snapshots.delete(`${snapshot.region}/${snapshot.id}`);
  }

  /** Forgets every snapshot an account owns (disaster drills). */
  removeAccount(account: string): void {
    for (const [key, snapshot] of this.#snapshots) if (snapshot.owner === account) this.#snapshots.delete(key);
  }

  /**
   * A snapshot the account can see.
   * @throws AwsError InvalidSnapshot.NotFound otherwise, as EC2 answers for snapshots of others
   */
  visible(account: string, region: string, id: string): SimSnapshot {
    const snapshot = this.get(region, id);
    if (!snapshot || !canSee(snapshot, account)) throw notFound('InvalidSnapshot.NotFound', 'snapshot', id);
    return snapshot;
  }

  /**
   * A snapshot the account owns: only the owner may share, tag or delete it.
   * @throws AwsError InvalidSnapshot.NotFound, UnauthorizedOperation
   */
  owned(account: string, region: string, id: string): SimSnapshot {
    const snapshot = this.visible(account, region, id);
    if (snapshot.owner !== account)
      throw new AwsError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation on snapshot ${id}, which account ${snapshot.owner} owns.`,
        403,
      );
    return snapshot;
  }

  /** Marks a snapshot as used by a resource (an AMI's block device mapping). */
  use(snapshot: SimSnapshot, by: string): void {
    snapshot.usedBy.add(by);
  }

  release(snapshot: SimSnapshot, by: string): void {
    snapshot.usedBy.delete(by);
  }

  /** Copies still pending in an account's region: what the concurrent copy quota counts. */
  pendingCopies(account: string, region: string): number {
    return this.all().filter((s) => s.owner === account && s.region === region && s.origin.kind === 'copy' && s.state === 'pending').length;
  }
}
