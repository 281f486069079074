import { describe, expect, it } from 'vitest';
import { parseDrill } from '../../drill/drill-file.js';
import { runDrill } from '../../drill/run-drill.js';

const SOURCE = '111111111111';
const RECOVERY = '444444444444';

describe('drill step restore with toRegion', () => {
  it("lands the DR copies in a region of the recovery account that is not the vault's while the vault region is down, every call allowed", async () => {
    const drill = parseDrill({
      vault: { account: '999999999999', region: 'eu-west-1', drRegion: 'eu-central-1' },
      sources: [{ account: SOURCE, regions: ['eu-west-1'] }],
      steps: [
        { account: SOURCE, action: 'createSnapshot', volume: 'vol-web', encryption: 'cmk', keyAlias: 'alias/app-data' },
        { account: SOURCE, action: 'putParameter', name: '/app/url', type: 'String', value: 'https://one' },
        { action: 'advance', minutes: 120 },
        { action: 'disaster', account: SOURCE },
        { action: 'regionOutage', region: 'eu-west-1' },
        { action: 'restore', account: SOURCE, into: RECOVERY, fromRegion: 'eu-central-1', toRegion: 'us-east-1' },
      ],
    });
    const report = await runDrill(drill, { name: 'restore-across-regions' });
    const [run] = report.restore.runs;
    expect(run).toMatchObject({ fromRegion: 'eu-central-1', toRegion: 'us-east-1', usable: 2, failed: 0, unrestorable: [] });
    // The drill's recovery account lists us-east-1, so the vault has a stack there with its restore key.
    expect(run!.artifacts.find((a) => a.kind === 'ebs-snapshot')?.restoredId).toMatch(/^snap-/);
    expect(report.refusedCalls).toEqual([]);
  });
});
