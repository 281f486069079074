import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import {
  auditEntries,
  deployTestHub,
  ebsEvent,
  points,
  REGION,
  run,
  SOURCE_A,
  SOURCE_B,
  snapshotOf,
  VAULT,
  vaultSnapshots,
} from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

describe('EBS snapshots reach the vault', () => {
  it.each(['none', 'aws-managed', 'cmk'] as const)(
    'a %s-encrypted snapshot ends as a vault copy under the vault CMK, with the source cleaned up',
    async (encryption) => {
      hub = await deployTestHub();
      const source = snapshotOf(hub, SOURCE_A, encryption);
      await run(hub, 90);

      const [point] = await points(hub, SOURCE_A);
      expect(point).toMatchObject({
        sourceId: source.id,
        state: 'available',
        sourceEncryption: encryption === 'cmk' ? 'customer' : encryption,
        vaultKeyArn: hub.config.vaultKeyArn,
      });
      const copies = vaultSnapshots(hub);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({ id: point!.vaultCopyId, state: 'completed', encrypted: true, kmsKeyId: hub.config.vaultKeyArn });
      expect(Object.fromEntries(copies[0]!.tags)).toMatchObject({
        [TAG.sourceAccount]: SOURCE_A,
        [TAG.sourceRegion]: REGION,
        [TAG.sourceId]: source.id,
        [TAG.eventId]: point!.eventId,
      });
      // Only the original stays in the source: the re-encrypted copy is deleted and the share removed.
      expect(hub.ec2.snapshots({ account: SOURCE_A }).map((s) => s.id)).toEqual([source.id]);
      expect([...source.sharedWith]).toEqual([]);
      expect(point!.intermediateId === undefined).toBe(encryption === 'none');
    },
  );
});

describe('customer managed keys', () => {
  it('a snapshot under a key whose alias the account file does not list fails in verify, naming the alias to add, before any copy', async () => {
    hub = await deployTestHub();
    const key = hub.kms.createKey(SOURCE_A, REGION, { alias: 'alias/payroll', description: 'not listed in customerKeyAliases' });
    const volume = hub.ec2.createVolume(SOURCE_A, REGION, { encryption: 'cmk', kmsKeyArn: key.arn });
    const snapshot = hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: volume.id });
    await run(hub, 60);

    // The event's, and the inventory sweep's pass after it (no point was made: each pass tries again,
    // so the snapshot is protected on the first pass after the alias is added).
    const failed = (await auditEntries(hub)).filter((e) => e.decision === 'failed');
    expect(failed.map((e) => e.trigger)).toEqual([undefined, 'sweep']);
    for (const entry of failed) {
      expect(entry.reason).toContain(`snapshot ${snapshot.id} is encrypted under ${key.arn}`);
      expect(entry.reason).toContain('add alias alias/payroll to customerKeyAliases in accounts/source-111111111111.yml');
    }
    // Found before anything was asked of the key: no copy, and no call refused.
    expect(hub.cloud.calls.filter((c) => c.action === 'CopySnapshot')).toEqual([]);
    expect(hub.cloud.calls.flatMap((c) => c.authorizations).filter((a) => !a.allowed)).toEqual([]);
    expect(vaultSnapshots(hub)).toEqual([]);
  });
});

describe('events are never trusted', () => {
  it('rejects an event that names a snapshot the sender cannot see (forged), and copies nothing', async () => {
    hub = await deployTestHub();
    const theirs = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    hub.forward(ebsEvent(SOURCE_B, theirs.id, { id: 'forged' }), SOURCE_B);
    // Not found may only mean not propagated yet: a recent event comes back for the propagation window first.
    await run(hub, 30);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'forged' && e.decision !== 'deferred');
    expect(entry).toMatchObject({ decision: 'rejected', account: SOURCE_B });
    expect(entry!.reason).toMatch(/not-found.*snap-/);
    expect(vaultSnapshots(hub)).toHaveLength(0);
  });

  it('rejects an event naming another account’s snapshot shared with the sender (forged ownership)', async () => {
    hub = await deployTestHub();
    const theirs = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    theirs.sharedWith.add(SOURCE_B);
    await run(hub, 1);
    hub.forward(ebsEvent(SOURCE_B, theirs.id, { id: 'forged-owner' }), SOURCE_B);
    await run(hub, 30);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'forged-owner');
    expect(entry?.decision).toBe('rejected');
    expect(entry?.reason).toContain(`forged-ownership: snapshot ${theirs.id} is owned by ${SOURCE_A}, not by ${SOURCE_B}`);
    expect(vaultSnapshots(hub)).toHaveLength(0);
  });

  it('an account the bus policy does not list cannot reach the vault at all', async () => {
    hub = await deployTestHub();
    const result = hub.forward(ebsEvent('444444444444', 'snap-0123456789abcdef0'), '444444444444');
    await run(hub, 5);
    expect(result.delivered).toBe(false);
    expect(result.reason).toMatch(/AccessDenied/);
    expect(hub.lambda.invocations.filter((i) => i.records.length > 0)).toHaveLength(0);
  });

  it('records a failed-snapshot event as skipped', async () => {
    hub = await deployTestHub();
    hub.forward(ebsEvent(SOURCE_A, 'snap-0123456789abcdef0', { id: 'failed-snap', result: 'failed' }), SOURCE_A);
    await run(hub, 5);
    expect((await auditEntries(hub)).filter((e) => e.eventId === 'failed-snap')).toMatchObject([
      { decision: 'skipped', reason: 'createSnapshot failed' },
    ]);
  });

  it('rejects a malformed event with the reason, instead of retrying it', async () => {
    hub = await deployTestHub();
    const event = ebsEvent(SOURCE_A, 'snap-0123456789abcdef0', { id: 'malformed' });
    event.detail = { event: 'createSnapshot', result: 'succeeded', snapshot_id: 'not-an-arn' };
    hub.forward(event, SOURCE_A);
    await run(hub, 5);
    const [entry] = (await auditEntries(hub)).filter((e) => e.eventId === 'malformed');
    expect(entry).toMatchObject({ decision: 'rejected' });
    expect(entry!.reason).toMatch(/malformed-event.*not-an-arn/);
  });
});

describe('nothing is copied twice, nothing is lost', () => {
  it('a new snapshot costs the vault one EC2 call, the copy request: nothing to look up for a point just claimed, nothing to ask of a copy just started', async () => {
    hub = await deployTestHub();
    const source = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    hub.cloud.clock.advance(0); // the snapshot completes
    hub.forward(ebsEvent(SOURCE_A, source.id, { id: 'fresh' }), SOURCE_A);
    await hub.cloud.advance(2_000); // the event is delivered and handled
    const vaultEc2 = () => hub.cloud.calls.filter((c) => c.service === 'ec2' && c.account === VAULT).map((c) => c.action);
    expect(vaultEc2()).toEqual(['CopySnapshot']);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ sourceId: source.id, stage: 'copying', state: 'pending' });
    await run(hub, 30); // the reconciler completes the copy once EC2 has
    expect(vaultEc2().filter((a) => a === 'CopySnapshot')).toHaveLength(1);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available' });
  });

  it('a new snapshot to re-encrypt costs the reader two EC2 calls: its Describe and the re-encrypting copy (no intermediate can exist yet)', async () => {
    hub = await deployTestHub();
    const source = snapshotOf(hub, SOURCE_A, 'aws-managed', { emit: false });
    hub.cloud.clock.advance(0); // the snapshot completes
    hub.forward(ebsEvent(SOURCE_A, source.id, { id: 'fresh' }), SOURCE_A);
    await hub.cloud.advance(2_000);
    const readerEc2 = hub.cloud.calls.filter((c) => c.service === 'ec2' && c.account === SOURCE_A).map((c) => c.action);
    expect(readerEc2).toEqual(['DescribeSnapshots', 'CopySnapshot']);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ sourceId: source.id, stage: 'reencrypting' });
  });

  it('a duplicated and a redelivered event make exactly one copy', async () => {
    hub = await deployTestHub();
    const source = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    await run(hub, 1); // the snapshot completes
    const event = ebsEvent(SOURCE_A, source.id, { id: 'twice' });
    hub.forward(event, SOURCE_A);
    hub.forward(event, SOURCE_A);
    await run(hub, 2);
    hub.forward(ebsEvent(SOURCE_A, source.id, { id: 'again-later' }), SOURCE_A);
    await run(hub, 60);
    expect(vaultSnapshots(hub)).toHaveLength(1);
    expect(hub.cloud.calls.filter((c) => c.action === 'CopySnapshot' && c.account === VAULT && !c.error)).toHaveLength(1);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available']);
    const later = (await auditEntries(hub)).filter((e) => e.eventId === 'again-later');
    expect(later[0]?.reason).toMatch(/^duplicate/);
  });

  it('throttling is retried by the SDK and the copy still happens', async () => {
    hub = await deployTestHub();
    hub.cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'RequestLimitExceeded', times: 3, account: VAULT });
    snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    expect(hub.cloud.faults.injected).toBe(3);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available']);
    expect((await auditEntries(hub)).filter((e) => e.decision === 'failed')).toEqual([]);
  });

  it('a full copy quota defers messages instead of failing them; every snapshot is copied, within the quota', async () => {
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, copyQuota: 1 } });
    for (let i = 0; i < 3; i++) snapshotOf(hub, SOURCE_A, 'none');
    let peak = 0;
    for (let minute = 0; minute < 240; minute++) {
      await run(hub, 1);
      peak = Math.max(peak, vaultSnapshots(hub).filter((s) => s.state === 'pending').length);
    }
    const entries = await auditEntries(hub);
    expect(entries.some((e) => e.decision === 'deferred' && /quota/.test(e.reason ?? ''))).toBe(true);
    expect(entries.filter((e) => e.decision === 'failed')).toEqual([]);
    expect(peak).toBe(1);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available', 'available', 'available']);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(0);
  });

  it('a message that keeps failing lands in the DLQ, with the reason in the audit log', async () => {
    hub = await deployTestHub();
    hub.cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'InternalError', times: 1000, account: VAULT });
    const source = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    await run(hub, 1);
    hub.forward(ebsEvent(SOURCE_A, source.id, { id: 'poison' }), SOURCE_A);
    await run(hub, 120);
    const dlq = hub.sqs.messages(hub.queues['ebs-snapshot']!.dlqArn);
    expect(dlq.map((m) => JSON.parse(m.body).id)).toEqual(['poison']);
    const gaveUp = (await auditEntries(hub)).find((e) => e.eventId === 'poison' && e.decision === 'failed');
    expect(gaveUp?.reason).toMatch(/^InternalError: .*gave up after 5 attempts.*dead-letter queue/);
    expect(vaultSnapshots(hub)).toHaveLength(0);
    // The claim survives, so the reconciler completes it once EC2 recovers: nothing is lost.
    hub.cloud.faults.clear();
    await run(hub, 120);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available']);
  });
});

describe('multi-volume snapshot sets', () => {
  it('a set that failed in part still has its completed snapshots backed up', async () => {
    hub = await deployTestHub();
    const instance = hub.ec2.createInstance(SOURCE_A, REGION, {
      volumes: [{ encryption: 'none' }, { encryption: 'aws-managed' }, { encryption: 'none' }],
    });
    const [root, data, logs] = hub.ec2.createSnapshots(SOURCE_A, REGION, {
      instanceId: instance.id,
      failing: { [instance.volumeIds[2]!]: 'Internal error' },
    });
    await run(hub, 90);
    const saved = await points(hub, SOURCE_A);
    expect(saved.map((p) => [p.sourceId, p.state]).sort()).toEqual(
      [
        [root!.id, 'available'],
        [data!.id, 'available'],
      ].sort(),
    );
    expect(saved.map((p) => p.sourceId)).not.toContain(logs!.id);
    expect(vaultSnapshots(hub)).toHaveLength(2);
  });
});
