import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTemplate } from '../../accounts/stack/render.js';
import { buildService } from '../../accounts/stack/service.js';
import { formatCsv } from '../../cli/audit/format-csv.js';
import { formatTable } from '../../cli/audit/format-table.js';
import { run as config } from '../../cli/config.js';
import type { OperatorDeps } from '../../cli/operator-context.js';
import { parseDrill } from '../../drill/drill-file.js';
import { auditSources } from '../../drill/drill-report.js';
import { drillAccounts } from '../../drill/drill-stacks.js';
import { LOCAL_STAGE } from '../../drill/local-hub.js';
import { runDrill } from '../../drill/run-drill.js';
import { s3Client } from '../../shared/aws/clients.js';
import { DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../../shared/config/accounts.js';
import { listCaptures } from '../../shared/config-capture/store.js';
import { type AuditReport, buildAuditReport } from '../../shared/report/audit-report.js';
import { tempDirs } from '../temp-dirs.js';

const temp = tempDirs();
afterAll(temp.remove);

const VAULT = '999999999999';
const SOURCE = '111111111111';
const RECOVERY = '444444444444';
const REGION = 'eu-west-1';

/**
 * A source's systems, backed up (a capture follows their AMIs); its admin changes three settings and
 * snapshots a database (a capture follows); then the account is lost and rebuilt elsewhere.
 */
const drill = parseDrill({
  vault: { account: VAULT, region: REGION },
  sources: [{ account: SOURCE, regions: [REGION] }],
  steps: [
    { account: SOURCE, action: 'buildSystems', instances: 2, databases: 1, clusters: 0, backup: true },
    { action: 'advance', minutes: 20 },
    {
      account: SOURCE,
      action: 'changeConfig',
      instanceTypes: { 'app-web-1': 'm6g.xlarge' },
      ingress: [{ group: 'app-web', protocol: 'tcp', port: 8443, cidr: '10.0.0.0/8' }],
      dbInstanceClasses: { 'app-orders': 'db.r6g.xlarge' },
    },
    { action: 'advance', minutes: 15 },
    { account: SOURCE, action: 'createDBSnapshot', db: 'app-orders', type: 'manual' },
    { action: 'advance', minutes: 40 },
    { action: 'disaster', account: SOURCE },
    { action: 'restore', account: SOURCE, into: RECOVERY, rebuild: true },
  ],
});

describe('a drill that changes a source configuration', () => {
  it('reports the config diff between the captures before and after the change, exactly the changes made; the rebuild takes the changed settings', async () => {
    let rebuilt: { instanceType?: string; dbInstanceClass?: string } = {};
    let lastChanges: AuditReport | undefined;
    const cli = { out: [] as string[], err: [] as string[], codes: [] as number[] };
    const exported = join(await temp.make('export-'), 'rebuild.json');
    const report = await runDrill(drill, {
      name: 'config change',
      inspect: async (hub) => {
        const until = hub.cloud.clock.now().toISOString();
        lastChanges = await buildAuditReport(
          { accounts: [SOURCE], onlyTheseAccounts: true, since: new Date(hub.startedAt).toISOString(), until },
          auditSources(hub),
        );
        // The operator's commands on the drill's captures, with the restore role as they are run.
        const deps: OperatorDeps = {
          accounts: () => hub.accounts,
          context: () => hub.restoreContext,
          print: (line) => cli.out.push(line),
          error: (line) => cli.err.push(line),
        };
        const source = ['--account', SOURCE, '--region', REGION];
        // From when the admin started (their first call) to the first capture after their last one.
        const admin = hub.cloud.calls.filter((c) => ['StopInstances', 'ModifyDBInstance'].includes(c.action));
        const [from, last] = [admin[0]!.at, admin.at(-1)!.at].map((at) => new Date(at).toISOString());
        const { config: hubConfig, aws } = hub.restoreContext;
        const vault = { account: hubConfig.vaultAccountId, region: hubConfig.vaultRegion };
        const after = (await listCaptures(s3Client(aws, vault.region), vault, SOURCE, REGION)).find((c) => c.capturedAt > last!);
        cli.codes.push(await config(['diff', ...source, '--from', from!, '--to', after!.capturedAt, '--json'], deps));
        cli.codes.push(await config(['export', ...source, '--format', 'cloudformation', '--out', exported], deps));
        rebuilt = {
          instanceType: hub.ec2.instances(RECOVERY, REGION).find((i) => i.tags.get('Name') === 'app-web-1')?.instanceType,
          dbInstanceClass: hub.rds.databases.get('instance', RECOVERY, REGION, 'app-orders')?.settings.instanceClass,
        };
      },
    });
    const [step] = report.configChanges;
    expect(report.configChanges).toHaveLength(1);
    expect(step!.to, step!.reason).toBeDefined();
    expect(step!.from!.capturedAt < step!.startedAt && step!.to!.capturedAt > step!.endedAt).toBe(true);
    // No more and no fewer: one entry per resource changed, naming exactly the fields the step changed.
    const listed = step!.changes.map((c) => [c.change, c.list, c.resource, (c.fields ?? []).map((f) => f.field)]);
    const made = step!.made.map((m) => ['changed', m.list, m.resource, [m.field]]);
    expect(listed.sort()).toEqual(made.sort());
    expect(made.map(([, list]) => list).sort()).toEqual(['dbInstances', 'instances', 'securityGroups']);
    // With the values the admin set.
    const field = (list: string, name: string) => step!.changes.find((c) => c.list === list)!.fields!.find((f) => f.field === name)!;
    expect(field('instances', 'instanceType')).toMatchObject({ before: 'm6g.large', after: 'm6g.xlarge' });
    expect(field('dbInstances', 'instanceClass')).toMatchObject({ before: 'db.r6g.large', after: 'db.r6g.xlarge' });
    expect(field('securityGroups', 'ingress').after).toContainEqual({
      protocol: 'tcp',
      fromPort: 8443,
      toPort: 8443,
      cidrs: ['10.0.0.0/8'],
      groupIds: [],
    });
    expect(report.refusedCalls).toEqual([]);
    // backup-hub config diff between the same two captures lists the same, and the export of the newest capture passes cfn-lint.
    expect(cli.codes, cli.err.join('\n')).toEqual([0, 0]);
    expect(JSON.parse(cli.out[0]!)).toEqual({ from: step!.from!.capturedAt, to: step!.to!.capturedAt, changes: step!.changes });
    if (spawnSync('cfn-lint', ['--version']).status !== 0) console.warn('cfn-lint not on PATH: the export is not linted');
    else {
      const lint = spawnSync('cfn-lint', ['--format', 'parseable', exported], { encoding: 'utf8' });
      expect(lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line))).toEqual([]);
    }
    // Each recovery point names the capture that holds its resource as of its creation.
    for (const artifact of report.artifacts)
      expect(artifact.configCapture, `${artifact.kind} ${artifact.resourceId}`).toMatchObject({
        key: expect.stringMatching(new RegExp(`^config/${SOURCE}/${REGION}/.*\\.json$`)),
        versionId: expect.any(String),
        id: artifact.kind === 'ami' ? expect.stringMatching(/^i-/) : artifact.resourceId,
      });
    // The systems' backups, taken before any capture, by the first capture after them; the snapshot after the change by the
    // newest capture as of its creation, not by the one its own event brought about.
    const orders = report.artifacts.filter((a) => a.resourceId === 'app-orders');
    const backups = report.artifacts.filter((a) => a !== orders.at(-1));
    expect(new Set(backups.map((a) => a.configCapture!.key))).toEqual(new Set([step!.from!.key]));
    const afterChange = orders.at(-1)!.configCapture!.capturedAt;
    expect(afterChange > step!.from!.capturedAt && afterChange < step!.to!.capturedAt).toBe(true);
    // The audit shows the last change per resource: the step's three, each between two captures within the diff's.
    const audited = lastChanges!.configChanges!;
    expect(audited.map((c) => [c.list, c.resource, c.change, c.fields]).sort()).toEqual(
      step!.made.map((m) => [m.list, m.resource, 'changed', [m.field]]).sort(),
    );
    for (const c of audited) expect(c.after >= step!.from!.capturedAt && c.before === step!.to!.capturedAt).toBe(true);
    expect(formatTable(lastChanges!, { source: 'drill', generatedAt: '', limit: 20 })).toMatch(
      /-- configuration: last change per resource.*\(3\)[\s\S]*dbInstances\s+app-orders\s+changed instanceClass/,
    );
    expect(formatCsv(lastChanges!, 'config-changes')).toContain(`${SOURCE},${REGION},dbInstances,app-orders,changed,instanceClass,`);
    // The rebuild after the disaster starts from the capture as of the restore: the changed settings.
    expect(rebuilt).toEqual({ instanceType: 'm6g.xlarge', dbInstanceClass: 'db.r6g.xlarge' });
  }, 300_000);

  it('reports a refused read of the captures (the restore role without its listing) instead of stopping the drill', async () => {
    const short = { ...drill, steps: drill.steps.filter((step) => step.action !== 'disaster' && step.action !== 'restore') };
    const { accounts } = drillAccounts(short, loadAccounts(DEFAULT_ACCOUNTS_DIR), { required: false });
    const report = await runDrill(short, {
      name: 'captures unreadable',
      template: (stack) =>
        withoutSid(
          renderTemplate(buildService(accounts, stack.account.name, { stage: LOCAL_STAGE, region: stack.region })),
          'ListTheConfigurationCaptures',
        ),
    });
    expect(report.configChanges[0]!.reason).toMatch(/^the captures could not be listed: .*AccessDenied/);
    expect(report.refusedCalls.map((c) => [c.principal.split('/')[1], c.call])).toContainEqual([
      'backup-hub-restore',
      's3:ListObjectVersions',
    ]);
    expect(report.artifacts.filter((a) => a.configCapture)).toEqual([]);
  }, 300_000);
});

/** A template without the IAM statements of that Sid, wherever they are. */
function withoutSid<T>(template: T, sid: string): T {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.filter((v) => (v as { Sid?: unknown } | null)?.Sid !== sid).map(strip);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]));
    return value;
  };
  return strip(template) as T;
}
