import { describe, expect, it } from 'vitest';
import { parseDrill } from '../../drill/drill-file.js';
import { runDrill } from '../../drill/run-drill.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';

/** A source's systems, backed up (a capture follows their AMIs), then its admin changes three settings and snapshots a database. */
const drill = parseDrill({
  vault: { account: VAULT, region: 'eu-west-1' },
  sources: [{ account: SOURCE, regions: ['eu-west-1'] }],
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
    { action: 'advance', minutes: 20 },
  ],
});

describe('a drill that changes a source configuration', () => {
  it('reports the config diff between the captures before and after the change: exactly the changes made', async () => {
    const report = await runDrill(drill, { name: 'config change' });
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
  }, 300_000);
});
