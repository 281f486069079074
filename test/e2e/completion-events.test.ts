import { DB_SNAPSHOT } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { RECONCILER } from '../../accounts/stack/names.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { EVENTS_OWN_COPY_MS } from '../../shared/pipeline/reconcile.js';
import {
  amiEvent,
  auditEntries,
  deployTestHub,
  ebsEvent,
  imageOf,
  points,
  REGION,
  run,
  SOURCE_A,
  snapshotOf,
  VAULT,
  vaultImages,
  vaultSnapshots,
} from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

/** Lets simulated time pass second by second until `done` holds (at most `limitMs`). */
async function until(done: () => boolean, limitMs: number): Promise<void> {
  for (let waited = 0; waited < limitMs && !done(); waited += 60_000) await hub.cloud.advance(60_000, { tickMs: 1_000 });
}

/** The vault's copy of one source snapshot, once requested. */
async function copyRequested(): Promise<{ copyId: string; settlesAt: number }> {
  await until(() => vaultSnapshots(hub).length > 0, 60 * 60_000);
  const [copy] = vaultSnapshots(hub);
  return { copyId: copy!.id, settlesAt: copy!.settlesAt };
}

/** Seconds from AWS settling the copy to the point recording it. */
const secondsToProtection = (completedAt: string | undefined, settlesAt: number) => (Date.parse(completedAt ?? '') - settlesAt) / 1000;

describe("the vault's own completion events complete a point in seconds", () => {
  it.each(['none', 'aws-managed'] as const)(
    'a %s snapshot is available seconds after its vault copy completes, with the source cleaned up',
    async (encryption) => {
      hub = await deployTestHub();
      const source = snapshotOf(hub, SOURCE_A, encryption);
      const { copyId, settlesAt } = await copyRequested();
      await hub.cloud.advance(settlesAt - hub.cloud.clock.nowMs() + 30_000, { tickMs: 1_000 });

      const [point] = await points(hub, SOURCE_A);
      expect(point).toMatchObject({ sourceId: source.id, vaultCopyId: copyId, state: 'available' });
      expect(secondsToProtection(point!.completedAt, settlesAt)).toBeLessThanOrEqual(10);
      expect(hub.ec2.snapshots({ account: SOURCE_A }).map((s) => s.id)).toEqual([source.id]);
      expect([...source.sharedWith]).toEqual([]);
    },
  );

  it('an AMI is available seconds after its vault copy becomes available', async () => {
    hub = await deployTestHub();
    const image = imageOf(hub, SOURCE_A, 'none');
    await until(() => vaultImages(hub).length > 0, 60 * 60_000);
    const copy = vaultImages(hub)[0]!;
    await until(() => copy.state !== 'pending', 3 * 60 * 60_000);
    const settledAt = hub.cloud.clock.nowMs();
    await hub.cloud.advance(30_000, { tickMs: 1_000 });

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ sourceId: image.id, vaultCopyId: copy.id, state: 'available' });
    // The copy settled within the last simulated minute before `settledAt`.
    expect(Date.parse(point!.completedAt!) - settledAt).toBeLessThanOrEqual(10_000);
  });

  it('a DB snapshot: its re-encrypting copy in the source and its vault copy each move on seconds after RDS finishes them', async () => {
    hub = await deployTestHub({ rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 } });
    const source = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'automated', encryption: 'aws-managed' });
    await until(() => hub.rds.snapshots(DB_SNAPSHOT, VAULT).length > 0, 60 * 60_000);
    const intermediate = hub.rds.snapshots(DB_SNAPSHOT, SOURCE_A).find((s) => s.id !== source.id)!;
    const copy = hub.rds.snapshots(DB_SNAPSHOT, VAULT)[0]!;
    // Requested within a minute of the intermediate becoming available, by its own event (the reconciler polls it no more).
    expect(copy.createdAt.getTime() - intermediate.availableAt).toBeLessThanOrEqual(60_000);
    await hub.cloud.advance(copy.availableAt - hub.cloud.clock.nowMs() + 30_000, { tickMs: 1_000 });

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ sourceId: source.id, vaultCopyId: copy.id, state: 'available' });
    expect(secondsToProtection(point!.completedAt, copy.availableAt)).toBeLessThanOrEqual(10);
  });

  it('a duplicated completion event, and a failed one after success, change nothing: one completion, audited once', async () => {
    hub = await deployTestHub();
    snapshotOf(hub, SOURCE_A, 'none');
    const { copyId, settlesAt } = await copyRequested();
    await hub.cloud.advance(settlesAt - hub.cloud.clock.nowMs() + 30_000, { tickMs: 1_000 });
    hub.cloud.emitServiceEvent({ ...ebsEvent(VAULT, copyId, { event: 'copySnapshot', id: 'again' }) });
    hub.cloud.emitServiceEvent({ ...ebsEvent(VAULT, copyId, { event: 'copySnapshot', result: 'failed', id: 'late-failure' }) });
    await run(hub, 2);

    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(['available']);
    const entries = await auditEntries(hub);
    expect(entries.filter((e) => e.decision === 'completed')).toHaveLength(1);
    expect(entries.find((e) => e.eventId === 'again')?.reason).toMatch(/^duplicate/);
    expect(entries.find((e) => e.eventId === 'late-failure')?.reason).toMatch(/^duplicate/);
  });

  it('an early or false "succeeded" for a copy still pending completes nothing: the vault’s own view decides', async () => {
    hub = await deployTestHub();
    snapshotOf(hub, SOURCE_A, 'none');
    const { copyId, settlesAt } = await copyRequested();
    hub.cloud.emitServiceEvent(ebsEvent(VAULT, copyId, { event: 'copySnapshot', id: 'too-early' }));
    await run(hub, 2);

    expect(hub.cloud.clock.nowMs()).toBeLessThan(settlesAt);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'pending', stage: 'copying' });
    expect((await auditEntries(hub)).find((e) => e.eventId === 'too-early')?.reason).toMatch(/sees .* pending/);
    await hub.cloud.advance(settlesAt - hub.cloud.clock.nowMs() + 30_000, { tickMs: 1_000 });
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available' });
  });

  it('a completion event for a vault snapshot the hub did not copy, or another AMI state, is recorded as skipped', async () => {
    hub = await deployTestHub();
    const own = snapshotOf(hub, VAULT, 'none', { emit: false });
    await run(hub, 1);
    hub.cloud.emitServiceEvent(ebsEvent(VAULT, own.id, { event: 'copySnapshot', id: 'not-ours' }));
    hub.cloud.emitServiceEvent(amiEvent(VAULT, 'ami-0123456789abcdef0', { state: 'deregistered', id: 'deregistered' }));
    await run(hub, 2);

    const entries = await auditEntries(hub);
    expect(entries.find((e) => e.eventId === 'not-ours')).toMatchObject({
      decision: 'skipped',
      reason: expect.stringMatching(/none of the hub's vault copies/),
    });
    // The completion rule routes only the states that settle a copy: the deregistration never reaches the queue.
    expect(entries.some((e) => e.eventId === 'deregistered')).toBe(false);
  });

  it('a lost completion event: the reconciler completes the copy once it is older than the events own it for', async () => {
    hub = await deployTestHub();
    const vaultBus = hub.cloud.events.bus(VAULT, REGION);
    for (const rule of vaultBus.rules().filter((r) => r.name.endsWith('-completion'))) {
      vaultBus.removeTargets(rule.name, ['queue']);
      vaultBus.deleteRule(rule.name);
    }
    snapshotOf(hub, SOURCE_A, 'none');
    const { settlesAt } = await copyRequested();
    await hub.cloud.advance(settlesAt - hub.cloud.clock.nowMs() + 30 * 60_000, { tickMs: 60_000 });
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'pending', stage: 'copying' });

    await run(hub, EVENTS_OWN_COPY_MS / 60_000);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available' });
  });
});

describe('the reconciler with nothing to do', () => {
  it('reads the pending points, the DR copies pending or failed, the residue, and the waiting points once per destination region (not per kind, source and region)', async () => {
    hub = await deployTestHub();
    const from = hub.cloud.calls.length;
    await run(hub, RECONCILER.everyMinutes);
    const queries = hub.cloud.calls.slice(from).filter((c) => c.principal.includes('reconciler') && c.action === 'Query');
    // pending, residue, DR copies pending and failed, and the one region every copy lands in (the vault's and both sources'):
    // per kind and quota that was 4 × (1 + 2), and 7,200 at 300 sources × 6 regions.
    expect(queries).toHaveLength(4 + 1);
  });
});
