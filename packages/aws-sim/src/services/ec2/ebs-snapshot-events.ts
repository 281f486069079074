import type { ServiceEvent } from '../../core/cloud-core.js';
import { eventSnapshotArn, type SimSnapshot } from './ebs-snapshot.js';

/** Event timestamps: `yyyy-mm-ddThh:mm:ssZ`, as in AWS's samples. */
const seconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * An `EBS Snapshot Notification` in the shape of AWS's documented samples (EBS User Guide,
 * "Amazon EventBridge events for Amazon EBS"): ARNs with the region in the account slot, and
 * `cause` and `request-id` present and empty on success.
 */
function notification(account: string, region: string, snapshotArn: string, detail: Record<string, unknown>): ServiceEvent {
  return { 'detail-type': 'EBS Snapshot Notification', source: 'aws.ec2', account, region, resources: [snapshotArn], detail };
}

/**
 * The event AWS sends when a snapshot settles (completed or error), in the owner's account and
 * region: `createSnapshot` with the volume ARN as `source`, or `copySnapshot` (in the destination)
 * with the source snapshot ARN. Successful copies carry `incremental` and `transferType` (every
 * simulated copy is a full, standard copy); failures carry the cause instead.
 */
export function settledSnapshotEvent(snapshot: SimSnapshot): ServiceEvent {
  const arn = eventSnapshotArn(snapshot.region, snapshot.id);
  const { origin } = snapshot;
  const succeeded = snapshot.state === 'completed';
  return notification(snapshot.owner, snapshot.region, arn, {
    event: origin.kind === 'copy' ? 'copySnapshot' : 'createSnapshot',
    result: succeeded ? 'succeeded' : 'failed',
    cause: succeeded ? '' : (snapshot.stateMessage ?? ''),
    'request-id': '',
    snapshot_id: arn,
    source: origin.kind === 'copy' ? origin.sourceArn : origin.volumeArn,
    startTime: seconds(snapshot.startTime),
    endTime: seconds(new Date(snapshot.settlesAt)),
    ...(origin.kind === 'copy' && succeeded ? { incremental: 'false', transferType: 'standard' } : {}),
  });
}

/** `shareSnapshot`, sent to the account a snapshot was shared with; `source` is the sharing account. */
export function shareSnapshotEvent(snapshot: SimSnapshot, recipient: string, at: Date): ServiceEvent {
  const arn = eventSnapshotArn(snapshot.region, snapshot.id);
  return notification(recipient, snapshot.region, arn, {
    event: 'shareSnapshot',
    result: 'succeeded',
    cause: '',
    'request-id': '',
    snapshot_id: arn,
    source: snapshot.owner,
    startTime: seconds(at),
    endTime: seconds(at),
  });
}

/**
 * `EBS Multi-Volume Snapshots Completion Status`, once every snapshot of a CreateSnapshots set has
 * settled (EBS User Guide, "Amazon EventBridge events for Amazon EBS", createSnapshots): `result`
 * `failed` when any snapshot ended in error (with its `cause`), and per snapshot its ARN, its
 * volume's ARN and its `status`, so a failed set still names the snapshots that completed.
 */
export function snapshotSetEvent(snapshots: readonly SimSnapshot[]): ServiceEvent {
  const [first] = snapshots as [SimSnapshot];
  const failed = snapshots.find((s) => s.state === 'error');
  const arns = snapshots.map((s) => eventSnapshotArn(s.region, s.id));
  return {
    'detail-type': 'EBS Multi-Volume Snapshots Completion Status',
    source: 'aws.ec2',
    account: first.owner,
    region: first.region,
    resources: arns,
    detail: {
      event: 'createSnapshots',
      result: failed ? 'failed' : 'succeeded',
      cause: failed ? `Snapshot ${failed.id} is in status error` : '',
      'request-id': '',
      startTime: seconds(first.startTime),
      endTime: seconds(new Date(Math.max(...snapshots.map((s) => s.settlesAt)))),
      snapshots: snapshots.map((s, i) => ({
        snapshot_id: arns[i],
        source: s.origin.kind === 'volume' ? s.origin.volumeArn : '',
        status: s.state,
      })),
    },
  };
}
