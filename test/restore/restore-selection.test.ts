import { describe, expect, it } from 'vitest';
import type { RecoveryPoint, RecoveryPointState } from '../../shared/catalog/recovery-point.js';
import { selectPoints } from '../../shared/restore/restore-selection.js';
import type { HubContext } from '../../shared/runtime/hub-context.js';

const ACCOUNT = '111111111111';

function point(resourceId: string, sourceId: string, createdAt: string, state: RecoveryPointState): RecoveryPoint {
  return {
    pk: `p#${sourceId}`,
    resourcePk: `r#${resourceId}`,
    kind: 'ebs-snapshot',
    account: ACCOUNT,
    region: 'eu-west-1',
    resourceId,
    sourceId,
    createdAt,
    state,
    stage: state === 'available' ? 'done' : 'copying',
    failureReason: state === 'failed' ? 'copy failed in EC2' : undefined,
  } as RecoveryPoint;
}

/** Only what selectPoints reads: the vault's regions, and byAccount, oldest first, as the catalog's index returns it. */
function contextOver(points: RecoveryPoint[]): HubContext {
  return {
    config: { vaultRegion: 'eu-west-1' },
    catalog: {
      async *byAccount(account: string, range: { to?: string }) {
        for (const p of [...points].sort((a, b) => a.createdAt.localeCompare(b.createdAt)))
          if (p.account === account && p.createdAt <= range.to!) yield p;
      },
    },
  } as unknown as HubContext;
}

describe('selectPoints for an account as of a time', () => {
  const points = [
    point('vol-web', 'snap-1', '2026-01-01T00:00:00.000Z', 'available'),
    point('vol-web', 'snap-3', '2026-01-03T00:00:00.000Z', 'failed'),
    point('vol-web', 'snap-2', '2026-01-02T00:00:00.000Z', 'available'),
    point('vol-web', 'snap-4', '2026-01-05T00:00:00.000Z', 'available'),
    point('vol-db', 'snap-5', '2026-01-01T00:00:00.000Z', 'failed'),
    point('vol-db', 'snap-6', '2026-01-02T00:00:00.000Z', 'pending'),
  ];

  it('takes each resource newest available point created by then, and names the newest point of a resource without one', async () => {
    const selection = await selectPoints({ account: ACCOUNT, asOf: new Date('2026-01-04T00:00:00.000Z') }, contextOver(points));
    expect(selection.points.map((p) => p.sourceId)).toEqual(['snap-2']);
    expect(selection.unrestorable).toEqual([
      {
        kind: 'ebs-snapshot',
        account: ACCOUNT,
        region: 'eu-west-1',
        resourceId: 'vol-db',
        reason: 'no available recovery point; the newest (snap-6) is still being copied (copying)',
      },
    ]);
  });

  it('moves with the time asked for', async () => {
    const selection = await selectPoints({ account: ACCOUNT, asOf: new Date('2026-01-06T00:00:00.000Z') }, contextOver(points));
    expect(selection.points.map((p) => p.sourceId)).toEqual(['snap-4']);
    const early = await selectPoints({ account: ACCOUNT, asOf: new Date('2026-01-01T12:00:00.000Z') }, contextOver(points));
    expect(early.points.map((p) => p.sourceId)).toEqual(['snap-1']);
    expect(early.unrestorable.map((u) => u.reason)).toEqual([
      'no available recovery point; the newest (snap-5) failed: copy failed in EC2',
    ]);
  });
});
