import { Logger } from '@aws-lambda-powertools/logger';
import type { EventEnvelope, ParameterType } from '@backup-hub/aws-sim';
import { roleArn, rootArn } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDrill } from '../../drill/drill-file.js';
import { collectReport } from '../../drill/drill-report.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { runDrill } from '../../drill/run-drill.js';
import { resourceKey } from '../../shared/catalog/recovery-point.js';
import { SSM_TAG } from '../../shared/kinds/ssm-parameter/ssm-parameter.js';
import { vaultParameterName } from '../../shared/kinds/ssm-parameter/ssm-vault-copy.js';
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

const vaultPath = (account: string, name: string) => vaultParameterName({ account, region: REGION, resourceId: name });

/** The vault's copy of a parameter, with each version's value decrypted by the restore role (the vault key's policy lets no one else read it). */
function vaultCopy(name: string) {
  const parameter = hub.ssm.parameter(VAULT, REGION, name);
  if (!parameter) return undefined;
  const restore = { account: VAULT, arn: roleArn(VAULT, 'backup-hub-restore') };
  return { parameter, values: parameter.versions.map((v) => hub.ssm.valueOf(parameter, v, restore, true)) };
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

const vaultPuts = () =>
  hub.cloud.calls.filter((c) => c.service === 'ssm' && c.action === 'PutParameter' && c.account === VAULT && !c.error);

describe('SSM parameters reach the vault', () => {
  it.each([
    ['String', 'https://orders.internal', 'none'],
    ['StringList', 'a,b,c', 'none'],
    ['SecureString', 'hunter2', 'aws-managed'],
  ] as const)('a %s parameter becomes a SecureString under the vault CMK, its type recorded', async (type, value, encryption) => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/orders/setting', value, type, description: 'orders setting' });
    await run(hub, 10);

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({
      kind: 'ssm-parameter',
      sourceId: '/orders/setting:1',
      resourceId: '/orders/setting',
      state: 'available',
      sourceEncryption: encryption,
      vaultKeyArn: hub.config.vaultKeyArn,
    });
    expect(point!.tags).toMatchObject({
      [SSM_TAG.type]: type,
      [SSM_TAG.tier]: 'Standard',
      [SSM_TAG.description]: 'orders setting',
      [SSM_TAG.version]: '1',
    });
    const copy = vaultCopy(vaultPath(SOURCE_A, '/orders/setting'))!;
    expect(copy.values).toEqual([value]);
    expect(copy.parameter.latest()).toMatchObject({ type: 'SecureString', keyArn: hub.config.vaultKeyArn });
    expect(point!.vaultCopyId).toBe(`${vaultPath(SOURCE_A, '/orders/setting')}:1`);
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
    expect(vaultCopy(vaultPath(SOURCE_A, '/cmk/unlisted'))).toBeUndefined();
    // A listed key whose own policy refuses the reader: the read fails with KMS's answer.
    expect(byName['/cmk/locked']).toMatchObject({ state: 'failed', sourceEncryption: 'customer', sourceKeyArn: locked.arn });
    expect(byName['/cmk/locked']!.failureReason).toMatch(/cannot read \/cmk\/locked:1 with decryption: AccessDeniedException/);
    expect(vaultCopy(vaultPath(SOURCE_A, '/cmk/locked'))).toBeUndefined();
  });

  it('records a failure when the vault path would be deeper than Parameter Store allows', async () => {
    await deploy();
    const deep = `/${Array.from({ length: 13 }, (_, i) => `l${i}`).join('/')}`;
    hub.ssm.putParameter(SOURCE_A, REGION, { name: deep, value: 'v', type: 'String' });
    await run(hub, 5);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'failed' });
    expect(point!.failureReason).toMatch(
      /^HierarchyLevelLimitExceededException: the vault refused \/backup-hub\/.*: HierarchyLevelLimitExceededException/,
    );
  });

  it('makes every version a recovery point, each its own vault version', async () => {
    await deploy();
    for (const value of ['v1', 'v2', 'v3']) {
      hub.ssm.putParameter(SOURCE_A, REGION, { name: 'flag', value, type: 'String', overwrite: true });
      await run(hub, 3);
    }
    await run(hub, 5);
    const recorded = (await points(hub, SOURCE_A)).sort((a, b) => a.sourceId.localeCompare(b.sourceId));
    expect(recorded.map((p) => [p.sourceId, p.state])).toEqual([
      ['flag:1', 'available'],
      ['flag:2', 'available'],
      ['flag:3', 'available'],
    ]);
    expect(vaultCopy(vaultPath(SOURCE_A, 'flag'))!.values).toEqual(['v1', 'v2', 'v3']);
  });

  it('records a Delete as skipped, keeps the vault copies, and retires the parameter from the RPO count', async () => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/gone', value: 'kept', type: 'String' });
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
    expect(vaultCopy(vaultPath(SOURCE_A, '/gone'))!.values).toEqual(['kept']);
  });

  it('copies a labelled version that has no recovery point yet', async () => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: 'release', value: 'r1', type: 'String' }, { emit: false });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: 'release', value: 'r2', type: 'String', overwrite: true }, { emit: false });
    hub.ssm.label(SOURCE_A, REGION, 'release', 1, ['golden']);
    await run(hub, 5);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ sourceId: 'release:1', state: 'available' });
    expect(point!.tags[SSM_TAG.labels]).toBe('golden');
    expect(vaultCopy(vaultPath(SOURCE_A, 'release'))!.values).toEqual(['r1']);
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
    expect(hub.ssm.parameters(VAULT, REGION).filter((p) => p.name.startsWith('/backup-hub/'))).toEqual([]);
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
    expect(hub.ssm.parameters(VAULT, REGION).filter((p) => p.name.startsWith('/backup-hub/'))).toEqual([]);
  });

  it('writes once when the same event is delivered twice', async () => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: 'once', value: 'v', type: 'String' }, { emit: false });
    const event = ssmEvent(SOURCE_A, 'once', { id: 'twice' });
    hub.forward(event, SOURCE_A);
    hub.forward(event, SOURCE_A);
    await run(hub, 5);
    expect(vaultPuts()).toHaveLength(1);
    expect(await points(hub, SOURCE_A)).toHaveLength(1);
    expect(
      (await auditEntries(hub))
        .filter((e) => e.eventId === 'twice')
        .map((e) => e.decision)
        .sort(),
    ).toEqual(['completed', 'copied', 'skipped']);
  });

  it('finds the vault version a crashed worker wrote, instead of writing it again', async () => {
    await deploy();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: 'crash', value: 'v', type: 'String' });
    await run(hub, 5);
    // As if the worker died after PutParameter, before recording it: a stale claim without a copy id.
    const [point] = await points(hub, SOURCE_A);
    await hub.context.catalog.update(point!, {
      state: 'pending',
      stage: 'claimed',
      vaultCopyId: undefined,
      completedAt: undefined,
      updatedAt: '2020-01-01T00:00:00.000Z',
    });
    hub.forward(ssmEvent(SOURCE_A, 'crash', { id: 'resumed' }), SOURCE_A);
    await run(hub, 5);
    expect(vaultPuts()).toHaveLength(1);
    expect((await points(hub, SOURCE_A))[0]).toMatchObject({ state: 'available', vaultCopyId: `${vaultPath(SOURCE_A, 'crash')}:1` });
  });
});

describe('a parameter value never leaves the vault copy', () => {
  const SECRET = 'Tr0ub4dor&3-do-not-log';
  const forms = [SECRET, Buffer.from(SECRET).toString('base64')];

  it('is absent from every log line, catalog item, audit entry and the report of a run', async () => {
    const logger = new Logger({ serviceName: 'backup-hub', logLevel: 'DEBUG' });
    let stored = '';
    const output = await captureOutput(async () => {
      await deploy({ logger });
      for (const type of ['SecureString', 'String'] as ParameterType[])
        hub.ssm.putParameter(SOURCE_A, REGION, { name: `/app/${type}`, value: SECRET, type });
      hub.forward(ssmEvent(SOURCE_B, '/app/SecureString', { id: 'forged' }), SOURCE_B);
      // A failure path too: the vault's write is refused once, then retried.
      hub.cloud.faults.add({ service: 'ssm', operation: 'PutParameter', error: 'ThrottlingException', times: 1, account: VAULT });
      await run(hub, 15);
      stored = JSON.stringify({
        points: await points(hub, SOURCE_A),
        audit: await auditEntries(hub),
        report: await collectReport(hub, { name: 'ssm', refusedAtBus: [] }),
      });
    });
    expect(output).toContain('event handled'); // the logger did write: the capture works
    expect(JSON.parse(stored).points).toHaveLength(2);
    for (const form of forms) {
      expect(output).not.toContain(form);
      expect(stored).not.toContain(form);
    }
    expect(vaultCopy(vaultPath(SOURCE_A, '/app/SecureString'))!.values).toEqual([SECRET]);
  });

  it('is absent from a drill’s progress lines and report', async () => {
    const drill = parseDrill({
      vault: { account: VAULT, region: REGION },
      sources: [{ account: SOURCE_A, regions: [REGION] }],
      steps: [
        { account: SOURCE_A, action: 'putParameter', name: '/db/password', type: 'SecureString', value: SECRET },
        { account: SOURCE_A, action: 'putParameter', name: '/db/password', type: 'SecureString', value: `${SECRET}-2` },
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
    ]);
    for (const form of forms) for (const text of [output, report, progress.join('\n')]) expect(text).not.toContain(form);
  });
});
