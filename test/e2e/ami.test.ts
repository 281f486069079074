import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import {
  amiEvent,
  auditEntries,
  deployTestHub,
  imageOf,
  points,
  REGION,
  run,
  SOURCE_A,
  SOURCE_B,
  VAULT,
  vaultImages,
} from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

const amiPoints = async (account: string) => (await points(hub, account)).filter((p) => p.kind === 'ami');

describe('AMIs reach the vault', () => {
  it.each(['none', 'aws-managed', 'cmk'] as const)(
    'a %s-encrypted AMI ends as a vault AMI under the vault CMK, with the source cleaned up',
    async (encryption) => {
      hub = await deployTestHub();
      const source = imageOf(hub, SOURCE_A, encryption, { name: 'web' });
      const sourceSnapshots = source.blockDevices.map((d) => d.snapshotId);
      await run(hub, 120);

      const [point] = await amiPoints(SOURCE_A);
      expect(point).toMatchObject({
        sourceId: source.id,
        resourceId: 'web',
        state: 'available',
        sourceEncryption: encryption === 'cmk' ? 'customer' : encryption,
        vaultKeyArn: hub.config.vaultKeyArn,
      });
      // Only the hub's copy under the share key is ever shared, whatever the source's encryption.
      expect(point!.intermediateId).toBeDefined();
      const copies = vaultImages(hub);
      expect(copies.map((i) => [i.id, i.state])).toEqual([[point!.vaultCopyId, 'available']]);
      expect(Object.fromEntries(copies[0]!.tags)).toMatchObject({
        [TAG.sourceAccount]: SOURCE_A,
        [TAG.sourceRegion]: REGION,
        [TAG.sourceId]: source.id,
        [TAG.eventId]: point!.eventId,
      });
      for (const device of copies[0]!.blockDevices) {
        expect(hub.ec2.snapshot(VAULT, REGION, device.snapshotId)).toMatchObject({
          state: 'completed',
          encrypted: true,
          kmsKeyId: hub.config.vaultKeyArn,
        });
      }
      // Only the original stays in the source: the re-encrypted AMI is deregistered, its snapshots deleted, the shares removed.
      expect(
        hub.ec2.images.store
          .all()
          .filter((i) => i.owner === SOURCE_A)
          .map((i) => i.id),
      ).toEqual([source.id]);
      expect(hub.ec2.snapshots({ account: SOURCE_A }).map((s) => s.id)).toEqual(sourceSnapshots);
      expect([...source.launchPermissions]).toEqual([]);
      for (const id of sourceSnapshots) expect([...hub.ec2.snapshot(SOURCE_A, REGION, id)!.sharedWith]).toEqual([]);
    },
  );

  it('records a deregistered AMI as skipped and keeps its vault copy', async () => {
    hub = await deployTestHub();
    const source = imageOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    const copy = vaultImages(hub)[0]!;
    hub.ec2.images.deregister(source);
    await run(hub, 5);
    const skipped = (await auditEntries(hub)).filter((e) => e.decision === 'skipped');
    expect(skipped.map((e) => e.reason)).toContain(`${source.id} deregistered in the source; the vault copy is kept`);
    expect(vaultImages(hub)).toEqual([copy]);
    expect(copy.state).toBe('available');
  });
});

describe('AMI events are never trusted', () => {
  it('rejects an event naming another account’s AMI shared with the sender (forged ownership), and copies nothing', async () => {
    hub = await deployTestHub();
    const theirs = imageOf(hub, SOURCE_A, 'none', { emit: false });
    theirs.launchPermissions.add(SOURCE_B);
    await run(hub, 1);
    hub.events.forward(hub.vaultBusArn, amiEvent(SOURCE_B, theirs.id, { id: 'forged-owner' }), SOURCE_B);
    await run(hub, 30);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'forged-owner');
    expect(entry?.decision).toBe('rejected');
    expect(entry?.reason).toContain(`forged-ownership: image ${theirs.id} is owned by ${SOURCE_A}, not by ${SOURCE_B}`);
    expect(vaultImages(hub)).toEqual([]);
  });

  it('rejects an event naming an AMI the sender cannot see', async () => {
    hub = await deployTestHub();
    const theirs = imageOf(hub, SOURCE_A, 'none', { emit: false });
    await run(hub, 1);
    hub.events.forward(hub.vaultBusArn, amiEvent(SOURCE_B, theirs.id, { id: 'forged' }), SOURCE_B);
    await run(hub, 30);
    expect((await auditEntries(hub)).find((e) => e.eventId === 'forged')).toMatchObject({
      decision: 'rejected',
      reason: expect.stringMatching(/^not-found: image ami-/),
    });
    expect(vaultImages(hub)).toEqual([]);
  });

  it('records a failed AMI as skipped', async () => {
    hub = await deployTestHub();
    hub.events.forward(hub.vaultBusArn, amiEvent(SOURCE_A, 'ami-0123456789abcdef0', { id: 'failed-ami', state: 'failed' }), SOURCE_A);
    await run(hub, 5);
    expect((await auditEntries(hub)).filter((e) => e.eventId === 'failed-ami')).toMatchObject([
      { decision: 'skipped', reason: 'ami-0123456789abcdef0 failed' },
    ]);
  });
});

describe('AMIs are copied once', () => {
  it('a duplicated and a redelivered event make exactly one vault copy', async () => {
    hub = await deployTestHub();
    const source = imageOf(hub, SOURCE_A, 'cmk', { emit: false });
    await run(hub, 1);
    const event = amiEvent(SOURCE_A, source.id, { id: 'twice' });
    hub.events.forward(hub.vaultBusArn, event, SOURCE_A);
    hub.events.forward(hub.vaultBusArn, event, SOURCE_A);
    await run(hub, 2);
    hub.events.forward(hub.vaultBusArn, amiEvent(SOURCE_A, source.id, { id: 'again-later' }), SOURCE_A);
    await run(hub, 120);
    expect(vaultImages(hub)).toHaveLength(1);
    expect(hub.cloud.calls.filter((c) => c.action === 'CopyImage' && c.account === VAULT && !c.error)).toHaveLength(1);
    expect(hub.cloud.calls.filter((c) => c.action === 'CopyImage' && c.account === SOURCE_A && !c.error)).toHaveLength(1);
    expect((await amiPoints(SOURCE_A)).map((p) => p.state)).toEqual(['available']);
    expect((await auditEntries(hub)).find((e) => e.eventId === 'again-later')?.reason).toMatch(/^duplicate/);
  });

  it('a full AMI copy quota makes copies wait instead of failing; every AMI is copied, within the quota', async () => {
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, imageCopyQuota: 1 } });
    for (let i = 0; i < 3; i++) imageOf(hub, SOURCE_A, 'none');
    let peak = 0;
    for (let minute = 0; minute < 240; minute++) {
      await run(hub, 1);
      peak = Math.max(peak, vaultImages(hub).filter((image) => image.state === 'pending').length);
    }
    const entries = await auditEntries(hub);
    expect(entries.some((e) => e.decision === 'deferred' && /AMI copy quota/.test(e.reason ?? ''))).toBe(true);
    expect(entries.filter((e) => e.decision === 'failed')).toEqual([]);
    expect(peak).toBe(1);
    expect((await amiPoints(SOURCE_A)).map((p) => p.state)).toEqual(['available', 'available', 'available']);
  });
});
