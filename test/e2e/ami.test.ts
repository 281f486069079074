import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { ami } from '../../shared/kinds/ami/ami.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { kindDeps } from '../../shared/pipeline/kind-deps.js';
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
    hub.forward(amiEvent(SOURCE_B, theirs.id, { id: 'forged-owner' }), SOURCE_B);
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
    hub.forward(amiEvent(SOURCE_B, theirs.id, { id: 'forged' }), SOURCE_B);
    await run(hub, 30);
    expect((await auditEntries(hub)).find((e) => e.eventId === 'forged' && e.decision !== 'deferred')).toMatchObject({
      decision: 'rejected',
      reason: expect.stringMatching(/^not-found: image ami-/),
    });
    expect(vaultImages(hub)).toEqual([]);
  });

  it('looks at a failed AMI (it may be the hub’s own intermediate): one that is not the hub’s is not copied, with the reason', async () => {
    hub = await deployTestHub();
    hub.forward(amiEvent(SOURCE_A, 'ami-0123456789abcdef0', { id: 'failed-ami', state: 'failed' }), SOURCE_A);
    await run(hub, 30);
    expect((await auditEntries(hub)).filter((e) => e.eventId === 'failed-ami').at(-1)).toMatchObject({
      decision: 'rejected',
      reason: expect.stringMatching(/^not-found: image ami-0123456789abcdef0 does not exist/),
    });
    expect(vaultImages(hub)).toEqual([]);
  });
});

describe('AMIs are copied once', () => {
  it('a duplicated and a redelivered event make exactly one vault copy', async () => {
    hub = await deployTestHub();
    const source = imageOf(hub, SOURCE_A, 'cmk', { emit: false });
    await run(hub, 1);
    const event = amiEvent(SOURCE_A, source.id, { id: 'twice' });
    hub.forward(event, SOURCE_A);
    hub.forward(event, SOURCE_A);
    await run(hub, 2);
    hub.forward(amiEvent(SOURCE_A, source.id, { id: 'again-later' }), SOURCE_A);
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

describe('AMI names are unique per account and region, failed and recently deregistered images included', () => {
  it('a reopened point’s copy takes a name of its own: the failed copy’s is still taken', async () => {
    hub = await deployTestHub();
    const alias = hub.kms.aliases(SOURCE_A, REGION).find((a) => a.name === hub.config.shareKeyAlias)!;
    const shareKey = hub.kms.key(alias.targetKeyArn)!;
    const admin = { account: SOURCE_A, arn: `arn:aws:iam::${SOURCE_A}:root` };
    const policy = shareKey.policyText;
    const readerDenied = JSON.parse(policy) as { Statement: unknown[] };
    readerDenied.Statement.push({
      Effect: 'Deny',
      Principal: { AWS: `arn:aws:iam::${SOURCE_A}:role/${hub.config.readerRoleName}-ami` },
      Action: ['kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext'],
      Resource: '*',
    });
    hub.kms.putKeyPolicy(shareKey, JSON.stringify(readerDenied), admin);
    const source = imageOf(hub, SOURCE_A, 'aws-managed', { emit: false });
    await run(hub, 1);
    hub.forward(amiEvent(SOURCE_A, source.id, { id: 'first' }), SOURCE_A);
    await run(hub, 30);
    const [failed] = await points(hub, SOURCE_A);
    expect(failed).toMatchObject({ state: 'failed' });
    const intermediates = () => hub.ec2.images.store.all().filter((i) => i.owner === SOURCE_A && i.tags.has(TAG.intermediateOf));
    expect(intermediates().map((i) => i.state)).toEqual(['deregistered']);

    hub.kms.putKeyPolicy(shareKey, policy, admin);
    hub.forward(amiEvent(SOURCE_A, source.id, { id: 'after-the-fix' }), SOURCE_A);
    await run(hub, 90);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ state: 'available', attempt: 2 }]);
    // The first intermediate's name was taken when the second was made; deregistered an hour ago, it is gone by now.
    expect(intermediates().map((i) => [i.name, i.state])).toEqual([[`backup-hub-share-${source.id}-attempt-2`, 'deregistered']]);
    expect(vaultImages(hub)).toHaveLength(1);
  });
});

describe('recently deregistered images, which DescribeImages still shows', () => {
  it('the pruner finishes deleting a vault copy someone deregistered already, and the cleanup leaves a deregistered source alone', async () => {
    // Deregistered images stay visible for three days here: the day the copy's locks and cooldown take passes within that.
    hub = await deployTestHub({
      ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, deregisteredVisibleMs: 3 * 24 * 3_600_000 },
    });
    const source = imageOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'available' });
    const vaultImage = hub.ec2.images.store.get(REGION, point!.vaultCopyId!)!;
    // The copy is protected from deregistration (with AWS's 24-hour cooldown) and its snapshots locked: someone
    // lifted the protection and came back once the locks had expired, when the pruner may delete it too.
    hub.ec2.images.unprotect(vaultImage);
    await hub.cloud.skip(Math.max(Date.parse(point!.providerLock!.until) - hub.cloud.clock.nowMs(), 24 * 3_600_000));
    hub.ec2.images.deregister(vaultImage);
    hub.ec2.images.deregister(source);
    const deps = kindDeps(ami, hub.prunerContext);
    const deletion = await ami.deleteVaultCopy(point!, deps);
    expect(deletion.deleted).toContain(point!.vaultCopyId);
    expect(hub.ec2.snapshots({ account: VAULT })).toEqual([]);
    expect(await ami.cleanup(point!, kindDeps(ami, hub.runtimes.ami!.hubContext()), 'abandoned')).toEqual([]);
  });
});

describe('snapshots that CreateImage and CopyImage make, when AWS announces them as EBS snapshots too', () => {
  it('are backed up once, with their AMI: not as EBS snapshots, and an AMI intermediate’s never as an EBS intermediate', async () => {
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, announceImageSnapshots: true } });
    imageOf(hub, SOURCE_A, 'none');
    imageOf(hub, SOURCE_A, 'aws-managed');
    await run(hub, 120);
    const saved = await points(hub, SOURCE_A);
    expect(saved.map((p) => [p.kind, p.state])).toEqual([
      ['ami', 'available'],
      ['ami', 'available'],
    ]);
    const skipped = (await auditEntries(hub)).filter((e) => e.kind === 'ebs-snapshot' && e.decision === 'skipped');
    // Each AMI's root snapshot, and each one's intermediate copy's snapshot (only a hub-made intermediate is ever shared);
    // in the vault, each vault AMI's snapshot settling (the AMI's own completion event completes the point).
    expect(skipped.map((e) => e.reason)).toEqual(Array(6).fill(expect.stringMatching(/^snap-\w+ belongs to AMI ami-\w+/)));
    expect(vaultImages(hub)).toHaveLength(2);
    expect(hub.ec2.snapshots({ account: VAULT }).filter((s) => !s.usedBy.size)).toEqual([]);
  });
});
