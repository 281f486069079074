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

  it("refuses every attempt of stolen hub role credentials, on the vault's copies and on its DR copies, which AWS locks alike", async () => {
    const drill = parseDrill({
      ...base,
      vault: { ...base.vault, drRegion: 'eu-central-1' },
      steps: [
        { account: SOURCE, action: 'createSnapshot', volume: 'vol-web', encryption: 'none' },
        { account: SOURCE, action: 'createImage', name: 'web', encryption: 'cmk', keyAlias: 'alias/app-data' },
        { account: SOURCE, action: 'putParameter', name: '/app/url', type: 'String', value: 'https://one' },
        { action: 'advance', minutes: 120 },
        { action: 'attack', as: 'pruner' },
        { action: 'attack', as: 'copy-handler' },
        { action: 'attack', as: 'legal-hold' },
        { action: 'anchorAudit' },
      ],
    });
    const report = await runDrill(drill, { name: 'attack-roles' });
    expect(report.attacks.filter((a) => a.outcome !== 'refused')).toEqual([]);
    const tried = (as: string) => report.attacks.filter((a) => a.as === as).map((a) => `${a.action} ${a.target}`);
    for (const as of ['pruner', 'copy-handler', 'legal-hold']) {
      // Overwriting an audit entry, erasing a hold's record; the DR copies too (the vault lock's records: the default drill, whose vault file asks for a lock).
      expect(tried(as), as).toEqual(
        expect.arrayContaining([
          'dynamodb:PutItem backup-hub-audit entry 1',
          'dynamodb:PartiQLInsert backup-hub-audit entry 1',
          expect.stringMatching(/^dynamodb:DeleteItem backup-hub-audit HOLD#ART#/),
          expect.stringMatching(/^ec2:DeleteSnapshot snap-\w+ \(eu-central-1\)$/),
          expect.stringMatching(/^ec2:DeregisterImage ami-\w+ \(eu-central-1\)$/),
        ]),
      );
    }
    // Lifting a hold through the catalog, or by a record of its own, is refused to every role but the legal hold role, whose job it is.
    expect(tried('pruner')).toEqual(expect.arrayContaining([expect.stringMatching(/legalHold$/), expect.stringMatching(/HOLD#.* lift$/)]));
    expect(report.afterAttacks).toMatchObject({ lost: [] });
    expect(report.auditLog).toMatchObject({ intact: true, anchor: expect.objectContaining({ seq: expect.any(Number) }) });
    expect(report.refusedCalls).toEqual([]);
    const copies = report.artifacts.filter((a) => (a.kind === 'ebs-snapshot' || a.kind === 'ami') && a.state === 'available');
    expect(copies.length).toBe(2);
    for (const artifact of copies)
      expect(
        artifact.copies.map((c) => [c.region, c.state, c.lock?.mode]),
        artifact.sourceId,
      ).toEqual([
        ['eu-west-1', 'available', 'compliance'],
        ['eu-central-1', 'available', 'compliance'],
      ]);
  }, 300_000);

  it('is refused in a drill file for an unknown principal', () => {
    expect(() => parseDrill({ ...base, steps: [{ action: 'attack', as: 'intern' }] })).toThrow(DrillFileError);
  });
});
