import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../../drill/drill-report.js';
import { tempDirs } from '../temp-dirs.js';

const exec = promisify(execFile);
const temp = tempDirs();
afterAll(temp.remove);
const start = (...args: string[]) => exec(process.execPath, ['--import', 'tsx', 'cli/start.ts', ...args], { cwd: process.cwd() });

describe('npm start', () => {
  it('runs a drill file and writes the report the drill contract describes', async () => {
    const dir = await temp.make('drill-');
    const drill = {
      vault: { account: '999999999999', region: 'eu-west-1' },
      sources: [{ account: '111111111111', regions: ['eu-west-1'] }],
      steps: [
        { account: '111111111111', action: 'createSnapshot', volume: 'vol-a', encryption: 'aws-managed' },
        {
          account: '111111111111',
          action: 'createSnapshot',
          volume: 'vol-b',
          encryption: 'cmk',
          id: 'snap-0b0b0b0b0b0b0b0b0',
          emit: false,
        },
        { action: 'fault', service: 'ec2', operation: 'CopySnapshot', error: 'RequestLimitExceeded', times: 2 },
        {
          action: 'event',
          event: {
            version: '0',
            id: 'announce-b',
            'detail-type': 'EBS Snapshot Notification',
            source: 'aws.ec2',
            account: '111111111111',
            time: '2026-01-01T00:00:00Z',
            region: 'eu-west-1',
            resources: [],
            detail: { event: 'createSnapshot', result: 'succeeded', snapshot_id: 'arn:aws:ec2::eu-west-1:snapshot/snap-0b0b0b0b0b0b0b0b0' },
          },
        },
        { action: 'advance', minutes: 60 },
        { action: 'anchorAudit' },
      ],
    };
    await writeFile(join(dir, 'drill.json'), JSON.stringify(drill));
    const { stdout } = await start('--drill', join(dir, 'drill.json'), '--report', join(dir, 'report.json'), '--data', join(dir, 'state'));
    expect(stdout).toMatch(/events in\s+copied/);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as DrillReport;
    expect(report.events.find((e) => e.id === 'announce-b')).toEqual({ id: 'announce-b', account: '111111111111', outcome: 'copied' });
    expect(report.artifacts).toHaveLength(2);
    for (const artifact of report.artifacts)
      expect(artifact, JSON.stringify(report, null, 1)).toMatchObject({
        state: 'available',
        vaultKeyArn: report.vault.keyArn,
        vaultCopyId: expect.stringMatching(/^snap-/),
      });
    expect(report.artifacts.map((a) => a.sourceEncryption).sort()).toEqual(['aws-managed', 'customer']);
    expect(report.auditLog.intact).toBe(true);
    // Verified against the newest signed anchor: it names its entry, and every entry after it.
    const { anchor, unanchored, entries } = report.auditLog;
    expect(anchor?.object).toMatch(/^s3:\/\/backup-hub-audit-anchors-999999999999-eu-west-1\/audit-anchors\//);
    expect(anchor!.seq + unanchored!.entries).toBe(entries);
  });

  it('explains a malformed drill file without a stack trace', async () => {
    const dir = await temp.make('drill-');
    await writeFile(
      join(dir, 'drill.json'),
      JSON.stringify({
        vault: { account: '999999999999', region: 'eu-west-1' },
        sources: [{ account: '111111111111', regions: ['eu-west-1'] }],
        steps: [{ action: 'launchMissiles' }],
      }),
    );
    const failure = await start('--drill', join(dir, 'drill.json')).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('steps[0]: unknown action "launchMissiles"');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });

  it('runs the default drill to its game day: the summary ends with it, the report holds the restore with RPO and RTO', async () => {
    const dir = await temp.make('drill-');
    const { stdout } = await start('--quiet', '--report', join(dir, 'report.json'));
    const gameDay = stdout.slice(stdout.indexOf('== game day'));
    expect(stdout.indexOf('== game day')).toBeGreaterThan(stdout.indexOf('-- artifacts'));
    expect(gameDay).toMatch(/-- disaster: 111111111111 lost at .*RPO per protected resource/);
    for (const region of ['eu-west-1', 'eu-central-1'])
      expect(gameDay).toMatch(
        new RegExp(
          `-- restore of 111111111111 into 444444444444 from the vault copies in ${region} \\(as of .*\\): \\d+ restored, 0 failed, 0 could not be; RPO \\d+ min \\(its oldest newest point\\), RTO \\d+ simulated minutes`,
        ),
      );
    expect(gameDay).toMatch(
      /-- rebuild of 111111111111 in 444444444444 from its captured configuration: RTO to running \d+(\.\d)? simulated minutes/,
    );
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as DrillReport;
    const { restore } = report;
    expect(restore.disasters).toEqual([{ account: '111111111111', at: expect.any(String) }]);
    expect(restore.rpo.map((r) => [r.kind, r.resourceId])).toEqual(
      expect.arrayContaining([
        ['ebs-snapshot', 'vol-0a11ce5000000web'],
        ['ami', 'web'],
        ['rds-snapshot', 'orders'],
        ['ssm-parameter', '/orders/db/password'],
      ]),
    );
    for (const r of restore.rpo)
      expect(r.minutes, r.resourceId).toBe(Math.round((Date.parse(restore.disasters[0]!.at) - Date.parse(r.newestPointAt!)) / 60_000));
    // From the vault's region, then from its DR region while the vault's region is down: every artifact usable both times.
    expect(restore.runs.map((r) => r.fromRegion)).toEqual(['eu-west-1', 'eu-central-1']);
    expect(restore.outages).toEqual([{ region: 'eu-west-1', at: expect.any(String), endedAt: expect.any(String) }]);
    const [outage] = restore.outages;
    expect(Date.parse(restore.runs[1]!.startedAt)).toBeGreaterThanOrEqual(Date.parse(outage!.at));
    expect(Date.parse(restore.runs[1]!.finishedAt)).toBeLessThanOrEqual(Date.parse(outage!.endedAt!));
    expect(gameDay).toMatch(/-- region outage: eu-west-1 down from .* until .*; every call to it failed meanwhile/);
    // What the DR restore appended in the DR replica of the audit log came back to the vault's region, the chain intact.
    expect(report.auditLog.intact).toBe(true);
    expect(report.doctor.filter((f) => !f.ok)).toEqual([]);
    for (const run of restore.runs) {
      expect(run).toMatchObject({
        account: '111111111111',
        into: '444444444444',
        asOf: restore.disasters[0]!.at,
        usable: 11,
        failed: 0,
        unrestorable: [],
      });
      expect(run.artifacts.map((a) => a.status)).toEqual(Array(11).fill('usable'));
      expect(run.rtoMinutes).toBe(Math.max(...run.artifacts.map((a) => a.minutes)));
      expect(run.rtoMinutes).toBeGreaterThan(0);
      expect(run.rpoMinutes).toBe(Math.max(...restore.rpo.map((r) => r.minutes ?? 0)));
    }
    // The first rebuilds the lost account: every captured instance running, every database available; RTO to running is the last of them.
    const [run] = restore.runs;
    expect(run!.unbuildable).toEqual([]);
    expect(run!.rebuilt!.map((r) => [r.kind, r.name, r.status])).toEqual([
      ['instance', 'app-web-1', 'running'],
      ['instance', 'app-web-2', 'running'],
      ['db-cluster', 'app-ledger', 'available'],
      ['db-instance', 'app-orders', 'available'],
      ['db-instance', 'orders', 'available'],
    ]);
    expect(run!.rtoToRunningMinutes).toBe(Math.max(...run!.rebuilt!.map((r) => r.minutes)));
    expect(run!.rtoToRunningMinutes).toBeGreaterThan(run!.rtoMinutes!);
    // Every available point of every kind has an available copy in each vault region.
    const available = report.artifacts.filter((a) => a.state === 'available');
    expect(new Set(available.map((a) => a.kind)).size).toBe(5);
    for (const a of available)
      expect(
        a.copies.map((c) => [c.region, c.state]),
        a.sourceId,
      ).toEqual([
        ['eu-west-1', 'available'],
        ['eu-central-1', 'available'],
      ]);
    // The game day (issue 16's Done when): every attempt refused, nothing the vault held gone, the audit log clean against its signed anchor.
    expect(report.attacks.length).toBeGreaterThan(100);
    expect(report.attacks.filter((a) => a.outcome !== 'refused')).toEqual([]);
    expect(new Set(report.attacks.map((a) => a.as))).toEqual(
      new Set(['vault-admin', 'source-admin', 'pruner', 'copy-handler', 'legal-hold']),
    );
    for (const as of ['vault-admin', 'pruner', 'copy-handler', 'legal-hold'])
      expect(
        report.attacks.filter((a) => a.as === as).map((a) => `${a.action} ${a.target}`),
        as,
      ).toEqual(
        expect.arrayContaining([
          'dynamodb:DeleteItem backup-hub-audit LOCK#vault 7 days',
          'dynamodb:PartiQLInsert backup-hub-audit LOCK#vault 7 days',
          'dynamodb:PartiQLInsert backup-hub-audit entry 1',
          expect.stringMatching(/^dynamodb:DeleteItem backup-hub-audit HOLD#ART#/),
          expect.stringMatching(/^ec2:DeleteSnapshot snap-\w+ \(eu-central-1\)$/),
        ]),
      );
    // The pruner may write a shorter lock record: it changes nothing, the longest is in force.
    expect(report.attacks.find((a) => a.as === 'pruner' && a.target.endsWith('(a shorter record)'))?.error).toMatch(
      /^NoEffect: .*still the longest, 7 days/,
    );
    expect(report.afterAttacks?.lost).toEqual([]);
    expect(report.auditLog).toMatchObject({ intact: true, anchor: expect.objectContaining({ seq: expect.any(Number) }) });
    // Every available EBS and AMI copy, in each vault region, carries a compliance lock AWS holds.
    const lockable = available.filter((a) => a.kind === 'ebs-snapshot' || a.kind === 'ami');
    expect(lockable.length).toBeGreaterThan(0);
    for (const a of lockable) {
      expect(a.lock, a.sourceId).toMatchObject({ mode: 'compliance', until: expect.any(String) });
      expect(
        a.copies.map((c) => c.lock?.mode),
        a.sourceId,
      ).toEqual(['compliance', 'compliance']);
    }
    // Before the disaster the admin changed three settings: config diff between the captures around it lists exactly those.
    const [change] = report.configChanges;
    expect(change!.changes.map((c) => [c.list, c.resource, c.change, c.fields!.map((f) => f.field)]).sort()).toEqual(
      change!.made.map((m) => [m.list, m.resource, 'changed', [m.field]]).sort(),
    );
    expect(change!.made).toHaveLength(3);
    expect(stdout).toMatch(
      /-- configuration change of 111111111111 eu-west-1 at .*: 3 change\(s\) made; config diff from the capture of .* to that of .*: 3 change\(s\)/,
    );
    // No parameter value in the output or the report.
    for (const text of [stdout, JSON.stringify(report)]) expect(text).not.toMatch(/drill-only-placeholder/);
  }, 240_000);
});
