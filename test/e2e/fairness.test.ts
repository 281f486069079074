import type { VolumeEncryption } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, SOURCE_B, snapshotOf, VAULT } from './hub-harness.js';

let hub: LocalHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const CAP = 3;
const RUNAWAY_SNAPSHOTS = 12;

describe('one source snapshotting by the dozen', () => {
  it('does not starve another: the other’s points get the freed slots first, the runaway’s excess waits (audited, alarmed) and is copied in the end', async () => {
    hub = await deployTestHub({
      sources: [
        { account: SOURCE_A, regions: [REGION], pendingCap: CAP },
        { account: SOURCE_B, regions: [REGION] },
      ],
      ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, copyQuota: 2 },
    });
    for (let i = 0; i < RUNAWAY_SNAPSHOTS; i++) snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 2);
    const others = [snapshotOf(hub, SOURCE_B, 'none'), snapshotOf(hub, SOURCE_B, 'none')];
    await run(hub, 2);
    // The runaway took both slots first; the other source's two wait behind its ten.
    expect((await points(hub, SOURCE_B)).map((p) => p.waitingFor)).toEqual(Array(2).fill(`ebs-snapshot:${VAULT}:${REGION}`));

    let runawayLeft = 0;
    for (let minute = 0; minute < 6 * 60 && runawayLeft === 0; minute += 5) {
      await run(hub, 5);
      const settled = (await points(hub, SOURCE_B)).every((p) => p.state === 'available');
      if (settled) runawayLeft = (await points(hub, SOURCE_A)).filter((p) => p.state !== 'available').length;
    }
    // Longest waiting first, the other's copies would start after all twelve; fairly, they are done while most of the runaway's wait.
    expect(runawayLeft).toBeGreaterThanOrEqual(RUNAWAY_SNAPSHOTS - 2 - CAP);
    expect(hub.ec2.snapshots({ account: VAULT }).filter((s) => others.some((o) => s.description?.includes(o.id)))).toHaveLength(2);

    const overCap = (await auditEntries(hub)).filter((e) => e.account === SOURCE_A && /over its cap/.test(e.reason ?? ''));
    expect(overCap).toHaveLength(1);
    expect(overCap[0]).toMatchObject({ decision: 'deferred' });
    expect(overCap[0]!.reason).toMatch(/over its cap of 3 \(pendingCap\): \d+ of them wait behind every other source's .* none is dropped/);
    const alarm = () => hub!.cloud.cloudwatch.alarms(VAULT, REGION).find((a) => a.AlarmName === `backup-hub-source-${SOURCE_A}-over-cap`);
    expect(alarm()).toMatchObject({ state: 'ALARM' });
    expect(hub.cloud.cloudwatch.alarms(VAULT, REGION).find((a) => a.AlarmName === `backup-hub-source-${SOURCE_B}-over-cap`)).toMatchObject({
      state: 'OK',
    });

    // None is dropped: the runaway's excess is copied as slots free, and its alarm goes back to OK.
    await run(hub, 8 * 60);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(Array(RUNAWAY_SNAPSHOTS).fill('available'));
    expect(alarm()).toMatchObject({ state: 'OK' });
  }, 240_000);

  it('once a source is over its cap, its new points wait behind the others’ even while slots are free: a steady runaway cannot take each slot as it frees', async () => {
    hub = await deployTestHub({
      sources: [
        { account: SOURCE_A, regions: [REGION], pendingCap: 2 },
        { account: SOURCE_B, regions: [REGION] },
      ],
      ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, copyQuota: 4 },
    });
    for (let i = 0; i < 6; i++) snapshotOf(hub, SOURCE_A, 'none');
    const pendingInVault = () => hub!.ec2.snapshots({ account: VAULT }).filter((s) => s.state === 'pending').length;
    const overCapRecorded = async () =>
      (await auditEntries(hub!)).some((e) => e.account === SOURCE_A && /over its cap/.test(e.reason ?? ''));
    // Four copies run, two wait; the reconciler finds the source over its cap; then the four finish, before it runs again.
    for (let minute = 0; minute < 60 && !((await overCapRecorded()) && pendingInVault() === 0); minute++) await run(hub, 1);
    expect(pendingInVault()).toBe(0);

    const runaway = snapshotOf(hub, SOURCE_A, 'none');
    const other = snapshotOf(hub, SOURCE_B, 'none');
    await run(hub, 3);
    const byId = async (account: string, id: string) => (await points(hub!, account)).find((p) => p.sourceId === id);
    expect(await byId(SOURCE_B, other.id)).toMatchObject({ stage: 'copying' });
    expect(await byId(SOURCE_A, runaway.id)).toMatchObject({ state: 'pending', waitingFor: `ebs-snapshot:${VAULT}:${REGION}` });
    expect((await auditEntries(hub)).find((e) => e.sourceId === runaway.id && e.decision === 'deferred')?.reason).toMatch(
      /waiting for a copy slot: source 111111111111 is over its pendingCap/,
    );

    await run(hub, 3 * 60);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(Array(7).fill('available'));
  }, 240_000);

  it('hands a settled copy’s slot to the next in line at once: a source’s point re-encrypted meanwhile does not take it', async () => {
    // A copy takes a minute per GiB: the sizes set who finishes when.
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: (gib) => gib * 60_000, copyQuota: 1 } });
    const sized = (account: string, encryption: VolumeEncryption, sizeGiB: number) =>
      hub!.ec2.createSnapshot(account, REGION, { volumeId: hub!.ec2.createVolume(account, REGION, { encryption, sizeGiB }).id });
    sized(SOURCE_A, 'none', 20);
    await run(hub, 1);
    // The vault's one slot is the runaway's for 20 minutes; the other's point waits, and the reconciler (every 15) puts it in the line.
    const other = sized(SOURCE_B, 'none', 10);
    // Re-encrypted in its own source first (21 minutes): ready just after the slot frees, before the reconciler runs again.
    const reencrypted = sized(SOURCE_A, 'aws-managed', 21);
    await run(hub, 24);
    const byId = async (account: string, id: string) => (await points(hub!, account)).find((p) => p.sourceId === id);
    expect(await byId(SOURCE_B, other.id)).toMatchObject({ stage: 'copying' });
    expect(await byId(SOURCE_A, reencrypted.id)).toMatchObject({ state: 'pending', waitingFor: `ebs-snapshot:${VAULT}:${REGION}` });
    // Started by the settled copy's own event, not at the reconciler's next run.
    const entries = await auditEntries(hub);
    const settled = entries.find((e) => e.account === SOURCE_A && e.decision === 'completed')!;
    expect(entries.find((e) => e.sourceId === other.id && e.decision === 'copied')?.at).toBe(settled.at);

    await run(hub, 60);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available', 'available']);
  }, 240_000);

  it('puts a point ready while others wait in the line, even in the instant a slot frees before its copy’s event says so', async () => {
    // Ten seconds a GiB: the runaway's re-encryption ends ten seconds before its vault copy, both handled in the same minute.
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: (gib) => gib * 10_000, copyQuota: 1 } });
    const sized = (account: string, encryption: VolumeEncryption, sizeGiB: number) =>
      hub!.ec2.createSnapshot(account, REGION, { volumeId: hub!.ec2.createVolume(account, REGION, { encryption, sizeGiB }).id });
    sized(SOURCE_A, 'none', 120);
    const reencrypted = sized(SOURCE_A, 'aws-managed', 119);
    await run(hub, 1);
    const other = sized(SOURCE_B, 'none', 60);
    await run(hub, 22);
    const byId = async (account: string, id: string) => (await points(hub!, account)).find((p) => p.sourceId === id);
    expect(await byId(SOURCE_B, other.id)).toMatchObject({ stage: 'copying' });
    expect(await byId(SOURCE_A, reencrypted.id)).toMatchObject({ state: 'pending', waitingFor: `ebs-snapshot:${VAULT}:${REGION}` });
    expect((await auditEntries(hub)).find((e) => e.sourceId === reencrypted.id && e.decision === 'deferred')?.reason).toMatch(
      /others wait for ebs-snapshot:999999999999:eu-west-1: the point joins the line/,
    );

    await run(hub, 60);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available', 'available']);
  }, 240_000);
});
