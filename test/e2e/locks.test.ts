import { DeleteSnapshotCommand, DeregisterImageCommand, EC2Client, UnlockSnapshotCommand } from '@aws-sdk/client-ec2';
import { lockExpiresOn, lockState, restJsonCall } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { prune } from '../../shared/retention/prune.js';
import { auditEntries, deployTestHub, imageOf, points, REGION, run, SOURCE_A, snapshotOf, VAULT, vaultImages } from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

const DAY = 86_400_000;
const RETENTION = { 'ebs-snapshot': { retentionDays: 35 }, ami: { retentionDays: 90 } };

async function deployWithLock(): Promise<LocalHub> {
  hub = await deployTestHub({ retention: { lockDays: 7, accounts: { [SOURCE_A]: RETENTION } } });
  return hub;
}

/** The vault account's root user: what a compliance-mode lock binds as much as anyone. */
const vaultRoot = () => new EC2Client(hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION));

describe('vault copies AWS itself keeps', () => {
  it('locks every EBS copy and every snapshot of every AMI copy in compliance mode for the retention, and protects AMI copies from deregistration', async () => {
    await deployWithLock();
    const snapshot = snapshotOf(hub, SOURCE_A, 'none');
    imageOf(hub, SOURCE_A, 'none');
    await run(hub, 90);
    const recorded = await points(hub, SOURCE_A);
    expect(recorded.map((p) => [p.kind, p.state])).toEqual(
      expect.arrayContaining([
        ['ebs-snapshot', 'available'],
        ['ami', 'available'],
      ]),
    );
    const now = hub.cloud.clock.nowMs();
    for (const point of recorded) {
      const days = RETENTION[point.kind as keyof typeof RETENTION].retentionDays;
      expect(point.providerLock).toEqual({ mode: 'compliance', until: new Date(Date.parse(point.createdAt) + days * DAY).toISOString() });
      const snapshotIds =
        point.kind === 'ami'
          ? hub.ec2.images.store.get(REGION, point.vaultCopyId!)!.blockDevices.map((d) => d.snapshotId)
          : [point.vaultCopyId!];
      for (const id of snapshotIds) {
        const copy = hub.ec2.snapshot(VAULT, REGION, id)!;
        expect(lockState(copy.lock!, copy, now), id).toBe('compliance');
        expect(lockExpiresOn(copy.lock!, copy), id).toBe(Date.parse(point.providerLock!.until));
      }
    }
    const [image] = vaultImages(hub);
    expect(hub.ec2.images.protectionOf(image!)).toBe('enabled-with-cooldown');
    expect((await auditEntries(hub)).find((e) => e.decision === 'completed' && e.sourceId === snapshot.id)?.reason).toMatch(
      /locked by AWS in compliance mode until /,
    );

    // Nobody deletes or unlocks them, the vault account's root user included.
    const ebsCopy = recorded.find((p) => p.kind === 'ebs-snapshot')!.vaultCopyId!;
    await expect(vaultRoot().send(new DeleteSnapshotCommand({ SnapshotId: ebsCopy }))).rejects.toMatchObject({ name: 'SnapshotLocked' });
    await expect(vaultRoot().send(new UnlockSnapshotCommand({ SnapshotId: ebsCopy }))).rejects.toMatchObject({ name: 'SnapshotLocked' });
    await expect(vaultRoot().send(new DeregisterImageCommand({ ImageId: image!.id }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
  });

  it('deploys locked Recycle Bin rules for the vault snapshots and AMIs, which even the root user cannot delete', async () => {
    await deployWithLock();
    const config = hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION);
    const { Rules = [] } = (await restJsonCall(config, 'rbin', { method: 'POST', path: '/list-rules', body: {} })) as {
      Rules?: { Identifier: string; LockState: string }[];
    };
    expect(Rules.map((r) => r.LockState)).toEqual(['locked', 'locked']);
    await expect(restJsonCall(config, 'rbin', { method: 'DELETE', path: `/rules/${Rules[0]!.Identifier}` })).rejects.toMatchObject({
      code: 'ConflictException',
    });
  });

  it('the pruner keeps a copy AWS still holds locked past a shortened retention, and says why in the audit log', async () => {
    await deployWithLock();
    snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    await hub.cloud.skip(20 * DAY);
    // Retention cut to 10 days after the copy was locked for 35: the lock AWS holds still keeps it.
    const summary = await prune(hub.prunerContext, { lockDays: 7, accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } });
    expect(summary).toMatchObject({ pruned: 0, kept: { 'provider lock': 1 }, errors: 0 });
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'available' });
    expect(
      (await auditEntries(hub)).filter((e) => e.decision === 'deferred' && e.sourceId === point!.sourceId).map((e) => e.reason),
    ).toEqual([expect.stringContaining(`AWS holds ${point!.vaultCopyId} locked in compliance mode until ${point!.providerLock!.until}`)]);
  });
});
