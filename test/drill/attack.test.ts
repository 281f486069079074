import { describe, expect, it } from 'vitest';
import { DrillFileError, parseDrill } from '../../drill/drill-file.js';
import { runDrill } from '../../drill/run-drill.js';
import { formatSummary } from '../../drill/summary.js';

const SOURCE = '111111111111';
const base = {
  vault: { account: '999999999999', region: 'eu-west-1' },
  sources: [
    { account: SOURCE, regions: ['eu-west-1'] },
    { account: '222222222222', regions: ['eu-west-1', 'eu-central-1'] },
    { account: '333333333333', regions: ['eu-west-1'] },
  ],
};

describe('drill step attack (the ransomware game day)', () => {
  it('refuses every destructive call of the vault root user and a source administrator, and the vault keeps all it held', async () => {
    const drill = parseDrill({
      ...base,
      steps: [
        { account: SOURCE, action: 'createSnapshot', volume: 'vol-web', encryption: 'none' },
        { account: SOURCE, action: 'createImage', name: 'web', encryption: 'cmk', keyAlias: 'alias/app-data' },
        { account: SOURCE, action: 'putParameter', name: '/app/url', type: 'String', value: 'https://one' },
        { action: 'advance', minutes: 60 },
        { action: 'attack', as: 'vault-admin' },
        { action: 'attack', as: 'source-admin', account: SOURCE },
      ],
    });
    const report = await runDrill(drill, { name: 'attack' });
    const byVaultAdmin = report.attacks.filter((a) => a.as === 'vault-admin');
    expect(byVaultAdmin.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'ec2:DeleteSnapshot',
        'ec2:DeregisterImage',
        'ec2:UnlockSnapshot',
        'rbin:DeleteRule',
        's3:DeleteObjectVersion',
        'kms:PutKeyPolicy',
        'kms:ScheduleKeyDeletion',
        'events:DisableRule',
      ]),
    );
    expect(report.attacks.filter((a) => a.outcome !== 'refused')).toEqual([]);
    expect(byVaultAdmin.find((a) => a.action === 'ec2:DeleteSnapshot')?.error).toMatch(/explicit deny in a service control policy/);
    expect(report.attacks.find((a) => a.action.startsWith('ssm:PutParameter'))).toMatchObject({
      as: 'source-admin',
      outcome: 'refused',
      error: expect.stringMatching(/the vault lost none of the 1 it held/),
    });
    expect(report.afterAttacks).toMatchObject({ lost: [], survived: { images: 1, recycleBinRules: 2 } });
    // The attackers' refusals are theirs, not the hub's.
    expect(report.refusedCalls).toEqual([]);
    for (const artifact of report.artifacts.filter((a) => a.kind === 'ebs-snapshot' || a.kind === 'ami'))
      expect(artifact.lock, artifact.sourceId).toMatchObject({ mode: 'compliance', until: expect.any(String) });
    expect(formatSummary(report)).toMatch(
      /-- attacks: \d+ destructive attempts, \d+ refused[\s\S]*nothing the vault held before the attacks is gone/,
    );
  }, 240_000);

  it('is refused in a drill file for an unknown principal', () => {
    expect(() => parseDrill({ ...base, steps: [{ action: 'attack', as: 'intern' }] })).toThrow(DrillFileError);
  });
});
