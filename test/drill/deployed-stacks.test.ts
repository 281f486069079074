import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderTemplate } from '../../accounts/stack/render.js';
import { buildService, everyStack } from '../../accounts/stack/service.js';
import { readDrillFile } from '../../drill/drill-file.js';
import type { DrillReport } from '../../drill/drill-report.js';
import { DrillStacksError, PACKAGED_TEMPLATE } from '../../drill/drill-stacks.js';
import { KNOWN_OVER_QUOTA, LOCAL_STAGE } from '../../drill/local-hub.js';
import { runDrill } from '../../drill/run-drill.js';
import { loadAccounts } from '../../shared/config/accounts.js';
import { tempDirs } from '../temp-dirs.js';

/**
 * The drill runs what is deployed: the stacks in a folder laid out as `npm run package:all` lays
 * out `.build/` (test/template/packaging.test.ts holds the rendered templates to what serverless
 * packages), and nothing the simulator writes by hand stands in for them.
 */
const temp = tempDirs();
afterAll(temp.remove);

const accounts = loadAccounts();
const defaultDrill = await readDrillFile('drill/default-drill.json');
const totals = (report: DrillReport) => report.totals;
/** The default drill on the in-process rendering, run once for the tests that read it. */
let rendered: Promise<DrillReport> | undefined;
const renderedRun = () => {
  rendered ??= runDrill(defaultDrill, { name: 'rendered' });
  return rendered;
};

/** Every stack of the account files in `dir/<folder>/`, as packaged; `edit` may change one first. */
async function writeStacks(edit: (folder: string, template: ReturnType<typeof renderTemplate>) => void = () => {}): Promise<string> {
  const dir = await temp.make('stacks-');
  for (const stack of everyStack(accounts)) {
    const template = renderTemplate(buildService(accounts, stack.account, { stage: LOCAL_STAGE, region: stack.region }));
    edit(stack.folder, template);
    await mkdir(join(dir, stack.folder));
    await writeFile(join(dir, stack.folder, PACKAGED_TEMPLATE), JSON.stringify(template));
  }
  return dir;
}

describe('the drill on deployed stacks', () => {
  it('gives the same outcome from packaged templates (--stacks) as from the in-process rendering, with no call refused', async () => {
    const rendered = await renderedRun();
    const packaged = await runDrill(defaultDrill, { name: 'packaged', stacksDir: await writeStacks() });
    expect(totals(packaged)).toEqual(totals(rendered));
    expect(rendered.totals.copied).toBeGreaterThan(10);
    expect(rendered.refusedCalls).toEqual([]);
    expect(packaged.refusedCalls).toEqual([]);
    expect(packaged.alarms.map((a) => [a.name, a.state])).toEqual(rendered.alarms.map((a) => [a.name, a.state]));
    // The report would say which AWS quotas the stacks exceed (AWS would refuse them): none does.
    expect(new Set(packaged.quotaExceeded.map((q) => q.quota))).toEqual(new Set(KNOWN_OVER_QUOTA));
    expect(packaged.quotaExceeded).toEqual([]);
    // Two runs of the default drill, which restores twice (from each vault region) and rebuilds: a guard against a hang, not a speed target.
  }, 480_000);

  it('pages for the source the default drill stops, naming it, and for no healthy source', async () => {
    const report = await renderedRun();
    const stopped = '333333333333';
    const firing = report.alarms.filter((a) => a.state === 'ALARM');
    expect(firing.map((a) => a.name).sort()).toEqual([
      'backup-hub-rpo-breached',
      `backup-hub-source-${stopped}-no-events`,
      `backup-hub-source-${stopped}-rpo`,
    ]);
    const rpo = firing.find((a) => a.name.endsWith(`${stopped}-rpo`))!;
    expect(rpo.reason).toContain(`source ${stopped} (source-c)`);
    expect(rpo.reason).toMatch(/worst: ebs-snapshot vol-\w+ in eu-west-1/);
    expect(firing.find((a) => a.name.endsWith('-no-events'))!.reason).toContain(`no event from source ${stopped} (source-c) for 2 h`);
    expect(rpo.notifications).toBeGreaterThan(0);
    for (const healthy of ['111111111111', '222222222222'])
      expect(report.alarms.filter((a) => a.name.includes(healthy)).map((a) => a.state)).toEqual(['OK', 'OK', 'OK']);
  }, 240_000);

  it('refuses and records the calls a statement granted once it is deleted from a template, with no code change', async () => {
    const dir = await writeStacks((folder, template) => {
      if (folder !== 'vault') return;
      const policy = (template.Resources.AmiRole!.Properties!.Policies as { PolicyDocument: { Statement: { Sid: string }[] } }[])[0]!
        .PolicyDocument;
      policy.Statement = policy.Statement.filter((s) => s.Sid !== 'CopySharedImagesIntoTheVault');
    });
    // The default drill as far as its AMI, the hour its copy needs and a restore into the recovery account the
    // packaged files name: the rest does not touch the edited statement.
    const upToImage = defaultDrill.steps.findIndex((step) => step.action === 'createImage') + 1;
    const restore = defaultDrill.steps.find((step) => step.action === 'restore')!;
    const drill = {
      ...defaultDrill,
      steps: [...defaultDrill.steps.slice(0, upToImage), { action: 'advance' as const, minutes: 60 }, { ...restore, rebuild: false }],
    };
    const report = await runDrill(drill, { name: 'edited', stacksDir: dir });
    expect(report.refusedCalls.map((c) => `${c.call} by ${c.principal}`)).toContain(
      `ec2:CopyImage by arn:aws:iam::${accounts.vault.id}:role/backup-hub-ami`,
    );
    expect(report.artifacts.find((a) => a.kind === 'ami')?.state).not.toBe('available');
  }, 240_000);

  it('says which accounts differ when packaged stacks do not match the drill', async () => {
    const drill = { ...defaultDrill, sources: defaultDrill.sources.slice(0, 1) };
    await expect(runDrill(drill, { name: 'mismatch', stacksDir: await writeStacks() })).rejects.toThrow(DrillStacksError);
    await expect(runDrill(drill, { name: 'mismatch', stacksDir: await writeStacks() })).rejects.toThrow(
      /the files have 222222222222:eu-west-1,eu-central-1 333333333333:eu-west-1, which the drill does not name/,
    );
  });
});
