import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { ssmStoreBucket } from '../../accounts/stack/names.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { s3Client } from '../../shared/aws/clients.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import { storedVersionOf } from '../../shared/kinds/ssm-parameter/ssm-store.js';
import { liftLegalHold, placeLegalHold } from '../../shared/retention/legal-hold.js';
import { prune } from '../../shared/retention/prune.js';
import type { RetentionSettings } from '../../shared/retention/retention-settings.js';
import { LockShorteningRefused } from '../../shared/retention/vault-lock.js';
import { auditEntries, deployTestHub, imageOf, points, REGION, SOURCE_A, VAULT, vaultImages, vaultSnapshots } from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

const DAY = 86_400_000;
const hold = { reason: 'litigation 2026-17', setBy: 'legal@example.com', setAt: '2026-01-02T00:00:00.000Z' };

async function deploy(accounts: RetentionSettings['accounts'][string], lockDays?: number): Promise<LocalHub> {
  hub = await deployTestHub({
    rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 },
    retention: { lockDays, accounts: { [SOURCE_A]: accounts } },
  });
  return hub;
}

/** Lets `minutes` pass in 5-minute steps: enough for events to flow and the reconciler to complete copies. */
const settle = (minutes: number) => hub.cloud.advance(minutes * 60_000, { tickMs: 5 * 60_000 });

/** A snapshot of `volume`, copied into the vault, then `days` of quiet. */
async function snapshotThenWait(volume: string, days: number): Promise<void> {
  const created = hub.ec2.volume(SOURCE_A, REGION, volume) ?? hub.ec2.createVolume(SOURCE_A, REGION, { id: volume, encryption: 'none' });
  hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: created.id });
  await settle(30);
  await hub.cloud.skip(days * DAY);
}

/** The store's versions of source A's /app/url parameter. */
const storedUrlVersions = () => hub.s3.bucket(ssmStoreBucket(VAULT, REGION))!.listVersions(`${SOURCE_A}/${REGION}/app/url/`);
const byVolume = async (volume: string) => (await points(hub, SOURCE_A)).filter((p) => p.resourceId === volume);
const states = (list: RecoveryPoint[]) => list.map((p) => p.state);
const prunedEntries = async () => (await auditEntries(hub)).filter((e) => e.decision === 'pruned');
const runPruner = (settings?: RetentionSettings) =>
  prune(hub.prunerContext, settings ?? { lockDays: 7, accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10, keepLast: 2 } } } });

describe('the pruner', () => {
  it('keeps exactly what policy says: every copy within retention and the newest keepLast of each resource, deleting the rest', async () => {
    await deploy({ 'ebs-snapshot': { retentionDays: 10, keepLast: 2 } }, 7);
    await snapshotThenWait('vol-0000000000000b0b0', 0); // another resource: its only copy is among its newest 2
    for (const gap of [1, 1, 3, 8]) await snapshotThenWait('vol-00000000000000aaa', gap); // days 0, 1, 2, 5; now day 13
    const before = await byVolume('vol-00000000000000aaa');
    expect(states(before)).toEqual(['available', 'available', 'available', 'available']);

    const summary = await runPruner();

    const after = await byVolume('vol-00000000000000aaa');
    // Ages 13, 12, 11, 8 days: the 8-day one is within retention, the 11-day one among the newest two; the two oldest go.
    expect(states(after)).toEqual(['pruned', 'pruned', 'available', 'available']);
    // Only points past the shortest horizon (retention or lock) are read at all; of those, two are among their resource's newest two.
    expect(summary).toMatchObject({ pruned: 2, kept: { 'keep last': 2, retention: 0 }, errors: 0 });
    expect(states(await byVolume('vol-0000000000000b0b0'))).toEqual(['available']);
    const vaultIds = vaultSnapshots(hub).map((s) => s.id);
    for (const p of after) expect(vaultIds.includes(p.vaultCopyId!), p.sourceId).toBe(p.state === 'available');
    for (const p of after.filter((x) => x.state === 'pruned')) expect(p.prunedAt).toBe(hub.cloud.clock.now().toISOString());
    expect(await hub.prunerContext.catalog.latestAvailable(after[0]!.resourcePk)).toMatchObject({ sourceId: after[3]!.sourceId });

    const entries = await prunedEntries();
    expect(entries.map((e) => e.sourceId)).toEqual([after[0]!.sourceId, after[1]!.sourceId]);
    for (const [i, entry] of entries.entries()) {
      expect(entry).toMatchObject({ kind: 'ebs-snapshot', account: SOURCE_A, vaultCopyId: after[i]!.vaultCopyId });
      expect(entry.reason).toBe(
        `older than 10 days (created ${after[i]!.createdAt}) and not among the newest 2; deleted ${after[i]!.vaultCopyId}`,
      );
    }
    // A second run finds nothing more to do, and records nothing.
    expect(await runPruner()).toMatchObject({ pruned: 0, errors: 0 });
    expect(await prunedEntries()).toHaveLength(2);
  });

  it('never deletes a copy under a legal hold or younger than the lock in force, and deletes it once the hold is lifted', async () => {
    await deploy({ 'ebs-snapshot': { retentionDays: 10 } });
    await snapshotThenWait('vol-00000000000000aaa', 0);
    await snapshotThenWait('vol-00000000000000bbb', 13);
    const [held] = await byVolume('vol-00000000000000aaa');
    // The legal hold role places holds (the pruner's role may not name one).
    await placeLegalHold(hub.legalHoldContext, held!.pk, { reason: hold.reason, by: hold.setBy });
    await hub.prunerContext.lock.raise(20, hub.cloud.clock.now());

    // Day 13: past retention, but the lock in force (20 days) keeps both, even though the settings ask for none.
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      lockDays: 20,
      pruned: 0,
    });
    expect(states(await points(hub, SOURCE_A))).toEqual(['available', 'available']);
    await hub.cloud.skip(10 * DAY);
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      pruned: 1,
      kept: { 'legal hold': 1 },
    });
    expect(states(await byVolume('vol-00000000000000aaa'))).toEqual(['available']);
    expect(states(await byVolume('vol-00000000000000bbb'))).toEqual(['pruned']);
    expect(vaultSnapshots(hub).map((s) => s.id)).toContain(held!.vaultCopyId);

    await liftLegalHold(hub.legalHoldContext, held!.pk, 'legal@example.com');
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({ pruned: 1 });
    expect(vaultSnapshots(hub).map((s) => s.id)).not.toContain(held!.vaultCopyId);
  });

  it('refuses to shorten the lock: the lock in force stays, the refusal is audited and logged, nothing younger is deleted', async () => {
    // The account files must keep copies at least as long as their lock.
    await deploy({ 'ebs-snapshot': { retentionDays: 30 } }, 30);
    await snapshotThenWait('vol-00000000000000aaa', 15);
    expect(await runPruner({ lockDays: 30, accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      lockDays: 30,
      pruned: 0,
    });
    await expect(hub.prunerContext.lock.raise(10, hub.cloud.clock.now())).rejects.toThrow(LockShorteningRefused);
    await expect(hub.prunerContext.lock.raise(10, hub.cloud.clock.now())).rejects.toThrow(
      /the vault lock is 30 days .* can only grow: 10 days is refused/,
    );

    // The account files now ask for 10 days: refused, the 15-day-old copy stays locked.
    expect(await runPruner({ lockDays: 10, accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      lockDays: 30,
      pruned: 0,
    });
    expect((await hub.prunerContext.lock.inForce())?.minRetentionDays).toBe(30);
    const entries = await auditEntries(hub);
    expect(entries.filter((e) => e.decision === 'locked').map((e) => e.reason)).toEqual([
      'vault lock set to 30 days: no vault copy younger than that is deleted',
    ]);
    expect(entries.filter((e) => e.decision === 'rejected').map((e) => e.reason)).toEqual([
      expect.stringMatching(/can only grow: 10 days is refused\. Set lock\.minRetentionDays .* back to 30 or more/),
    ]);
    expect(states(await byVolume('vol-00000000000000aaa'))).toEqual(['available']);
  });

  it('deletes every kind its own way: an AMI with its snapshots, DB and cluster snapshots, and one parameter version at a time', async () => {
    const tenDays = { retentionDays: 10 };
    await deploy({ ami: tenDays, 'rds-snapshot': tenDays, 'rds-cluster-snapshot': tenDays, 'ssm-parameter': tenDays });
    imageOf(hub, SOURCE_A, 'none', { name: 'web' });
    hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'cmk' });
    hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type: 'manual', encryption: 'cmk' });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/url', value: 'https://one', type: 'String' });
    await settle(60);
    await hub.cloud.skip(3 * DAY);
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/url', value: 'https://two', type: 'String', overwrite: true });
    await settle(10);
    const [image] = vaultImages(hub);
    const imageSnapshots = image!.blockDevices.map((d) => d.snapshotId);
    expect(storedUrlVersions()).toHaveLength(2);

    // Day 11: everything but the newer parameter version is past retention.
    await hub.cloud.skip(8 * DAY);
    const settings = {
      accounts: { [SOURCE_A]: { ami: tenDays, 'rds-snapshot': tenDays, 'rds-cluster-snapshot': tenDays, 'ssm-parameter': tenDays } },
    };
    // The AMI's deregistration protection was set with AWS's 24-hour cooldown: lifted now, the image goes a run later.
    expect(await runPruner(settings)).toMatchObject({ pruned: 3, deferred: 1, errors: 0 });
    expect(vaultImages(hub)).toHaveLength(1);
    expect(hub.rds.snapshots(DB_SNAPSHOT, VAULT)).toEqual([]);
    expect(hub.rds.snapshots(DB_CLUSTER_SNAPSHOT, VAULT)).toEqual([]);
    // Each parameter version is its own object in the store: the older one goes alone.
    const [older] = (await points(hub, SOURCE_A)).filter((p) => p.sourceId === '/app/url:1');
    expect(storedUrlVersions().map((v) => v.key)).toEqual([expect.stringMatching(/\/app\/url\/.*\/2$/)]);
    expect((await prunedEntries()).find((e) => e.kind === 'ssm-parameter')?.reason).toContain(`deleted ${older!.vaultCopyId}`);

    await hub.cloud.skip(3 * DAY);
    expect(await runPruner(settings)).toMatchObject({ pruned: 2, deferred: 0 });
    expect(vaultImages(hub)).toEqual([]);
    for (const id of imageSnapshots) expect(hub.ec2.snapshot(VAULT, REGION, id), id).toBeUndefined();
    expect((await prunedEntries()).find((e) => e.kind === 'ami')?.reason).toContain(`deleted ${image!.id}, ${imageSnapshots.join(', ')}`);
    expect(storedUrlVersions()).toEqual([]);
    expect(states(await points(hub, SOURCE_A))).toEqual(['pruned', 'pruned', 'pruned', 'pruned', 'pruned']);
  });

  it("keeps a copy whose hold record the catalog's copy does not show: the pruner reads the records after its claim", async () => {
    await deploy({ 'ebs-snapshot': { retentionDays: 10 } });
    await snapshotThenWait('vol-00000000000000aaa', 13);
    const [held] = await byVolume('vol-00000000000000aaa');
    // A hold recorded while the catalog's copy is missing (written a moment later, or removed by the legal hold role): the record decides.
    await hub.legalHoldContext.holds.record(held!.pk, { action: 'set', by: 'legal@example.com', at: hub.cloud.clock.now().toISOString() });
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      pruned: 0,
      kept: { 'legal hold': 1 },
    });
    expect(states(await byVolume('vol-00000000000000aaa'))).toEqual(['available']);
    expect(vaultSnapshots(hub).map((s) => s.id)).toContain(held!.vaultCopyId);
    // Back in the latest-available index, as before the claim.
    expect(await hub.prunerContext.catalog.newestAvailable(held!.resourcePk, 1).next()).toMatchObject({ value: { pk: held!.pk } });
  });

  it('cannot delete a stored parameter version while the store locks it, whatever the pruner is told; a later run finishes it', async () => {
    const twoDays = { retentionDays: 2 };
    await deploy({ 'ssm-parameter': { retentionDays: 7 } }, 7); // the store locks every version for the vault lock's 7 days
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/url', value: 'https://one', type: 'String' });
    await settle(10);
    await hub.cloud.skip(3 * DAY);
    // A pruner told of no lock at all (an edited environment, say) keeps the version S3 Object Lock holds (the point records its lock).
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ssm-parameter': twoDays } } })).toMatchObject({
      pruned: 0,
      kept: { 'provider lock': 1 },
    });
    expect(storedUrlVersions()).toHaveLength(1);
    expect((await points(hub, SOURCE_A))[0]?.providerLock).toMatchObject({ mode: 'compliance' });
    // Told to delete anyway, S3 refuses: the version is locked in compliance mode.
    const stored = storedVersionOf((await points(hub, SOURCE_A))[0]!.vaultCopyId!);
    await expect(
      s3Client(hub.prunerContext.aws, REGION).send(
        new DeleteObjectCommand({ Bucket: stored.bucket, Key: stored.key, VersionId: stored.versionId }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await hub.cloud.skip(5 * DAY);
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ssm-parameter': twoDays } } })).toMatchObject({ pruned: 1, errors: 0 });
    expect(storedUrlVersions()).toEqual([]);
    expect(states(await points(hub, SOURCE_A))).toEqual(['pruned']);
  });

  it('finishes on the next run a deletion AWS refused, without losing its record', async () => {
    await deploy({ 'ebs-snapshot': { retentionDays: 10 } });
    await snapshotThenWait('vol-00000000000000aaa', 11);
    hub.cloud.faults.add({ service: 'ec2', operation: 'DeleteSnapshot', error: 'RequestLimitExceeded', times: 20 });
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      pruned: 0,
      errors: 1,
    });
    const [point] = await byVolume('vol-00000000000000aaa');
    // Out of service (it no longer counts as protection) but not recorded as deleted: the copy is still there.
    expect(point).toMatchObject({ state: 'pruned' });
    expect(point!.prunedAt).toBeUndefined();
    expect(vaultSnapshots(hub).map((s) => s.id)).toContain(point!.vaultCopyId);
    expect(await prunedEntries()).toEqual([]);

    hub.cloud.faults.clear();
    await hub.cloud.skip(DAY);
    expect(await runPruner({ accounts: { [SOURCE_A]: { 'ebs-snapshot': { retentionDays: 10 } } } })).toMatchObject({
      pruned: 1,
      errors: 0,
    });
    expect(vaultSnapshots(hub).map((s) => s.id)).not.toContain(point!.vaultCopyId);
    expect((await prunedEntries()).map((e) => e.reason)).toEqual([
      `finishing a deletion an earlier run started; deleted ${point!.vaultCopyId}`,
    ]);
  });

  it('runs on its schedule in the deployed hub, with the settings it was given', async () => {
    await deploy({ 'ebs-snapshot': { retentionDays: 10 } });
    await snapshotThenWait('vol-00000000000000aaa', 11);
    // The pruner runs every 6 hours from deployment; the quiet stretch ends just before its next run.
    await hub.cloud.skip(5 * 3_600_000);
    await hub.cloud.advance(3_600_000, { tickMs: 30 * 60_000 });
    const pruner = hub.runtimes.pruner!.env.AWS_LAMBDA_FUNCTION_NAME;
    expect(hub.lambda.invocations.filter((i) => i.function === pruner && !i.error).length).toBeGreaterThan(0);
    expect(states(await byVolume('vol-00000000000000aaa'))).toEqual(['pruned']);
  });
});
