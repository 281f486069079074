import type { EventEnvelope, VolumeEncryption } from '@backup-hub/aws-sim';
import { deployLocalHub, type LocalHub, type LocalHubSpec } from '../../drill/local-hub.js';
import type { AuditEntry } from '../../shared/audit/audit-entry.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';

export const VAULT = '999999999999';
export const SOURCE_A = '111111111111';
export const SOURCE_B = '222222222222';
export const REGION = 'eu-west-1';

/** A hub with two sources; snapshots complete at once, copies take 20 simulated minutes. */
export function deployTestHub(overrides: Partial<LocalHubSpec> = {}): Promise<LocalHub> {
  return deployLocalHub({
    vault: { account: VAULT, region: REGION },
    sources: [
      { account: SOURCE_A, regions: [REGION] },
      { account: SOURCE_B, regions: [REGION] },
    ],
    ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000 },
    ...overrides,
  });
}

export function snapshotOf(hub: LocalHub, account: string, encryption: VolumeEncryption, options: { id?: string; emit?: boolean } = {}) {
  const volume = hub.ec2.createVolume(account, REGION, { encryption });
  return hub.ec2.createSnapshot(account, REGION, { volumeId: volume.id, ...options });
}

/** Lets `minutes` of simulated time pass, minute by minute (events flow, schedules run). */
export async function run(hub: LocalHub, minutes: number): Promise<void> {
  await hub.cloud.advance(minutes * 60_000, { tickMs: 60_000 });
}

export async function points(hub: LocalHub, account: string): Promise<RecoveryPoint[]> {
  const out: RecoveryPoint[] = [];
  for await (const p of hub.context.catalog.byAccount(account)) out.push(p);
  return out;
}

export async function auditEntries(hub: LocalHub): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of hub.context.audit.entries()) out.push(e);
  return out;
}

export const vaultSnapshots = (hub: LocalHub) => hub.ec2.snapshots({ account: VAULT });

/** An `EBS Snapshot Notification` as AWS documents it (region in the ARN's account slot). */
export function ebsEvent(
  account: string,
  snapshotId: string,
  overrides: { id?: string; result?: string; event?: string; region?: string } = {},
): EventEnvelope {
  const region = overrides.region ?? REGION;
  return {
    version: '0',
    id: overrides.id ?? `evt-${snapshotId}-${Math.random().toString(16).slice(2, 8)}`,
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account,
    time: '2026-01-01T00:00:00Z',
    region,
    resources: [`arn:aws:ec2::${region}:snapshot/${snapshotId}`],
    detail: {
      event: overrides.event ?? 'createSnapshot',
      result: overrides.result ?? 'succeeded',
      cause: '',
      'request-id': '',
      snapshot_id: `arn:aws:ec2::${region}:snapshot/${snapshotId}`,
      source: `arn:aws:ec2::${region}:volume/vol-01234567`,
      startTime: '2026-01-01T00:00:00Z',
      endTime: '2026-01-01T00:00:00Z',
    },
  };
}

/** An AMI of a fresh root volume with that encryption; it becomes available (and announces itself) once its snapshot completes. */
export function imageOf(
  hub: LocalHub,
  account: string,
  encryption: VolumeEncryption,
  options: { id?: string; emit?: boolean; name?: string } = {},
) {
  return hub.ec2.images.create(account, REGION, {
    name: options.name ?? `image-${Math.random().toString(16).slice(2, 10)}`,
    encryption,
    id: options.id,
    emit: options.emit,
  });
}

/** The vault's AMIs (a deregistered one stays visible a while; it is not held any more). */
export const vaultImages = (hub: LocalHub) => hub.ec2.images.store.all().filter((i) => i.owner === VAULT && i.state !== 'deregistered');

/** An `EC2 AMI State Change` as AWS documents it. */
export function amiEvent(
  account: string,
  imageId: string,
  overrides: { id?: string; state?: string; region?: string } = {},
): EventEnvelope {
  const region = overrides.region ?? REGION;
  return {
    version: '0',
    id: overrides.id ?? `evt-${imageId}-${Math.random().toString(16).slice(2, 8)}`,
    'detail-type': 'EC2 AMI State Change',
    source: 'aws.ec2',
    account,
    time: '2026-01-01T00:00:00Z',
    region,
    resources: [`arn:aws:ec2:${region}::image/${imageId}`],
    detail: {
      RequestId: '01234567-0123-0123-0123-0123456789ab',
      ImageId: imageId,
      State: overrides.state ?? 'available',
      ErrorMessage: '',
    },
  };
}
