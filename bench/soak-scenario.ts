import type { EventEnvelope } from '../sim/cloud.js';
import { seededRandom } from '../sim/faults.js';
import type { LocalHub } from '../sim/local-hub.js';
import type { VolumeEncryption } from '../sim/services/ebs-volume.js';

export const VAULT = '999999999999';
export const REGION = 'eu-west-1';
/** Three ordinary sources, and one whose EC2 endpoint is broken for good: every event it sends is a poison message. */
export const SOURCES = ['111111111111', '222222222222', '333333333333'] as const;
export const POISON_SOURCE = '444444444444';
/** The kinds the generator announces; the other registered kinds landed after it was written. */
export const SOAKED_KINDS: readonly string[] = ['ebs-snapshot'];

/** What the generator makes an event to be; it shapes the event and never counts an outcome. */
type Intent = 'backup' | 'failed-snapshot' | 'poison' | 'forged-not-found' | 'forged-ownership' | 'region-mismatch';

export interface SoakDelivery {
  event: EventEnvelope;
  via: string;
}

/** Shares of the input events, per the issue: 1% poison, forged events, a few failed-snapshot events; 5% delivered twice. */
const MIX: [Intent, number][] = [
  ['poison', 0.01],
  ['forged-not-found', 0.01],
  ['forged-ownership', 0.01],
  ['region-mismatch', 0.01],
  ['failed-snapshot', 0.01],
];
export const DUPLICATE_SHARE = 0.05;
const ENCRYPTIONS: VolumeEncryption[] = ['none', 'cmk', 'aws-managed'];
/** Volume sizes, and with them copy durations, vary (the sim's copy time grows with size). */
const SIZES_GIB = [8, 30, 100, 250, 500];

/**
 * Creates the source artifacts silently (as if taken earlier) and builds the events that
 * announce them, the bad ones among them, and the duplicate deliveries. Seeded: the same
 * `events` gives the same run.
 */
export function buildDeliveries(hub: LocalHub, events: number): SoakDelivery[] {
  const random = seededRandom(events);
  const deliveries: SoakDelivery[] = [];
  for (let i = 0; i < events; i++) {
    const account = SOURCES[i % SOURCES.length]!;
    const delivery = makeEvent(hub, intentOf(random()), account, SOURCES[(i + 1) % SOURCES.length]!, i, random);
    deliveries.push(delivery);
    if (random() < DUPLICATE_SHARE) deliveries.push(delivery);
  }
  return deliveries;
}

function intentOf(draw: number): Intent {
  let edge = 0;
  for (const [intent, share] of MIX) {
    edge += share;
    if (draw < edge) return intent;
  }
  return 'backup';
}

function makeEvent(hub: LocalHub, intent: Intent, account: string, other: string, i: number, random: () => number): SoakDelivery {
  const id = `soak-${i}`;
  const pick = <T>(from: T[]) => from[Math.floor(random() * from.length)]!;
  const snapshot = (owner: string) => {
    const volume = hub.ec2.createVolume(owner, REGION, { encryption: pick(ENCRYPTIONS), sizeGiB: pick(SIZES_GIB) });
    return hub.ec2.createSnapshot(owner, REGION, { volumeId: volume.id, emit: false });
  };
  switch (intent) {
    case 'poison':
      return { event: ebsEvent(POISON_SOURCE, snapshot(POISON_SOURCE).id, id), via: POISON_SOURCE };
    case 'forged-not-found':
      return { event: ebsEvent(other, snapshot(account).id, id), via: other };
    case 'forged-ownership': {
      const theirs = snapshot(account);
      theirs.sharedWith.add(other);
      return { event: ebsEvent(other, theirs.id, id), via: other };
    }
    case 'region-mismatch':
      return { event: ebsEvent(account, snapshot(account).id, id, { arnRegion: 'eu-central-1' }), via: account };
    case 'failed-snapshot':
      return { event: ebsEvent(account, snapshot(account).id, id, { result: 'failed' }), via: account };
    default:
      return { event: ebsEvent(account, snapshot(account).id, id), via: account };
  }
}

/** An `EBS Snapshot Notification` as AWS documents it (region in the ARN's account slot). */
function ebsEvent(account: string, snapshotId: string, id: string, options: { result?: string; arnRegion?: string } = {}): EventEnvelope {
  const arn = `arn:aws:ec2::${options.arnRegion ?? REGION}:snapshot/${snapshotId}`;
  return {
    version: '0',
    id,
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account,
    time: '2026-01-01T00:00:00Z',
    region: REGION,
    resources: [arn],
    detail: { event: 'createSnapshot', result: options.result ?? 'succeeded', cause: '', snapshot_id: arn, source: `arn:aws:ec2::${REGION}:volume/vol-01234567` },
  };
}

/** The AWS calls the pipeline makes, and the throttling error each service answers with. */
const THROTTLED: { service: string; operation: string; error: string }[] = [
  { service: 'ec2', operation: 'DescribeSnapshots', error: 'RequestLimitExceeded' },
  { service: 'ec2', operation: 'CopySnapshot', error: 'RequestLimitExceeded' },
  { service: 'ec2', operation: 'ModifySnapshotAttribute', error: 'RequestLimitExceeded' },
  { service: 'ec2', operation: 'DeleteSnapshot', error: 'RequestLimitExceeded' },
  { service: 'sts', operation: 'AssumeRole', error: 'Throttling' },
  { service: 'kms', operation: 'DescribeKey', error: 'ThrottlingException' },
  { service: 'sqs', operation: 'SendMessage', error: 'RequestThrottled' },
];
export const THROTTLE_CODES = new Set(THROTTLED.map((t) => t.error));

/** Background throttling on every call the pipeline makes, and the poison source's EC2 failing for good. */
export function injectFaults(hub: LocalHub, throttleShare: number): void {
  if (throttleShare > 0) for (const call of THROTTLED) hub.cloud.faults.add({ ...call, times: Number.MAX_SAFE_INTEGER, probability: throttleShare });
  for (const operation of ['DescribeSnapshots', 'CopySnapshot', 'ModifySnapshotAttribute']) {
    hub.cloud.faults.add({ service: 'ec2', operation, error: 'InternalError', times: Number.MAX_SAFE_INTEGER, account: POISON_SOURCE });
  }
}
