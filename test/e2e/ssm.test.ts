import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { EventEnvelope, ParameterType } from '@backup-hub/aws-sim';
import { roleArn, rootArn } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { ssmStoreBucket } from '../../accounts/stack/names.js';
import { parseDrill } from '../../drill/drill-file.js';
import { collectReport } from '../../drill/drill-report.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { runDrill } from '../../drill/run-drill.js';
import { resourceKey } from '../../shared/catalog/recovery-point.js';
import { SSM_TAG } from '../../shared/kinds/ssm-parameter/ssm-parameter.js';
import { captureOutput } from '../capture-output.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, SOURCE_B, VAULT } from './hub-harness.js';

let hub: LocalHub;
/** Hubs this test deployed; the drill test deploys its own, so `hub` alone cannot tell. */
const deployed: LocalHub[] = [];
afterEach(async () => {
  for (const opened of deployed.splice(0)) await opened.close();
});

async function deploy(...args: Parameters<typeof deployTestHub>): Promise<LocalHub> {
  hub = await deployTestHub(...args);
  deployed.push(hub);
  return hub;
}

const BUCKET = ssmStoreBucket(VAULT, REGION);
const restoreRole = () => ({
  account: VAULT,
  arn: roleArn(VAULT, 'backup-hub-restore'),
  role: hub.cloud.iam.role(roleArn(VAULT, 'backup-hub-restore')),
});

/** The store's objects of a source parameter, oldest version first, each value decrypted as the restore role reads it. */
function stored(account: string, name: string) {
  const prefix = `${account}/${REGION}${name.startsWith('/') ? name : `/${name}`}/`;
  const versionOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));
  const versions = hub.s3
    .bucket(BUCKET)!
    .listVersions(prefix)
    .sort((a, b) => a.lastModified - b.lastModified || versionOf(a.key) - versionOf(b.key));
  const caller = { principal: restoreRole(), region: REGION };
  return versions.map((v) => ({
    key: v.key,
    versionId: v.versionId,
    value: hub.s3.getObject(caller, BUCKET, v.key, v.versionId).body.toString(),
    version: v,
  }));
}

/** A `Parameter Store Change` as documented (Systems Manager user guide, EventBridge event examples). */
function ssmEvent(account: string, name: string, overrides: { id?: string; operation?: string; type?: string } = {}): EventEnvelope {
  return {
    version: '0',
    id: overrides.id ?? `evt-${Math.random().toString(16).slice(2, 10)}`,
    'detail-type': 'Parameter Store Change',
    source: 'aws.ssm',
    account,
    time: hub.cloud.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:ssm:${REGION}:${account}:parameter/${name.replace(/^\//, '')}`],
    detail: { operation: overrides.operation ?? 'Create', name, type: overrides.type ?? 'String' },
  };
}

/** The parameter versions written to the store (not the audit anchor's signed heads, nor the configuration capture's documents: other roles). */
const storePuts = () =>
  hub.cloud.calls.filter(
    (c) =>
      c.service === 's3' &&
      c.action === 'PutObject' &&
      !c.error &&
      !c.principal.includes('audit-anchor') &&
      !c.principal.includes('backup-hub-config-capture'),
  );
const put = (name: string, value: string, options: { emit?: boolean; type?: ParameterType } = {}) =>
  hub.ssm.putParameter(SOURCE_A, REGION, { name, value, type: options.type ?? 'String', overwrite: true }, { emit: options.emit });
const byId = async () => Object.fromEntries((await points(hub, SOURCE_A)).map((p) => [p.sourceId, p]));

describe('SSM parameters reach the vault store', () => {
  it.each([
    ['String', 'https://orders.internal', 'none'],
    ['StringList', 'a,b,c', 'none'],
    ['SecureString', 'hunter2', 'aws-managed'],
  ] as const)(
    'a %s version becomes one object in the vault store, under the vault key and locked, its type recorded',
    async (type, value, encryption) => {
      await deploy({ retention: { lockDays: 7, accounts: {} } });
      hub.ssm.putParameter(SOURCE_A, REGION, { name: '/orders/setting', value, type, description: 'orders setting' });
      await run(hub, 10);

      const [point] = await points(hub, SOURCE_A);
      const life = hub.ssm.parameter(SOURCE_A, REGION, '/orders/setting')!.versions[0]!.lastModified.toISOString();
      expect(point).toMatchObject({
        kind: 'ssm-parameter',
        sourceId: '/orders/setting:1',
        life,
        resourceId: '/orders/setting',
        state: 'available',
        sourceEncryption: encryption,
        vaultKeyArn: hub.config.vaultKeyArn,
      });
      expect(point!.pk).toBe(`ART#ssm-parameter#${SOURCE_A}#${REGION}#/orders/setting:1#${life}`);
      expect(point!.tags).toMatchObject({
        [SSM_TAG.type]: type,
        [SSM_TAG.tier]: 'Standard',
        [SSM_TAG.description]: 'orders setting',
        [SSM_TAG.version]: '1',
      });
      const [object] = stored(SOURCE_A, '/orders/setting');
      expect(object).toMatchObject({ key: `${SOURCE_A}/${REGION}/orders/setting/${life}/1`, value });
      expect(object!.version).toMatchObject({
        encryption: { algorithm: 'aws:kms', keyArn: hub.config.vaultKeyArn },
        retention: { mode: 'COMPLIANCE', until: object!.version.lastModified + 7 * 86_400_000 },
      });
      expect(point!.vaultCopyId).toBe(`s3://${BUCKET}/${object!.key}?versionId=${object!.versionId}`);
    },
  );

  it('keeps every version of a parameter that rotates past 100 versions: nothing evicts one (15.1)', async () => {
    await deploy();
    for (let burst = 0; burst < 3; burst++) {
      // 50 versions, one event: any event brings the vault up to date.
      for (let i = 1; i <= 50; i++) put('/rotating/token', `token-${burst * 50 + i}`, { emit: i === 50 });
      await run(hub, 2);
    }
    const objects = stored(SOURCE_A, '/rotating/token');
    expect(objects).toHaveLength(150);
    expect(objects.map((o) => o.value)).toEqual(Array.from({ length: 150 }, (_, i) => `token-${i + 1}`));
    const recorded = await points(hub, SOURCE_A);
    expect(recorded.filter((p) => p.state === 'available')).toHaveLength(150);
    expect(hub.ssm.parameter(SOURCE_A, REGION, '/rotating/token')!.versions[0]!.version).toBe(51); // the source itself keeps 100
  });

  it('copies three versions written within one second as three objects, whatever the events say (23.2)', async () => {
    await deploy();
    for (const value of ['v1', 'v2', 'v3']) put('flag', value);
    await run(hub, 5);
    expect(stored(SOURCE_A, 'flag').map((o) => o.value)).toEqual(['v1', 'v2', 'v3']);
    expect(Object.keys(await byId()).sort()).toEqual(['flag:1', 'flag:2', 'flag:3']);
    expect(storePuts()).toHaveLength(3); // each version written once, though three events came
    const decisions = (await auditEntries(hub)).filter((e) => e.kind === 'ssm-parameter').map((e) => e.decision);
    expect(decisions.filter((d) => d === 'completed')).toHaveLength(3);
  });

  it('keeps both lives of a parameter deleted and created again: version 1 of each is its own point and object (15.2)', async () => {
    await deploy();
    put('/app/key', 'first-life-1');
    put('/app/key', 'first-life-2');
    await run(hub, 5);
    hub.ssm.deleteParameter(SOURCE_A, REGION, '/app/key');
    await run(hub, 5);
    put('/app/key', 'second-life-1');
    await run(hub, 5);
    const recorded = await points(hub, SOURCE_A);
    expect(recorded.map((p) => [p.sourceId, p.state]).sort()).toEqual([
      ['/app/key:1', 'available'],
      ['/app/key:1', 'available'],
      ['/app/key:2', 'available'],
    ]);
    expect(new Set(recorded.map((p) => p.life)).size).toBe(2);
    expect(
      stored(SOURCE_A, '/app/key')
        .map((o) => o.value)
        .sort(),
    ).toEqual(['first-life-1', 'first-life-2', 'second-life-1']);
  });

  it('records versions pushed out of the source history before the vault saw them as missed, with the reason and an ERROR line (23.2)', async () => {
    const lines: string[] = [];
    const output = await captureOutput(async () => {
      await deploy({ logger: new Logger({ serviceName: 'backup-hub', logLevel: 'ERROR' }) });
      for (let i = 1; i <= 130; i++) put('/busy', `v${i}`, { emit: false });
      hub.forward(ssmEvent(SOURCE_A, '/busy', { id: 'late', operation: 'Update' }), SOURCE_A);
      await run(hub, 5);
    });
    lines.push(...output.split('\n').filter((l) => l.includes('"ERROR"')));
    const recorded = await byId();
    expect(Object.values(recorded).filter((p) => p.state === 'available')).toHaveLength(100);
    // Its failure lies in the artifact (gone from the source): a later event or sweep never reopens it.
    expect(recorded['/busy:1-30']).toMatchObject({
      state: 'failed',
      failureAboutArtifact: true,
      failureReason: expect.stringMatching(
        /^missed: versions 1–30 of \/busy \(life .*\) left the source's history .* keeps the newest 100/,
      ),
    });
    expect(stored(SOURCE_A, '/busy').map((o) => o.value)[0]).toBe('v31');
    expect(lines.some((l) => l.includes('copy missed') && l.includes('/busy:1-30'))).toBe(true);
    // The next event finds nothing new and records nothing twice.
    hub.forward(ssmEvent(SOURCE_A, '/busy', { id: 'again', operation: 'Update' }), SOURCE_A);
    await run(hub, 5);
    expect(Object.keys(await byId())).toHaveLength(101);
  });

  it('records versions a deletion took before the vault read them as missed', async () => {
    await deploy();
    put('/short-lived', 'kept');
    await run(hub, 5);
    hub.cloud.clock.advance(1500);
    put('/short-lived', 'gone-before-read'); // its event arrives a second or two later, after the deletion
    hub.ssm.deleteParameter(SOURCE_A, REGION, '/short-lived');
    await run(hub, 5);
    const recorded = await byId();
    expect(recorded['/short-lived:1']).toMatchObject({ state: 'available' });
    expect(recorded['/short-lived:2-']).toMatchObject({
      state: 'failed',
      failureReason: expect.stringMatching(
        /^missed: \/short-lived \(life .*\) was deleted before the vault read the version written at about .*: versions from 2 on are gone/,
      ),
    });
  });

  it('reads a SecureString under a customer key the reader may use, and records a failure for one it may not', async () => {
    await deploy({
      sources: [{ account: SOURCE_A, regions: [REGION], customerKeyAliases: ['alias/app-secrets', 'alias/locked'] }],
    });
    const usable = hub.kms.createKey(SOURCE_A, REGION, { alias: 'app-secrets' });
    const unlisted = hub.kms.createKey(SOURCE_A, REGION, { alias: 'team-secrets' });
    const locked = hub.kms.createKey(SOURCE_A, REGION, {
      alias: 'locked',
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: rootArn(SOURCE_A) },
            Action: ['kms:Encrypt', 'kms:DescribeKey', 'kms:PutKeyPolicy'],
            Resource: '*',
          },
        ],
      },
    });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/cmk/usable', value: 'u', type: 'SecureString', keyId: 'alias/app-secrets' });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/cmk/unlisted', value: 'n', type: 'SecureString', keyId: 'alias/team-secrets' });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/cmk/locked', value: 'l', type: 'SecureString', keyId: 'alias/locked' });
    await run(hub, 10);
    const byName = Object.fromEntries((await points(hub, SOURCE_A)).map((p) => [p.resourceId, p]));
    expect(byName['/cmk/usable']).toMatchObject({ state: 'available', sourceEncryption: 'customer', sourceKeyArn: usable.arn });
    // A key the account file does not list: the failure names the alias to add, before any read.
    const audit = (await auditEntries(hub)).map((e) => JSON.stringify(e));
    expect(audit.some((e) => e.includes(unlisted.arn) && e.includes('add alias alias/team-secrets to customerKeyAliases'))).toBe(true);
    expect(stored(SOURCE_A, '/cmk/unlisted')).toEqual([]);
    // A listed key whose own policy refuses the reader: the read fails with KMS's answer.
    expect(byName['/cmk/locked']).toMatchObject({ state: 'failed', sourceEncryption: 'customer', sourceKeyArn: locked.arn });
    expect(byName['/cmk/locked']!.failureReason).toMatch(/cannot read \/cmk\/locked:1 with decryption: AccessDeniedException/);
    expect(stored(SOURCE_A, '/cmk/locked')).toEqual([]);
  });

  it('records a Delete as skipped, keeps the stored versions, and retires the parameter from the RPO count', async () => {
    await deploy();
    put('/gone', 'kept');
    await run(hub, 5);
    const resourcePk = resourceKey('ssm-parameter', SOURCE_A, REGION, '/gone');
    expect(await hub.context.catalog.resource(resourcePk)).toMatchObject({ protectedAccount: SOURCE_A, newestSourceId: '/gone:1' });
    hub.ssm.deleteParameter(SOURCE_A, REGION, '/gone');
    await run(hub, 5);
    const deleted = (await auditEntries(hub)).filter((e) => e.decision === 'skipped');
    expect(deleted.map((e) => e.reason)).toEqual([
      'parameter /gone deleted in the source; vault copies kept; retired: no longer counted against its RPO target',
    ]);
    const retired = await hub.context.catalog.resource(resourcePk);
    expect(retired?.retired?.reason).toMatch(/^deleted in the source/);
    expect(retired?.protectedAccount).toBeUndefined();
    expect(stored(SOURCE_A, '/gone').map((o) => o.value)).toEqual(['kept']);
  });

  it('copies every version it lacks on a label change, the labels recorded', async () => {
    await deploy();
    put('release', 'r1', { emit: false });
    put('release', 'r2', { emit: false });
    hub.ssm.label(SOURCE_A, REGION, 'release', 1, ['golden']);
    await run(hub, 5);
    const recorded = await byId();
    expect([recorded['release:1']?.state, recorded['release:2']?.state]).toEqual(['available', 'available']);
    expect(recorded['release:1']!.tags[SSM_TAG.labels]).toBe('golden');
    expect(stored(SOURCE_A, 'release').map((o) => o.value)).toEqual(['r1', 'r2']);
  });
});

describe('SSM events are never trusted', () => {
  it('rejects an event naming a parameter the sender does not have', async () => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/a/secret', value: 'theirs', type: 'SecureString' }, { emit: false });
    hub.forward(ssmEvent(SOURCE_B, '/a/secret', { id: 'forged-name' }), SOURCE_B);
    await run(hub, 30);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'forged-name' && e.decision !== 'deferred');
    expect(entry).toMatchObject({ decision: 'rejected', account: SOURCE_B });
    expect(entry!.reason).toMatch(/^not-found: parameter \/a\/secret does not exist in 222222222222/);
    expect(hub.s3.bucket(BUCKET)!.listVersions()).toEqual([]);
  });

  it('rejects an event naming another account’s parameter by ARN (forged ownership)', async () => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/a/secret', value: 'theirs', type: 'SecureString' }, { emit: false });
    const arn = `arn:aws:ssm:${REGION}:${SOURCE_A}:parameter/a/secret`;
    hub.forward(ssmEvent(SOURCE_B, arn, { id: 'forged-arn' }), SOURCE_B);
    await run(hub, 5);
    const entry = (await auditEntries(hub)).find((e) => e.eventId === 'forged-arn');
    expect(entry?.decision).toBe('rejected');
    expect(entry?.reason).toBe(`forged-ownership: parameter ${arn} belongs to ${SOURCE_A}, not to ${SOURCE_B} that announced it`);
    expect(hub.s3.bucket(BUCKET)!.listVersions()).toEqual([]);
  });

  it('rejects a name Parameter Store could not hold as malformed, without a call to the source (15.7)', async () => {
    await deploy();
    const tooLong = `/${'n'.repeat(1011 - `arn:aws:ssm:${REGION}:${SOURCE_A}:parameter/`.length + 1)}`;
    for (const [id, name] of [
      ['path-without-slash', 'app/db'],
      ['reserved-prefix', '/aws/thing'],
      ['too-long', tooLong],
    ] as const)
      hub.forward(ssmEvent(SOURCE_A, name, { id }), SOURCE_A);
    await run(hub, 5);
    const entries = (await auditEntries(hub)).filter(
      (e) => e.eventId && ['path-without-slash', 'reserved-prefix', 'too-long'].includes(e.eventId),
    );
    expect(entries.map((e) => [e.eventId, e.decision]).sort()).toEqual([
      ['path-without-slash', 'rejected'],
      ['reserved-prefix', 'rejected'],
      ['too-long', 'rejected'],
    ]);
    expect(entries.find((e) => e.eventId === 'too-long')!.reason).toMatch(
      /^malformed-event: .* is longer than Parameter Store allows \(1012 characters with the ARN prefix, at most 1011\)/,
    );
    expect(hub.cloud.calls.filter((c) => c.service === 'ssm' && c.account === SOURCE_A)).toEqual([]);
  });

  it('stores the longest name Parameter Store allows (the key fits S3)', async () => {
    await deploy();
    const longest = `/${'n'.repeat(1011 - `arn:aws:ssm:${REGION}:${SOURCE_A}:parameter/`.length)}`;
    put(longest, 'v');
    await run(hub, 5);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available' });
    expect(Buffer.byteLength(stored(SOURCE_A, longest)[0]!.key)).toBeLessThanOrEqual(1024);
  });

  it('writes once when the same event is delivered twice', async () => {
    await deploy();
    put('once', 'v', { emit: false });
    const event = ssmEvent(SOURCE_A, 'once', { id: 'twice' });
    hub.forward(event, SOURCE_A);
    hub.forward(event, SOURCE_A);
    await run(hub, 5);
    expect(storePuts()).toHaveLength(1);
    expect(await points(hub, SOURCE_A)).toHaveLength(1);
    expect(
      (await auditEntries(hub))
        .filter((e) => e.eventId === 'twice')
        .map((e) => e.decision)
        .sort(),
    ).toEqual(['completed', 'copied', 'skipped']);
  });

  it('lets the SSM handler write a version only as a new object under the vault key: never over one, never under another key', async () => {
    await deploy();
    put('guarded', 'v');
    await run(hub, 5);
    const { key } = stored(SOURCE_A, 'guarded')[0]!;
    const s3 = new S3Client(hub.cloud.clientConfig(hub.cloud.roleCredentials(roleArn(VAULT, 'backup-hub-ssm-parameter')), REGION));
    const write = (Key: string, extra: { IfNoneMatch?: string; SSEKMSKeyId?: string }) =>
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'forged', ServerSideEncryption: 'aws:kms', ...extra })).then(
        () => 'written',
        (error: Error) => error.name,
      );
    const otherKey = hub.kms.createKey(VAULT, REGION).arn;
    expect(await write(key, { SSEKMSKeyId: hub.config.vaultKeyArn })).toBe('AccessDenied'); // an overwrite: no If-None-Match
    expect(await write(`${key}-new`, { IfNoneMatch: '*', SSEKMSKeyId: otherKey })).toBe('AccessDenied');
    expect(await write(`${key}-new`, { IfNoneMatch: '*' })).toBe('AccessDenied'); // the bucket default names no key in the request
    expect(await write(`${key}-new`, { IfNoneMatch: '*', SSEKMSKeyId: hub.config.vaultKeyArn })).toBe('written');
    expect(stored(SOURCE_A, 'guarded')[0]!.value).toBe('v');
  });

  it('writes the version a worker that crashed before its write left claimed: the missing key is looked for, not refused', async () => {
    await deploy();
    put('early-crash', 'v');
    await run(hub, 5);
    const [point] = await points(hub, SOURCE_A);
    const { key, versionId } = stored(SOURCE_A, 'early-crash')[0]!;
    // As if the worker died before PutObject: nothing in the store, a stale claim.
    hub.s3.bucket(BUCKET)!.remove(key, versionId);
    await hub.context.catalog.update(point!, {
      state: 'pending',
      stage: 'claimed',
      vaultCopyId: undefined,
      completedAt: undefined,
      updatedAt: '2020-01-01T00:00:00.000Z',
    });
    await run(hub, 180); // the reconciler takes over the stale claim
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available' });
    expect(stored(SOURCE_A, 'early-crash').map((v) => v.value)).toEqual(['v']);
  });

  it('finds the stored version a crashed worker wrote, instead of writing it again', async () => {
    await deploy();
    put('crash', 'v');
    await run(hub, 5);
    // As if the worker died after PutObject, before recording it: a stale claim without a copy id.
    const [point] = await points(hub, SOURCE_A);
    const copyId = point!.vaultCopyId;
    await hub.context.catalog.update(point!, {
      state: 'pending',
      stage: 'claimed',
      vaultCopyId: undefined,
      completedAt: undefined,
      updatedAt: '2020-01-01T00:00:00.000Z',
    });
    hub.forward(ssmEvent(SOURCE_A, 'crash', { id: 'resumed' }), SOURCE_A);
    await run(hub, 180); // the reconciler takes over the stale claim
    expect(storePuts()).toHaveLength(1);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available', vaultCopyId: copyId });
  });
});

describe('a parameter value never leaves the vault copy', () => {
  const SECRET = 'Tr0ub4dor&3-do-not-log';
  const forms = [SECRET, Buffer.from(SECRET).toString('base64')];

  it('is absent from every log line, catalog item, audit entry and the report of a run', async () => {
    const logger = new Logger({ serviceName: 'backup-hub', logLevel: 'DEBUG' });
    let stored_ = '';
    const output = await captureOutput(async () => {
      await deploy({ logger });
      for (const type of ['SecureString', 'String'] as ParameterType[])
        hub.ssm.putParameter(SOURCE_A, REGION, { name: `/app/${type}`, value: SECRET, type });
      hub.forward(ssmEvent(SOURCE_B, '/app/SecureString', { id: 'forged' }), SOURCE_B);
      // A failure path too: the vault's write is refused once, then retried.
      hub.cloud.faults.add({ service: 's3', operation: 'PutObject', error: 'SlowDown', times: 1, account: VAULT });
      await run(hub, 15);
      stored_ = JSON.stringify({
        points: await points(hub, SOURCE_A),
        audit: await auditEntries(hub),
        report: await collectReport(hub, { name: 'ssm', refusedAtBus: [] }),
      });
    });
    expect(output).toContain('event handled'); // the logger did write: the capture works
    expect(JSON.parse(stored_).points).toHaveLength(2);
    for (const form of forms) {
      expect(output).not.toContain(form);
      expect(stored_).not.toContain(form);
    }
    expect(stored(SOURCE_A, '/app/SecureString').map((o) => o.value)).toEqual([SECRET]);
  });

  it('is absent from a drill’s progress lines and report', async () => {
    const drill = parseDrill({
      vault: { account: VAULT, region: REGION },
      sources: [{ account: SOURCE_A, regions: [REGION] }],
      steps: [
        { account: SOURCE_A, action: 'putParameter', name: '/db/password', type: 'SecureString', value: SECRET },
        { account: SOURCE_A, action: 'putParameter', name: '/db/password', type: 'SecureString', values: [`${SECRET}-2`, `${SECRET}-3`] },
        { account: SOURCE_A, action: 'deleteParameter', name: '/db/password' },
      ],
    });
    const progress: string[] = [];
    let report = '';
    const output = await captureOutput(async () => {
      report = JSON.stringify(await runDrill(drill, { name: 'ssm', progress: (line) => progress.push(line) }));
    });
    expect(JSON.parse(report).artifacts.map((a: { sourceId: string; state: string }) => [a.sourceId, a.state])).toEqual([
      ['/db/password:1', 'available'],
      ['/db/password:2', 'available'],
      ['/db/password:3', 'available'],
    ]);
    expect(progress.some((line) => /putParameter .* \/db\/password \(SecureString\) → versions 2–3 within one second/.test(line))).toBe(
      true,
    );
    for (const form of forms) for (const text of [output, report, progress.join('\n')]) expect(text).not.toContain(form);
  });
});
