import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DrillReport } from '../../drill/drill-report.js';

const exec = promisify(execFile);
const start = (...args: string[]) => exec(process.execPath, ['--import', 'tsx', 'cli/start.ts', ...args], { cwd: process.cwd() });

describe('npm start', () => {
  it('runs a drill file and writes the report the drill contract describes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drill-'));
    const drill = {
      vault: { account: '999999999999', region: 'eu-west-1' },
      sources: [{ account: '111111111111', regions: ['eu-west-1'] }],
      steps: [
        { account: '111111111111', action: 'createSnapshot', volume: 'vol-a', encryption: 'aws-managed' },
        { account: '111111111111', action: 'createSnapshot', volume: 'vol-b', encryption: 'cmk', id: 'snap-0b0b0b0b0b0b0b0b0', emit: false },
        { action: 'fault', service: 'ec2', operation: 'CopySnapshot', error: 'RequestLimitExceeded', times: 2 },
        {
          action: 'event',
          event: {
            version: '0', id: 'announce-b', 'detail-type': 'EBS Snapshot Notification', source: 'aws.ec2', account: '111111111111',
            time: '2026-01-01T00:00:00Z', region: 'eu-west-1', resources: [],
            detail: { event: 'createSnapshot', result: 'succeeded', snapshot_id: 'arn:aws:ec2::eu-west-1:snapshot/snap-0b0b0b0b0b0b0b0b0' },
          },
        },
        { action: 'advance', minutes: 60 },
      ],
    };
    await writeFile(join(dir, 'drill.json'), JSON.stringify(drill));
    const { stdout } = await start('--drill', join(dir, 'drill.json'), '--report', join(dir, 'report.json'), '--data', join(dir, 'state'));
    expect(stdout).toMatch(/events in\s+copied/);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as DrillReport;
    expect(report.events.find((e) => e.id === 'announce-b')).toEqual({ id: 'announce-b', account: '111111111111', outcome: 'copied' });
    expect(report.artifacts).toHaveLength(2);
    for (const artifact of report.artifacts) expect(artifact, JSON.stringify(report, null, 1)).toMatchObject({ state: 'available', vaultKeyArn: report.vault.keyArn, vaultCopyId: expect.stringMatching(/^snap-/) });
    expect(report.artifacts.map((a) => a.sourceEncryption).sort()).toEqual(['aws-managed', 'customer']);
    expect(report.auditLog.intact).toBe(true);
  });

  it('explains a malformed drill file without a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drill-'));
    await writeFile(join(dir, 'drill.json'), JSON.stringify({ vault: { account: '999999999999', region: 'eu-west-1' }, sources: [{ account: '111111111111', regions: ['eu-west-1'] }], steps: [{ action: 'launchMissiles' }] }));
    const failure = await start('--drill', join(dir, 'drill.json')).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('steps[0]: unknown action "launchMissiles"');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });
});
