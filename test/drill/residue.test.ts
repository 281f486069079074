import { describe, expect, it } from 'vitest';
import { parseDrill } from '../../drill/drill-file.js';
import { runDrill } from '../../drill/run-drill.js';

const SOURCE = '111111111111';

/** A drill of this repository's accounts: one source snapshot shared as it is, another re-encrypted first. */
const drill = (faults: unknown[]) =>
  parseDrill({
    vault: { account: '999999999999', region: 'eu-west-1' },
    sources: [
      { account: SOURCE, regions: ['eu-west-1'] },
      { account: '222222222222', regions: ['eu-west-1', 'eu-central-1'] },
      { account: '333333333333', regions: ['eu-west-1'] },
    ],
    steps: [
      ...faults,
      { account: SOURCE, action: 'createSnapshot', volume: 'vol-plain', encryption: 'none', id: 'snap-0a0a0a0a0a0a0a0a0' },
      { account: SOURCE, action: 'createSnapshot', volume: 'vol-managed', encryption: 'aws-managed', id: 'snap-0b0b0b0b0b0b0b0b0' },
      { action: 'advance', minutes: 10 },
    ],
  });

describe('the drill report’s residue', () => {
  it('is empty after settling when every point completed', async () => {
    const report = await runDrill(drill([]), { name: 'residue-none' });
    expect(report.artifacts.map((a) => a.state)).toEqual(['available', 'available']);
    expect(report.residue).toEqual([]);
  });

  it('has nothing left of a point that failed for good: its share and its intermediate are taken back', async () => {
    // The vault may never copy: every point fails once the propagation window has passed.
    const report = await runDrill(
      drill([
        {
          action: 'fault',
          service: 'ec2',
          operation: 'CopySnapshot',
          error: 'UnauthorizedOperation',
          times: 1000,
          account: '999999999999',
        },
      ]),
      {
        name: 'residue-after-failure',
      },
    );
    expect(report.artifacts.map((a) => [a.sourceId, a.state])).toEqual([
      ['snap-0a0a0a0a0a0a0a0a0', 'failed'],
      ['snap-0b0b0b0b0b0b0b0b0', 'failed'],
    ]);
    expect(report.artifacts.every((a) => a.failureReason?.startsWith('UnauthorizedOperation: '))).toBe(true);
    expect(report.residue).toEqual([]);
  });
});
