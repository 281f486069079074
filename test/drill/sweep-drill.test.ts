import { describe, expect, it } from 'vitest';
import { parseDrill } from '../../drill/drill-file.js';
import { DrillStepError, runDrill } from '../../drill/run-drill.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';

/** A drill file as a user writes one: what no event announces, and what nothing ever snapshots. */
const drill = parseDrill({
  vault: { account: VAULT, region: 'eu-west-1' },
  sources: [{ account: SOURCE, regions: ['eu-west-1'] }],
  steps: [
    { account: SOURCE, action: 'createSnapshot', volume: 'vol-00000000000000aa', encryption: 'aws-managed', emit: false },
    { account: SOURCE, action: 'runInstance', instance: 'i-00000000000000bb', tags: { Name: 'web' } },
    { account: SOURCE, action: 'createImage', name: 'web-golden', instance: 'i-00000000000000bb', emit: false },
    { account: SOURCE, action: 'createDBSnapshot', db: 'orders', type: 'automated', emit: false },
    { account: SOURCE, action: 'createDBClusterSnapshot', cluster: 'ledger', type: 'manual', encryption: 'cmk', emit: false },
    { account: SOURCE, action: 'putParameter', name: '/app/password', type: 'SecureString', value: 'x', emit: false },
    { account: SOURCE, action: 'createVolume', volume: 'vol-00000000000000cc', tags: { team: 'data' } },
    { account: SOURCE, action: 'createDBInstance', db: 'billing' },
    { action: 'advance', minutes: 130 },
  ],
});

describe('a drill of what no event announced', () => {
  it('ends with every silent artifact protected by the sweep, and lists what nothing protects', async () => {
    const report = await runDrill(drill, { name: 'sweep' });
    // The only events are the source's own, of the copies the hub makes there (and deregisters, for an
    // AMI, once its vault copy is done): none announces an artifact.
    for (const event of report.events)
      expect(event).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringMatching(/the hub's re-encrypted copy|^ami-\w+ deregistered in the source/),
      });
    expect(report.artifacts.map((a) => [a.kind, a.state, a.trigger])).toEqual(
      ['ebs-snapshot', 'ami', 'rds-snapshot', 'rds-cluster-snapshot', 'ssm-parameter'].map((kind) => [kind, 'available', 'sweep']),
    );
    expect(report.artifacts.find((a) => a.kind === 'ami')?.resourceId).toBe('i-00000000000000bb');
    expect(report.unprotected.map((u) => [u.kind, u.resourceId, u.tags])).toEqual(
      expect.arrayContaining([
        ['ebs-snapshot', 'vol-00000000000000cc', { team: 'data' }],
        ['rds-snapshot', 'billing', {}],
      ]),
    );
    expect(report.unprotected.map((u) => u.resourceId)).not.toContain('i-00000000000000bb');
    expect(report.totals).toMatchObject({ swept: 5, lost: 0 });
    expect(report.sweep).toEqual([expect.objectContaining({ account: SOURCE, region: 'eu-west-1', passes: expect.any(Number) })]);
    expect(report.sweep[0]!.passes).toBeGreaterThanOrEqual(2);
    expect(report.refusedCalls).toEqual([]);
  }, 120_000);

  it("ends with a vault copy lost behind the hub's back marked lost by the integrity sweep; a point with no copy is a step error", async () => {
    const losing = (id: string) =>
      parseDrill({
        vault: { account: VAULT, region: 'eu-west-1' },
        sources: [{ account: SOURCE, regions: ['eu-west-1'] }],
        steps: [
          { account: SOURCE, action: 'createSnapshot', volume: 'vol-00000000000000aa', encryption: 'none', id: 'snap-000000000000000a1' },
          { action: 'advance', minutes: 30 },
          { action: 'loseVaultCopy', artifact: `ebs-snapshot/${SOURCE}/eu-west-1/${id}` },
          { action: 'advance', minutes: 70 },
        ],
      });
    const report = await runDrill(losing('snap-000000000000000a1'), { name: 'lost' });
    expect(report.artifacts.map((a) => [a.sourceId, a.state])).toEqual([['snap-000000000000000a1', 'lost']]);
    expect(report.lost).toEqual([
      expect.objectContaining({ sourceId: 'snap-000000000000000a1', reason: expect.stringMatching(/no longer exists$/) }),
    ]);
    expect(report.totals).toMatchObject({ lost: 1 });
    const noCopy = runDrill(losing('snap-00000000000000bad'), { name: 'no copy' });
    await expect(noCopy).rejects.toThrow(DrillStepError);
    await expect(noCopy).rejects.toThrow(/has no vault copy to lose \(no such recovery point\)/);
  }, 120_000);
});
