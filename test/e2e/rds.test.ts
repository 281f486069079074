import type { EventEnvelope, RdsEncryption } from '@backup-hub/aws-sim';
import { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, type RdsFamily, rdsSnapshotArn, type SimRdsSnapshot } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { rdsSnapshot } from '../../shared/kinds/rds-snapshot/rds-snapshot.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, SOURCE_B, VAULT } from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

/** Snapshots are available at once; copies take 20 simulated minutes. */
const deploy = (quotas: { manualSnapshotQuota?: number; copyQuota?: number } = {}) =>
  deployTestHub({ rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000, ...quotas } });

const vaultCopies = (family: RdsFamily) => hub.rds.snapshots(family, VAULT);
const sourceIds = (family: RdsFamily, account = SOURCE_A) => hub.rds.snapshots(family, account).map((s) => s.id);

/** The event RDS sends for a snapshot, in the documented sample's shape (sim/services/rds-events.ts). */
function rdsEvent(
  family: RdsFamily,
  sender: string,
  snapshot: Pick<SimRdsSnapshot, 'id' | 'owner' | 'region'>,
  id: string,
  what = family.created.manual,
): EventEnvelope {
  const arn = rdsSnapshotArn(family, snapshot);
  return {
    version: '0',
    id,
    'detail-type': family.detailType,
    source: 'aws.rds',
    account: sender,
    time: '2026-01-01T00:00:00Z',
    region: REGION,
    resources: [arn],
    detail: {
      EventCategories: ['creation'],
      SourceType: family.sourceType,
      SourceArn: arn,
      Date: '2026-01-01T00:00:00.000Z',
      Message: what.message,
      SourceIdentifier: snapshot.id,
      EventID: what.eventId,
    },
  };
}

describe('RDS DB snapshots reach the vault', () => {
  const cases = (['manual', 'automated'] as const).flatMap((type) =>
    (['none', 'aws-managed', 'cmk'] as RdsEncryption[]).map((encryption) => [type, encryption] as const),
  );

  it.each(cases)(
    'a %s %s-encrypted DB snapshot ends as a vault copy under the vault CMK, with the source cleaned up',
    async (type, encryption) => {
      hub = await deploy();
      const source = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type, encryption });
      await run(hub, 90);

      const [point] = await points(hub, SOURCE_A);
      expect(point).toMatchObject({
        kind: 'rds-snapshot',
        sourceId: source.id,
        resourceId: 'orders',
        state: 'available',
        sourceEncryption: encryption === 'cmk' ? 'customer' : encryption,
        vaultKeyArn: hub.config.vaultKeyArn,
      });
      const copies = vaultCopies(DB_SNAPSHOT);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({
        id: point!.vaultCopyId,
        status: 'available',
        encrypted: true,
        kmsKeyId: hub.config.vaultKeyArn,
        type: 'manual',
      });
      expect(Object.fromEntries(copies[0]!.tags)).toMatchObject({
        [TAG.sourceAccount]: SOURCE_A,
        [TAG.sourceRegion]: REGION,
        [TAG.sourceId]: source.id,
        [TAG.eventId]: point!.eventId,
      });
      // None is shared as it is: every one goes through a manual copy under the share key, deleted afterwards.
      expect(point!.intermediateId).toBeDefined();
      expect(sourceIds(DB_SNAPSHOT)).toEqual([source.id]);
      expect([...source.sharedWith]).toEqual([]);
    },
  );
});

describe('Aurora cluster snapshots reach the vault', () => {
  it.each([
    ['manual', 'aws-managed'],
    ['automated', 'cmk'],
  ] as const)('a %s %s-encrypted cluster snapshot ends as a vault copy, its intermediate deleted', async (type, encryption) => {
    hub = await deploy();
    const source = hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type, encryption });
    await run(hub, 90);

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({
      kind: 'rds-cluster-snapshot',
      sourceId: source.id,
      resourceId: 'ledger',
      state: 'available',
      vaultKeyArn: hub.config.vaultKeyArn,
    });
    expect(point!.intermediateId).toMatch(/^backup-hub-share-/);
    expect(vaultCopies(DB_CLUSTER_SNAPSHOT)).toMatchObject([
      { id: point!.vaultCopyId, status: 'available', kmsKeyId: hub.config.vaultKeyArn },
    ]);
    expect(sourceIds(DB_CLUSTER_SNAPSHOT)).toEqual([source.id]);
  });

  it('fails an unencrypted cluster snapshot with the reason: a copy cannot encrypt it', async () => {
    hub = await deploy();
    hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type: 'manual', encryption: 'none' });
    await run(hub, 30);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({
      state: 'failed',
      failureReason: expect.stringMatching(/^SourceUnencrypted: .*unencrypted, and a copy cannot encrypt it/),
      failureAboutArtifact: true,
    });
    expect(vaultCopies(DB_CLUSTER_SNAPSHOT)).toEqual([]);
  });

  it('a later event does not reopen a failure that lies in the artifact itself, and says so', async () => {
    hub = await deploy();
    const source = hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type: 'manual', encryption: 'none' });
    await run(hub, 30);
    hub.forward(rdsEvent(DB_CLUSTER_SNAPSHOT, SOURCE_A, source, 'again'), SOURCE_A);
    await run(hub, 10);
    expect((await auditEntries(hub)).find((e) => e.eventId === 'again')).toMatchObject({
      decision: 'skipped',
      reason: expect.stringMatching(
        /^duplicate: .*\(failed, done\); not reopened: its failure lies in the artifact itself \(SourceUnencrypted: /,
      ),
    });
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'failed' });
    expect(point!.reopened).toBeUndefined();
  });
});

describe('RDS events are never trusted', () => {
  it('rejects an event whose SourceArn names another account’s snapshot (forged ownership), and copies nothing', async () => {
    hub = await deploy();
    const theirs = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'cmk', emit: false });
    await run(hub, 1);
    hub.forward(rdsEvent(DB_SNAPSHOT, SOURCE_B, theirs, 'forged-owner'), SOURCE_B);
    await run(hub, 30);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'forged-owner');
    expect(entry).toMatchObject({ decision: 'rejected', account: SOURCE_B });
    expect(entry!.reason).toContain(`forged-ownership: snapshot ${theirs.id} belongs to ${SOURCE_A}, not to ${SOURCE_B}`);
    expect(vaultCopies(DB_SNAPSHOT)).toEqual([]);
  });

  it('rejects an event naming a snapshot its sender does not have', async () => {
    hub = await deploy();
    hub.forward(rdsEvent(DB_SNAPSHOT, SOURCE_B, { id: 'nope', owner: SOURCE_B, region: REGION }, 'missing'), SOURCE_B);
    await run(hub, 30);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'missing' && e.decision !== 'deferred');
    expect(entry).toMatchObject({ decision: 'rejected' });
    expect(entry!.reason).toMatch(/^not-found: snapshot nope does not exist/);
  });

  it('skips other snapshot events (a deletion) with the reason; the rules do not even route them', async () => {
    hub = await deploy();
    const deleted = rdsEvent(DB_SNAPSHOT, SOURCE_A, { id: 'gone', owner: SOURCE_A, region: REGION }, 'deleted', {
      eventId: 'RDS-EVENT-0041',
      message: 'Deleted manual snapshot',
    });
    expect(rdsSnapshot.triggers(deleted)).toEqual({ skip: 'RDS-EVENT-0041 (Deleted manual snapshot) is not a backup trigger' });
    hub.forward(deleted, SOURCE_A);
    await run(hub, 5);
    expect((await auditEntries(hub)).filter((e) => e.eventId === 'deleted')).toEqual([]);
  });
});

describe('duplicate delivery', () => {
  it('makes one vault copy of a snapshot announced twice', async () => {
    hub = await deploy();
    const source = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'automated', encryption: 'aws-managed', emit: false });
    await run(hub, 1);
    const event = rdsEvent(DB_SNAPSHOT, SOURCE_A, source, 'twice', DB_SNAPSHOT.created.automated);
    hub.forward(event, SOURCE_A);
    hub.forward(event, SOURCE_A);
    await run(hub, 5);
    hub.forward({ ...event, id: 'again' }, SOURCE_A);
    await run(hub, 90);
    expect(vaultCopies(DB_SNAPSHOT)).toHaveLength(1);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ state: 'available' }]);
    expect((await auditEntries(hub)).find((e) => e.eventId === 'again')).toMatchObject({
      decision: 'skipped',
      reason: expect.stringMatching(/^duplicate/),
    });
    expect(sourceIds(DB_SNAPSHOT)).toEqual([source.id]);
  });
});

describe('the manual snapshot quota', () => {
  it('a full vault quota leaves the point waiting, not failed, and the copy is made once there is room', async () => {
    hub = await deploy({ manualSnapshotQuota: 2 });
    const fillers = ['filler-1', 'filler-2'].map((id) =>
      hub.rds.createDBSnapshot(VAULT, REGION, { db: 'other', type: 'manual', encryption: 'none', id, emit: false }),
    );
    const source = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'none' });
    await run(hub, 30);

    const [waiting] = await points(hub, SOURCE_A);
    expect(waiting).toMatchObject({ sourceId: source.id, state: 'pending', waitingFor: `rds-snapshot:${VAULT}:${REGION}` });
    expect((await auditEntries(hub)).filter((e) => e.sourceId === source.id).map((e) => e.decision)).toContain('deferred');

    hub.rds.instanceSnapshots.delete(fillers[0]!);
    await run(hub, 60);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ state: 'available' }]);
    expect(vaultCopies(DB_SNAPSHOT).map((s) => s.id)).toContain((await points(hub, SOURCE_A))[0]!.vaultCopyId);
  });
});

describe('the concurrent copy quota', () => {
  it('beyond the copies RDS runs at once, points wait and start as copies finish; every snapshot is copied once, within the quota', async () => {
    hub = await deploy({ copyQuota: 2 });
    // Each source first copies its snapshots to intermediates (within its own quota of 2); the four
    // that are ready together then meet the vault's quota.
    const sources = ['a', 'b', 'c', 'd', 'e'].map((db, i) =>
      hub.rds.createDBSnapshot(i < 3 ? SOURCE_A : SOURCE_B, REGION, { db, type: 'manual', encryption: 'none' }),
    );
    const all = async () => [...(await points(hub, SOURCE_A)), ...(await points(hub, SOURCE_B))];
    await run(hub, 25);
    expect(vaultCopies(DB_SNAPSHOT).filter((s) => s.status === 'copying')).toHaveLength(2);
    expect((await all()).filter((p) => p.waitingFor === `rds-snapshot:${VAULT}:${REGION}`).length).toBeGreaterThan(0);

    await run(hub, 120);
    const copies = vaultCopies(DB_SNAPSHOT);
    expect(await all()).toHaveLength(sources.length);
    expect((await all()).every((p) => p.state === 'available')).toBe(true);
    expect(new Set(copies.map((c) => c.tags.get(TAG.sourceId)))).toEqual(new Set(sources.map((s) => s.id)));
    expect(copies).toHaveLength(sources.length);
    // No instant with more than 2 copies in progress: each copy runs [createdAt, availableAt).
    const busyAt = (t: number) => copies.filter((c) => c.createdAt.getTime() <= t && t < c.availableAt).length;
    expect(Math.max(...copies.map((c) => busyAt(c.createdAt.getTime())))).toBeLessThanOrEqual(2);
  });
});

describe('a manual snapshot identifier reused after a deletion (a nightly prod-latest)', () => {
  it('is a new life: a second recovery point and a second vault copy, the first kept', async () => {
    hub = await deploy();
    const first = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'cmk', id: 'prod-latest' });
    await run(hub, 60);
    hub.rds.instanceSnapshots.delete(first);
    await run(hub, 24 * 60 - 60);
    const second = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'cmk', id: 'prod-latest' });
    await run(hub, 60);

    const lives = await points(hub, SOURCE_A);
    expect(lives.map((p) => [p.sourceId, p.life, p.state])).toEqual([
      ['prod-latest', first.createdAt.toISOString(), 'available'],
      ['prod-latest', second.createdAt.toISOString(), 'available'],
    ]);
    expect(new Set(lives.map((p) => p.pk)).size).toBe(2);
    const copies = vaultCopies(DB_SNAPSHOT);
    expect(copies.map((c) => c.id).sort()).toEqual(lives.map((p) => p.vaultCopyId).sort());
    expect(copies.map((c) => c.tags.get(TAG.sourceLife)).sort()).toEqual(lives.map((p) => p.life).sort());
  });
});

describe('points recorded before points had lives', () => {
  it('are still the point of that snapshot: a redelivered event is a duplicate, not a second copy', async () => {
    hub = await deploy();
    const source = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'none', emit: false });
    await run(hub, 1);
    const at = source.createdAt.toISOString();
    await hub.context.catalog.claim({
      pk: `ART#rds-snapshot#${SOURCE_A}#${REGION}#${source.id}`,
      kind: 'rds-snapshot',
      account: SOURCE_A,
      region: REGION,
      sourceId: source.id,
      resourceId: 'orders',
      resourcePk: `rds-snapshot#${SOURCE_A}#${REGION}#orders`,
      createdAt: at,
      recordedAt: at,
      updatedAt: at,
      state: 'available',
      stage: 'done',
      sourceEncryption: 'none',
      eventId: 'before-lives',
      tags: {},
    });
    hub.forward(rdsEvent(DB_SNAPSHOT, SOURCE_A, source, 'redelivered'), SOURCE_A);
    await run(hub, 30);
    expect((await auditEntries(hub)).find((e) => e.eventId === 'redelivered')).toMatchObject({
      decision: 'skipped',
      reason: expect.stringMatching(/^duplicate/),
    });
    expect(await points(hub, SOURCE_A)).toHaveLength(1);
    expect(vaultCopies(DB_SNAPSHOT)).toEqual([]);
  });
});

describe('RDS and Aurora sources outside the vault’s region', () => {
  const OTHER = 'eu-central-1';

  it.each([
    ['DB', 'manual', 'none'],
    ['DB', 'automated', 'aws-managed'],
    ['cluster', 'manual', 'cmk'],
  ] as const)(
    'a %s snapshot (%s, %s) in another region is copied into the vault’s region in one step',
    async (family, type, encryption) => {
      hub = await deployTestHub({
        sources: [{ account: SOURCE_B, regions: [REGION, OTHER] }],
        rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 },
      });
      const source =
        family === 'DB'
          ? hub.rds.createDBSnapshot(SOURCE_B, OTHER, { db: 'orders', type, encryption })
          : hub.rds.createDBClusterSnapshot(SOURCE_B, OTHER, { cluster: 'ledger', type, encryption });
      await run(hub, 120);

      const [point] = await points(hub, SOURCE_B);
      expect(point).toMatchObject({ region: OTHER, sourceId: source.id, state: 'available', vaultKeyArn: hub.config.vaultKeyArn });
      const copies = vaultCopies(family === 'DB' ? DB_SNAPSHOT : DB_CLUSTER_SNAPSHOT);
      expect(copies).toMatchObject([{ id: point!.vaultCopyId, region: REGION, kmsKeyId: hub.config.vaultKeyArn, status: 'available' }]);
      expect(copies[0]!.tags.get(TAG.sourceRegion)).toBe(OTHER);
      const family_ = family === 'DB' ? DB_SNAPSHOT : DB_CLUSTER_SNAPSHOT;
      expect(hub.rds.snapshots(family_, SOURCE_B).map((s) => s.id)).toEqual([source.id]);
      expect([...source.sharedWith]).toEqual([]);
    },
  );
});

describe('a DB snapshot whose option group has permanent or persistent options', () => {
  it('cannot be shared: a permanent failure with that reason, its intermediate deleted, and no later event reopens it', async () => {
    hub = await deploy();
    const optionGroup = { name: 'oracle-tde', persistentOptions: true };
    const source = hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'erp', type: 'manual', encryption: 'cmk', optionGroup });
    await run(hub, 60);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'failed', failureAboutArtifact: true });
    expect(point!.failureReason).toMatch(/^InvalidParameterCombination: .*cannot be shared with the vault: .*oracle-tde/);
    expect(sourceIds(DB_SNAPSHOT)).toEqual([source.id]);
    expect(vaultCopies(DB_SNAPSHOT)).toEqual([]);
    expect(hub.sqs.depth(hub.queues['rds-snapshot'].dlqArn)).toBe(0);
  });
});
