import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleArn } from '../../accounts/stack/names.js';
import { run as config } from '../../cli/config.js';
import type { OperatorDeps } from '../../cli/operator-context.js';
import { buildEstate, type Estate } from '../../drill/estate.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { AwsClients, s3Client } from '../../shared/aws/clients.js';
import { listCaptures, readCapture } from '../../shared/config-capture/store.js';
import { createHubContext } from '../../shared/runtime/create-hub-context.js';
import { tempDirs } from '../temp-dirs.js';
import { deployTestHub, imageOf, REGION, run, SOURCE_A, SOURCE_B, VAULT } from './hub-harness.js';

const RECOVERY = '444444444444';

let hub: LocalHub;
let estate: Estate;
beforeAll(async () => {
  hub = await deployTestHub({ recovery: [{ account: RECOVERY }] });
  estate = buildEstate(hub.cloud, SOURCE_A, REGION, { instances: 2, databases: 1, clusters: 1 });
}, 120_000);
afterAll(() => hub.close());
const temp = tempDirs();
afterAll(temp.remove);

const vaultFacts = () => ({ account: VAULT, region: REGION, keyArn: hub.inspector.config.vaultKeyArn });
/** The restore role reads the captures, as `backup-hub config export` does: nobody else may decrypt them. */
const store = () => s3Client(hub.restoreContext.aws, REGION);
const captures = (account: string) => listCaptures(store(), vaultFacts(), account, REGION);

describe('the deployed configuration capture', () => {
  it('captures every source region hourly through its config reader role, once a day, into the vault store', async () => {
    await run(hub, 60);
    const [first] = await captures(SOURCE_A);
    expect(first).toBeDefined();
    expect(await captures(SOURCE_B)).toHaveLength(1);
    const doc = await readCapture(store(), vaultFacts(), first!);
    expect([doc.instances.length, doc.dbInstances.length, doc.dbClusters.length, doc.trigger]).toEqual([2, 2, 1, { kind: 'schedule' }]);
    // The capture ran as the vault's capture role, through the source's config reader role, with Describe calls only.
    const calls = hub.cloud.calls.filter((c) => c.account === SOURCE_A && c.principal.includes('backup-hub-config-reader'));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => !c.action.startsWith('Describe') || c.error)).toEqual([]);
    // An hour later it is not due: the account captures once a day.
    await run(hub, 60);
    expect(await captures(SOURCE_A)).toHaveLength(1);
  }, 120_000);

  it("captures a source's region again when one of its AMIs is announced", async () => {
    const before = (await captures(SOURCE_A)).length;
    hub.ec2.network.authorizeIngress(SOURCE_A, REGION, estate.webGroupId, [
      { ipProtocol: 'tcp', fromPort: 8443, toPort: 8443, cidrIps: ['10.0.0.0/8'], groupIds: [] },
    ]);
    imageOf(hub, SOURCE_A, 'aws-managed');
    await run(hub, 20);
    const after = await captures(SOURCE_A);
    expect(after).toHaveLength(before + 1);
    const doc = await readCapture(store(), vaultFacts(), after[after.length - 1]!);
    expect(doc.trigger).toMatchObject({ kind: 'event' });
  }, 120_000);

  it('backup-hub config diff lists exactly the change made between the two captures; config export renders what cfn-lint passes', async () => {
    const { deps, out, err } = operator();
    expect(await config(['diff', '--account', SOURCE_A, '--region', REGION, '--json'], deps), err.join('\n')).toBe(0);
    const { changes } = JSON.parse(out.join('\n')) as {
      changes: { change: string; list: string; resource: string; fields: { field: string }[] }[];
    };
    expect(changes.map((c) => [c.change, c.list, c.resource, c.fields.map((f) => f.field)])).toEqual([
      ['changed', 'securityGroups', estate.webGroupId, ['ingress']],
    ]);

    const file = join(await temp.make('export-'), 'rebuild.json');
    expect(await config(['export', '--account', SOURCE_A, '--region', REGION, '--format', 'cloudformation', '--out', file], deps)).toBe(0);
    const template = JSON.parse(await readFile(file, 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::EC2::Instance')).toHaveLength(2);
    if (spawnSync('cfn-lint', ['--version']).status !== 0) return console.warn('cfn-lint not on PATH: the export is not linted');
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
    expect(lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line))).toEqual([]);
  }, 120_000);

  it('backup-hub config says what to do when there is no capture, and refuses a bad time', async () => {
    const { deps, err } = operator();
    expect(
      await config(['export', '--account', SOURCE_A, '--region', REGION, '--format', 'terraform', '--as-of', '2020-01-01T00:00:00Z'], deps),
    ).toBe(1);
    expect(err.join('\n')).toMatch(/oldest configuration capture of 111111111111 in eu-west-1 is of .*: give a later --as-of/);
    expect(await config(['diff', '--account', SOURCE_A, '--region', REGION, '--to', 'yesterday'], deps)).toBe(2);
    expect(err.join('\n')).toContain('--to yesterday is not a time');
  });
});

/** The commands as an operator runs them, with the restore role's credentials in the vault. */
function operator() {
  const out: string[] = [];
  const err: string[] = [];
  const deps: OperatorDeps = {
    accounts: () => hub.accounts,
    context: (hubConfig) =>
      createHubContext({
        config: hubConfig,
        aws: new AwsClients({
          defaults: { ...hub.cloud.clientConfig(hub.cloud.roleCredentials(roleArn(VAULT, 'backup-hub-restore')), REGION) },
        }),
        now: () => hub.cloud.clock.now(),
        logger: new Logger({ logLevel: 'SILENT' }),
      }),
    print: (line) => out.push(line),
    error: (line) => err.push(line),
  };
  return { deps, out, err };
}
