import { type LocalDynamo, startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables } from '../../drill/hub-tables.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog, LegalHoldRefused } from '../../shared/catalog/catalog.js';
import { type RecoveryPoint, recoveryPointKey, resourceKey } from '../../shared/catalog/recovery-point.js';

let dynamo: LocalDynamo;
let catalog: Catalog;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await createTables(dynamo.clientConfig, { catalog: 'catalog', audit: 'audit' });
  catalog = new Catalog(new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1'), 'catalog');
});
afterAll(() => dynamo.close());

const point = (sourceId: string, createdAt: string, overrides: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
  pk: recoveryPointKey('ebs-snapshot', '111111111111', 'eu-west-1', sourceId),
  kind: 'ebs-snapshot',
  account: '111111111111',
  region: 'eu-west-1',
  sourceId,
  resourceId: 'vol-a',
  resourcePk: resourceKey('ebs-snapshot', '111111111111', 'eu-west-1', 'vol-a'),
  createdAt,
  recordedAt: createdAt,
  updatedAt: createdAt,
  state: 'pending',
  stage: 'claimed',
  sourceEncryption: 'none',
  eventId: `evt-${sourceId}`,
  tags: {},
  ...overrides,
});

async function all<T>(items: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('catalog', () => {
  it('lists points waiting for a copy slot under their destination region, every quota together, longest waiting first, and not as pending', async () => {
    const quota = 'ebs-snapshot:999999999999:eu-west-1';
    const sourceQuota = 'ebs-snapshot:111111111111:eu-west-1';
    const elsewhere = { resourceId: 'vol-w', resourcePk: resourceKey('ebs-snapshot', '111111111111', 'eu-west-1', 'vol-w') };
    const later = (await catalog.claim(point('snap-w2', '2026-01-05T00:00:00.000Z', elsewhere))).point;
    const earlier = (await catalog.claim(point('snap-w1', '2026-01-05T00:00:00.000Z', elsewhere))).point;
    const reencrypting = (await catalog.claim(point('snap-w3', '2026-01-05T00:00:00.000Z', elsewhere))).point;
    await catalog.update(later, { waitingFor: quota, updatedAt: '2026-01-05T00:02:00.000Z' });
    const waiting = await catalog.update(earlier, { waitingFor: quota, updatedAt: '2026-01-05T00:01:00.000Z' });
    await catalog.update(reencrypting, { waitingFor: sourceQuota, updatedAt: '2026-01-05T00:03:00.000Z' });

    expect((await all(catalog.waiting('eu-west-1'))).map((p) => p.sourceId)).toEqual(['snap-w1', 'snap-w2', 'snap-w3']);
    expect((await all(catalog.waiting('eu-west-1', 1))).map((p) => p.sourceId)).toEqual(['snap-w1']);
    expect(await all(catalog.waiting('eu-north-1'))).toEqual([]);
    expect((await all(catalog.byState('pending'))).map((p) => p.sourceId)).not.toContain('snap-w1');
    await catalog.update(waiting, { stage: 'copying', waitingFor: undefined });
    expect((await all(catalog.waiting('eu-west-1'))).map((p) => p.sourceId)).toEqual(['snap-w2', 'snap-w3']);
    expect((await all(catalog.byState('pending'))).map((p) => p.sourceId)).toContain('snap-w1');
  });

  it('claims an artifact once; a second claim returns the first point', async () => {
    const first = await catalog.claim(point('snap-1', '2026-01-01T00:00:00.000Z'));
    const second = await catalog.claim(point('snap-1', '2026-01-01T00:00:00.000Z', { eventId: 'evt-other' }));
    expect(first.claimed).toBe(true);
    expect(second.claimed).toBe(false);
    expect(second.point.eventId).toBe('evt-snap-1');
  });

  it('an update writes only what changed, so it never puts back what another writer changed meanwhile', async () => {
    const { point: claimed } = await catalog.claim(point('snap-u', '2026-01-01T00:00:00.000Z', { leaseUntil: '2026-01-01T00:05:00.000Z' }));
    await catalog.update(claimed, { tags: { owner: 'team-a' } });
    // `claimed` is stale now (no tags); its lease is released all the same.
    const waiting = await catalog.update(claimed, { waitingFor: 'q' });
    const leaseOnly = await catalog.update(waiting, {}, 'claimed');
    expect(leaseOnly).toMatchObject({ waitingFor: 'q', leaseUntil: undefined });
    expect(await catalog.get(claimed.pk)).toMatchObject({
      tags: { owner: 'team-a' },
      waitingFor: 'q',
      openState: 'waiting:q',
      stage: 'claimed',
    });
    expect((await catalog.get(claimed.pk))?.leaseUntil).toBeUndefined();
    await expect(catalog.update(waiting, { stage: 'done' }, 'copying')).rejects.toThrow(/conditional/i);
  });

  it('a lease written with the claim holds off other workers until it ends', async () => {
    const { point: claimed } = await catalog.claim(point('snap-l', '2026-01-01T00:00:00.000Z', { leaseUntil: '2026-01-01T00:05:00.000Z' }));
    expect(await catalog.lease(claimed, new Date('2026-01-01T00:04:59.000Z'), 60_000)).toBeUndefined();
    expect(await catalog.lease(claimed, new Date('2026-01-01T00:05:01.000Z'), 60_000)).toMatchObject({
      leaseUntil: '2026-01-01T00:06:01.000Z',
    });
  });

  it('serves by-resource newest first, by-state, by-account and latest available through the indexes', async () => {
    const a = (await catalog.claim(point('snap-2', '2026-01-02T00:00:00.000Z'))).point;
    const b = (await catalog.claim(point('snap-3', '2026-01-03T00:00:00.000Z'))).point;
    await catalog.update(a, { state: 'available', stage: 'done' });
    await catalog.update(b, { state: 'failed', stage: 'done', failureReason: 'boom' });

    const newestFirst = (await all(catalog.byResource(a.resourcePk))).map((p) => p.sourceId);
    expect(newestFirst.slice(0, 3)).toEqual(['snap-3', 'snap-2', 'snap-1']);
    expect((await all(catalog.byState('failed'))).map((p) => p.sourceId)).toContain('snap-3');
    expect((await all(catalog.byState('pending'))).map((p) => p.sourceId)).not.toContain('snap-2');
    expect((await catalog.latestAvailable(a.resourcePk))?.sourceId).toBe('snap-2');
    const january2 = await all(catalog.byAccount('111111111111', { from: '2026-01-02', to: '2026-01-03' }));
    expect(january2.map((p) => p.sourceId)).toEqual(['snap-2']);
  });

  it('gives a lease to one worker at a time and refuses a stale stage', async () => {
    const p = (await catalog.claim(point('snap-4', '2026-01-04T00:00:00.000Z'))).point;
    const now = new Date('2026-01-04T01:00:00Z');
    expect(await catalog.lease(p, now, 60_000)).toBeDefined();
    expect(await catalog.lease(p, now, 60_000)).toBeUndefined();
    expect(await catalog.lease(p, new Date(now.getTime() + 120_000), 60_000)).toBeDefined();
    await catalog.update(p, { stage: 'copying' }, 'claimed');
    await expect(catalog.update(p, { stage: 'copying' }, 'claimed')).rejects.toThrow();
  });

  describe('pruning and legal holds', () => {
    const vol = (name: string) => ({ resourceId: name, resourcePk: resourceKey('ebs-snapshot', '111111111111', 'eu-west-1', name) });
    const at = { now: '2026-03-01T00:00:00.000Z', lockCutoff: '2026-02-01T00:00:00.000Z' };
    const hold = { reason: 'litigation 2026-17', setBy: 'alice', setAt: '2026-02-15T00:00:00.000Z' };
    async function available(sourceId: string, createdAt: string, resource: string): Promise<RecoveryPoint> {
      const claimed = (await catalog.claim(point(sourceId, createdAt, vol(resource)))).point;
      return catalog.update(claimed, { state: 'available', stage: 'done' });
    }

    it('takes a pruned point out of the latest-available and by-state indexes, keeping it in the catalog', async () => {
      const p = await available('snap-p1', '2026-01-10T00:00:00.000Z', 'vol-p');
      const claimed = await catalog.claimForPruning(p, at);
      expect(claimed?.state).toBe('pruned');
      expect(await catalog.latestAvailable(p.resourcePk)).toBeUndefined();
      await catalog.markPruned(claimed!, at.now);
      expect(await catalog.get(p.pk)).toMatchObject({ state: 'pruned', prunedAt: at.now });
      expect((await catalog.get(p.pk))?.availableResourcePk).toBeUndefined();
      expect((await catalog.get(p.pk))?.openState).toBeUndefined();
      expect((await all(catalog.byResource(p.resourcePk))).map((x) => x.sourceId)).toEqual(['snap-p1']);
    });

    it('refuses to claim one younger than the lock or no longer available; a claim released puts the point back', async () => {
      // The hold records decide after a claim (the pruner may not name legalHold in a write): a released claim leaves the point as it was.
      const held = await available('snap-h1', '2026-01-10T00:00:00.000Z', 'vol-h');
      await catalog.setLegalHold(held.pk, hold);
      expect((await catalog.claimForPruning(held, at))?.state).toBe('pruned');
      await catalog.releasePruningClaim(held);
      expect(await catalog.newestAvailable(held.resourcePk, 1).next()).toMatchObject({ value: { pk: held.pk } });
      const young = await available('snap-y1', '2026-02-10T00:00:00.000Z', 'vol-y');
      expect(await catalog.claimForPruning(young, at)).toBeUndefined();
      const failed = (await catalog.claim(point('snap-f1', '2026-01-10T00:00:00.000Z', vol('vol-f')))).point;
      expect(await catalog.claimForPruning(await catalog.update(failed, { state: 'failed', stage: 'done' }), at)).toBeUndefined();
      expect((await catalog.get(held.pk))?.state).toBe('available');
      expect((await catalog.get(young.pk))?.state).toBe('available');
    });

    it('keeps a legal hold through updates made from a point read before the hold, until it is lifted', async () => {
      const p = await available('snap-h2', '2026-01-11T00:00:00.000Z', 'vol-h2');
      await catalog.setLegalHold(p.pk, hold);
      await catalog.update(p, { updatedAt: '2026-02-20T00:00:00.000Z' });
      expect((await catalog.get(p.pk))?.legalHold).toEqual(hold);
      await catalog.liftLegalHold(p.pk);
      expect((await catalog.get(p.pk))?.legalHold).toBeUndefined();
      expect(await catalog.claimForPruning(p, at)).toBeDefined();
    });

    it('refuses a hold on a pruned or unknown point, and lifting a hold that is not there', async () => {
      const p = await available('snap-h3', '2026-01-12T00:00:00.000Z', 'vol-h3');
      await expect(catalog.liftLegalHold(p.pk)).rejects.toThrow(/holds no legal hold/);
      await catalog.claimForPruning(p, at);
      await expect(catalog.setLegalHold(p.pk, hold)).rejects.toThrow(LegalHoldRefused);
      await expect(catalog.setLegalHold(p.pk, hold)).rejects.toThrow(/was pruned/);
      await expect(catalog.setLegalHold('ART#ebs-snapshot#nope', hold)).rejects.toThrow(/no recovery point/);
    });
  });
});
