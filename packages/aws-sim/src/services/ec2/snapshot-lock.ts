import { AwsError } from '../../core/errors.js';

export type LockMode = 'compliance' | 'governance';

/** DescribeLockedSnapshots' `LockState`. */
export type LockState = 'compliance-cooloff' | 'governance' | 'compliance' | 'expired';

/** A snapshot's lock (EBS User Guide, "Amazon EBS snapshot lock concepts"). */
export interface SnapshotLock {
  mode: LockMode;
  createdOn: number;
  /** Days; the lock then runs from the snapshot's completion ("If you lock a snapshot that is in the pending state, the lock duration starts only once the snapshot enters the completed state"). */
  durationDays?: number;
  /** A fixed expiry, when the lock was given as a date. */
  expirationDate?: number;
  coolOffHours?: number;
  coolOffExpiresOn?: number;
}

/** What a lock needs of its snapshot (ebs-snapshot.ts's SimSnapshot is one). */
export interface Lockable {
  readonly id: string;
  readonly state: string;
  readonly completionTime?: Date;
  lock?: SnapshotLock;
}

/** What a LockSnapshot request asks for. */
export interface LockRequest {
  mode: string;
  durationDays?: number;
  expirationDate?: number;
  coolOffHours?: number;
}

const DAY_MS = 86_400_000;
const MAX_DURATION_DAYS = 36_500;
const MAX_COOL_OFF_HOURS = 72;

/**
 * EBS answers a refused change to a lock, and a delete of a locked snapshot, without a documented
 * code; the simulator names it SnapshotLocked (README fidelity table).
 */
export const snapshotLocked = (message: string) => new AwsError('SnapshotLocked', message);

/** When the lock expires; undefined while a duration lock waits for its pending snapshot to complete (it cannot expire before). */
export function lockExpiresOn(lock: SnapshotLock, snapshot: Lockable): number | undefined {
  if (lock.expirationDate !== undefined) return lock.expirationDate;
  const start = durationStart(lock, snapshot);
  return start === undefined ? undefined : start + lock.durationDays! * DAY_MS;
}

/** When a duration lock starts: at locking, or at completion for a snapshot locked while pending. */
export function durationStart(lock: SnapshotLock, snapshot: Lockable): number | undefined {
  if (lock.durationDays === undefined) return undefined;
  if (snapshot.state !== 'completed') return undefined;
  return Math.max(lock.createdOn, snapshot.completionTime!.getTime());
}

export function lockState(lock: SnapshotLock, snapshot: Lockable, now: number): LockState {
  const expires = lockExpiresOn(lock, snapshot);
  if (expires !== undefined && expires <= now) return 'expired';
  if (lock.mode === 'governance') return 'governance';
  return lock.coolOffExpiresOn !== undefined && now < lock.coolOffExpiresOn ? 'compliance-cooloff' : 'compliance';
}

/** Whether the snapshot's lock (if any) is still in force. */
export function isLocked(snapshot: Lockable, now: number): boolean {
  return snapshot.lock !== undefined && lockState(snapshot.lock, snapshot, now) !== 'expired';
}

/**
 * Locks a snapshot, or changes its lock within what the lock in force allows: a governance lock or a
 * compliance lock in its cooling-off period may be changed in any way; a compliance lock after its
 * cooling-off period may only be extended, by anyone, root included (LockSnapshot).
 * @throws AwsError InvalidParameterValue, InvalidParameterCombination, MissingParameter, SnapshotLocked
 */
export function applyLock(snapshot: Lockable, request: LockRequest, now: number): SnapshotLock {
  const lock = validLock(request, now);
  const current = snapshot.lock;
  if (current && lockState(current, snapshot, now) === 'compliance') {
    if (lock.mode !== 'compliance')
      throw snapshotLocked(`Snapshot ${snapshot.id} is locked in compliance mode past its cooling-off period: its mode cannot change.`);
    if (request.coolOffHours !== undefined)
      throw new AwsError('InvalidParameterCombination', 'A cooling-off period cannot be given when extending a compliance mode lock.');
    const before = lockExpiresOn(current, snapshot) ?? Number.POSITIVE_INFINITY;
    const after = lockExpiresOn(lock, snapshot) ?? Number.POSITIVE_INFINITY;
    if (after < before)
      throw snapshotLocked(
        `Snapshot ${snapshot.id} is locked in compliance mode until ${new Date(before).toISOString()}: the lock can only be extended.`,
      );
    // The cooling-off period is over and stays over.
    lock.coolOffHours = current.coolOffHours;
    lock.coolOffExpiresOn = current.coolOffExpiresOn;
  }
  snapshot.lock = lock;
  return lock;
}

/**
 * UnlockSnapshot: a governance lock, or a compliance lock in its cooling-off period.
 * @throws AwsError SnapshotLocked for a compliance lock past its cooling-off period, InvalidParameterValue for an unlocked snapshot
 */
export function removeLock(snapshot: Lockable, now: number): void {
  if (!snapshot.lock || lockState(snapshot.lock, snapshot, now) === 'expired')
    throw new AwsError('InvalidParameterValue', `Snapshot ${snapshot.id} is not locked.`);
  if (lockState(snapshot.lock, snapshot, now) === 'compliance')
    throw snapshotLocked(`Snapshot ${snapshot.id} is locked in compliance mode past its cooling-off period: it cannot be unlocked.`);
  snapshot.lock = undefined;
}

/** @throws AwsError SnapshotLocked while the snapshot's lock is in force, whoever asks */
export function refuseLockedDelete(snapshot: Lockable, now: number): void {
  if (!isLocked(snapshot, now)) return;
  const expires = lockExpiresOn(snapshot.lock!, snapshot);
  throw snapshotLocked(
    `The snapshot ${snapshot.id} is locked (${lockState(snapshot.lock!, snapshot, now)}) ${expires === undefined ? 'until its lock duration has run from its completion' : `until ${new Date(expires).toISOString()}`} and cannot be deleted.`,
  );
}

function validLock(request: LockRequest, now: number): SnapshotLock {
  if (request.mode !== 'compliance' && request.mode !== 'governance')
    throw new AwsError('InvalidParameterValue', `Value (${request.mode}) for parameter LockMode is invalid: compliance or governance.`);
  const { durationDays, expirationDate, coolOffHours } = request;
  if ((durationDays === undefined) === (expirationDate === undefined))
    throw new AwsError('InvalidParameterCombination', 'Specify exactly one of LockDuration and ExpirationDate.');
  if (durationDays !== undefined && !(Number.isInteger(durationDays) && durationDays >= 1 && durationDays <= MAX_DURATION_DAYS))
    throw new AwsError('InvalidParameterValue', `LockDuration must be 1 to ${MAX_DURATION_DAYS} days, got ${durationDays}.`);
  if (expirationDate !== undefined && !(expirationDate > now))
    throw new AwsError('InvalidParameterValue', 'ExpirationDate must be in the future.');
  if (coolOffHours !== undefined) {
    if (request.mode !== 'compliance') throw new AwsError('InvalidParameterCombination', 'CoolOffPeriod applies to compliance mode only.');
    if (!(Number.isInteger(coolOffHours) && coolOffHours >= 1 && coolOffHours <= MAX_COOL_OFF_HOURS))
      throw new AwsError('InvalidParameterValue', `CoolOffPeriod must be 1 to ${MAX_COOL_OFF_HOURS} hours, got ${coolOffHours}.`);
  }
  return {
    mode: request.mode,
    createdOn: now,
    durationDays,
    expirationDate,
    coolOffHours,
    coolOffExpiresOn: coolOffHours === undefined ? undefined : now + coolOffHours * 3_600_000,
  };
}
