import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/audit.js';
import type { AuditEntry } from '../../shared/audit/audit-entry.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { buildCli } from '../cli/built-cli.js';
import { tempDirs } from '../temp-dirs.js';

const exec = promisify(execFile);
const temp = tempDirs();
afterAll(temp.remove);
const SECRET = 'correct-horse-battery-staple-42';
const A = '111111111111';
const B = '222222222222';

/** A small drill: snapshots in two accounts, a secret parameter, a forged event and a refused copy. */
const drill = {
  vault: { account: '999999999999', region: 'eu-west-1' },
  sources: [
    { account: A, regions: ['eu-west-1'] },
    { account: B, regions: ['eu-west-1'] },
  ],
  steps: [
    { account: A, action: 'createSnapshot', volume: 'vol-a', encryption: 'aws-managed' },
    { account: A, action: 'createSnapshot', volume: 'vol-b', encryption: 'none' },
    { account: B, action: 'createSnapshot', volume: 'vol-c', encryption: 'none', id: 'snap-0c0c0c0c0c0c0c0c0', emit: false },
    { account: A, action: 'putParameter', name: '/app/db/password', type: 'SecureString', value: SECRET },
    {
      action: 'event',
      event: {
        version: '0',
        id: 'forged-1',
        'detail-type': 'EBS Snapshot Notification',
        source: 'aws.ec2',
        account: A,
        time: '2026-01-01T00:05:00Z',
        region: 'eu-west-1',
        resources: [],
        detail: { event: 'createSnapshot', result: 'succeeded', snapshot_id: 'arn:aws:ec2::eu-west-1:snapshot/snap-0c0c0c0c0c0c0c0c0' },
      },
    },
    { action: 'advance', minutes: 30 },
  ],
};

/** Runs the audit command in this process and keeps what it writes. */
async function audit(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Changes the audit log in a copy of the drill's folder, as someone with write access to the table could. */
async function tampered(change: (db: ReturnType<AwsClients['dynamo']>, entries: AuditEntry[]) => Promise<void>): Promise<string> {
  const copy = await temp.make('audit-tampered-');
  await cp(dataDir, copy, { recursive: true });
  const dynamo = await startLocalDynamo({ path: join(copy, 'dynamo') });
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');
  const { Items } = await db.send(
    new QueryCommand({ TableName: 'backup-hub-audit', KeyConditionExpression: 'chain = :c', ExpressionAttributeValues: { ':c': 'audit' } }),
  );
  await change(db, Items as AuditEntry[]);
  await dynamo.close();
  return copy;
}

let dataDir: string;
let entries: number;

beforeAll(async () => {
  const dir = await temp.make('audit-drill-');
  dataDir = join(dir, 'state');
  await writeFile(join(dir, 'drill.json'), JSON.stringify(drill));
  const { stdout } = await exec(
    process.execPath,
    ['--import', 'tsx', 'cli/start.ts', '--drill', join(dir, 'drill.json'), '--data', dataDir, '--quiet'],
    { cwd: process.cwd() },
  );
  expect(stdout).toContain(`catalog and audit log kept in ${dataDir}`);
  entries = Number(/audit log: (\d+) entries/.exec(stdout)?.[1]);
  expect(entries).toBeGreaterThanOrEqual(8);
}, 60_000);

describe('backup-hub audit --local, on the folder a drill left', () => {
  it('prints a table that says what was queried, fits 100 columns and holds the drill’s figures', async () => {
    // Through the built command, as an operator runs it.
    const cli = await buildCli();
    const { stdout, stderr } = await exec(process.execPath, [cli.bin, 'audit', '--local', dataDir], { cwd: process.cwd() }).finally(
      cli.remove,
    );
    expect(stdout).toContain(`source: local drill state ${dataDir}`);
    expect(stdout).toMatch(/as of: 2026-01-01 \d\d:\d\d UTC \(the end of the drill, simulated time\)/);
    expect(stdout).toMatch(/resources\s+3: 3 protected, 0 never copied/);
    expect(stdout).toMatch(new RegExp(`${A}\\s+3\\s+3\\s+0\\s+0\\s+0\\s+100\\.0 %`));
    expect(stdout).toMatch(/forged-1\s+not-found: snapshot snap-0c0c/);
    expect(stdout).toContain(`audit log intact: ${entries} entries`);
    for (const line of stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(stderr).toContain(`account ${A}: 3 recovery points read`);
  });

  it('writes json, every csv table and html without a secret value in any of them', async () => {
    const json = await audit('--local', dataDir, '--format', 'json', '--quiet');
    const report = JSON.parse(json.out) as { totals: Record<string, number>; rejections: { eventId: string }[] };
    expect(report.totals).toMatchObject({ resources: 3, protected: 3, rejections: 1 });
    expect(report.rejections.map((r) => r.eventId)).toEqual(['forged-1']);
    const outputs = [json.out];
    for (const table of ['resources', 'coverage', 'rpo', 'pending', 'failures', 'rejections', 'retention']) {
      const csv = await audit('--local', dataDir, '--format', 'csv', '--table', table, '--quiet');
      expect(csv.code).toBe(0);
      outputs.push(csv.out);
    }
    expect(outputs[1]).toMatch(/^account,region,kind,resource,newest_available_at,age_hours,rpo_hours,status,/);
    expect(outputs[1]).toContain(`${A},eu-west-1,ssm-parameter,/app/db/password,`);
    const out = join(await temp.make('audit-html-'), 'report.html');
    expect((await audit('--local', dataDir, '--format', 'html', '--out', out, '--quiet')).err).toContain(`written to ${out}`);
    outputs.push(await readFile(out, 'utf8'));
    for (const text of outputs) expect(text).not.toContain(SECRET);
  });

  it('filters by account and kind, and says so in the header', async () => {
    const { out } = await audit('--local', dataDir, '--account', 'source-a', '--kind', 'ssm-parameter', '--quiet');
    expect(out).toContain(`accounts: ${A}; kinds: ssm-parameter`);
    expect(out).toMatch(/resources\s+1: 1 protected/);
    expect(out).toContain('-- rejections: none');
  });

  it('verifies an intact log and finds each kind of tampering at the right entry', async () => {
    const clean = await audit('verify', '--local', dataDir);
    expect(clean).toMatchObject({ code: 0 });
    expect(clean.out).toContain(`audit log intact: ${entries} entries`);

    const edited = await tampered((db, all) =>
      db.send(new PutCommand({ TableName: 'backup-hub-audit', Item: { ...all[2]!, reason: 'nothing happened here' } })).then(() => {}),
    );
    const removed = await tampered((db) =>
      db.send(new DeleteCommand({ TableName: 'backup-hub-audit', Key: { chain: 'audit', seq: 5 } })).then(() => {}),
    );
    const reordered = await tampered(async (db, all) => {
      await db.send(new PutCommand({ TableName: 'backup-hub-audit', Item: { ...all[6]!, seq: 6 } }));
      await db.send(new PutCommand({ TableName: 'backup-hub-audit', Item: { ...all[5]!, seq: 7 } }));
    });
    const verdicts = await Promise.all([edited, removed, reordered].map((dir) => audit('verify', '--local', dir)));
    expect(verdicts.map((v) => v.code)).toEqual([1, 1, 1]);
    expect(verdicts[0]!.out).toContain('audit log BROKEN at entry #3 (edited): entry #3 does not match its hash');
    expect(verdicts[1]!.out).toContain('audit log BROKEN at entry #5 (removed): entry #5 is missing');
    expect(verdicts[2]!.out).toContain('audit log BROKEN at entry #6 (reordered): entry #6 was written as #7');
    // The report says it too, and loudly.
    const report = await audit('--local', edited, '--quiet');
    expect(report.out).toMatch(/audit log\s+BROKEN at #3 \(edited\)/);
    expect(report.err).toContain('audit log BROKEN at entry #3');
  });

  it('explains a folder that is missing, holds no drill, or is in use, without a stack trace', async () => {
    const empty = await temp.make('audit-empty-');
    const busy = await temp.make('audit-busy-');
    await cp(dataDir, busy, { recursive: true });
    const holder = await startLocalDynamo({ path: join(busy, 'dynamo') });
    const results = await Promise.all([audit('--local', join(empty, 'nope')), audit('--local', empty), audit('verify', '--local', busy)]);
    await holder.close();
    expect(results.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(results[0]!.err).toContain('does not exist: run a drill that keeps its state there first (npm start -- --data');
    expect(results[1]!.err).toContain('holds no backup-hub drill state (no backup-hub.json)');
    expect(results[2]!.err).toContain('is in use by another process (a drill still running, or an audit reading it)');
    for (const r of results) expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('refuses to let a drill clear a folder that is not a drill’s, or one in use', async () => {
    const foreign = await temp.make('audit-foreign-');
    await mkdir(join(foreign, 'photos'));
    const busy = await temp.make('audit-busy-');
    await cp(dataDir, busy, { recursive: true });
    const holder = await startLocalDynamo({ path: join(busy, 'dynamo') });
    const startIn = (dir: string) =>
      exec(process.execPath, ['--import', 'tsx', 'cli/start.ts', '--data', dir, '--quiet'], { cwd: process.cwd() }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
    const [onForeign, onBusy] = await Promise.all([startIn(foreign), startIn(busy)]);
    await holder.close();
    expect([onForeign?.code, onBusy?.code]).toEqual([1, 1]);
    expect(onForeign?.stderr).toContain(`${foreign} is not empty and holds no backup-hub drill state`);
    expect(onBusy?.stderr).toContain('The drill cannot keep its state: ');
    expect(onBusy?.stderr).toContain('is in use by another process');
    // The audit can still read what the busy folder held once it is free.
    expect((await audit('verify', '--local', busy)).code).toBe(0);
  });
});
