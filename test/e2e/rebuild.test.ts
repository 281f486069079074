import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { NAMES, roleArn } from '../../accounts/stack/names.js';
import type { OperatorDeps } from '../../cli/operator-context.js';
import { run as restore } from '../../cli/restore.js';
import { buildEstate, type Estate } from '../../drill/estate.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { AwsClients, ec2Client, rdsClient, s3Client } from '../../shared/aws/clients.js';
import { captureAsOf, readCapture } from '../../shared/config-capture/store.js';
import { applyRebuild, REBUILD_TAG, type RebuildResult } from '../../shared/rebuild/apply-rebuild.js';
import { type AccountRebuild, rebuildAccount } from '../../shared/rebuild/rebuild-account.js';
import { formatRebuildPlan, planRebuild } from '../../shared/rebuild/rebuild-plan.js';
import { applyRestore } from '../../shared/restore/apply-restore.js';
import { planRestore } from '../../shared/restore/restore-plan.js';
import { restoreTarget } from '../../shared/restore/restore-target.js';
import { createHubContext } from '../../shared/runtime/create-hub-context.js';
import { deployTestHub, REGION, run, SOURCE_A, VAULT } from './hub-harness.js';

const RECOVERY = '444444444444';

let hub: LocalHub;
let estate: Estate;
let result: RebuildResult;
let rebuild: AccountRebuild;
let dryRun: string[];
const log: string[] = [];
beforeAll(async () => {
  hub = await deployTestHub({ recovery: [{ account: RECOVERY }], rds: { snapshotDurationMs: 60_000, copyDurationMs: 10 * 60_000 } });
  estate = buildEstate(hub.cloud, SOURCE_A, REGION, { instances: 2, databases: 1, clusters: 1 });
  // The source's backups: an AMI of each instance (named as the instance), a snapshot of each data volume, DB and cluster snapshots.
  for (const id of estate.instanceIds) {
    const instance = hub.ec2.instance(SOURCE_A, REGION, id)!;
    hub.ec2.images.create(SOURCE_A, REGION, { name: instance.tags.get('Name')!, instanceId: id, encryption: 'aws-managed' });
    hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: instance.volumeIds[1]! });
  }
  hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: estate.databases[0]!, type: 'manual' });
  hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: estate.clusters[0]!, type: 'manual' });
  await run(hub, 90);
  hub.loseAccount(SOURCE_A);

  const ctx = hub.restoreContext;
  const target = await restoreTarget(RECOVERY, NAMES, ctx);
  const restorePlan = await planRestore({ account: SOURCE_A, asOf: hub.cloud.clock.now() }, target, ctx);
  const wait = (ms: number) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined);
  const restored = await applyRestore(restorePlan, ctx, { wait, log: (l) => log.push(l) });
  const asOf = hub.cloud.clock.now();
  const planned = await rebuildAccount(ctx, target, { plan: restorePlan, asOf }, { wait, log: () => {} });
  dryRun = formatRebuildPlan(planned.regions[0]!.plan);
  rebuild = await rebuildAccount(ctx, target, { plan: restorePlan, asOf, result: restored }, { wait, log: (l) => log.push(l) });
  result = rebuild.regions[0]!.result!;
}, 300_000);

describe('restore --rebuild on the simulated cloud', () => {
  it('plans the rebuild in dependency order: network, DB subnet groups, instances with their volumes, databases', () => {
    const kinds = dryRun.slice(1).map((line) => line.trim().split(/\s+/)[1]);
    expect(kinds).toEqual([
      'vpc',
      'subnet',
      'subnet',
      'route-table',
      'security-group',
      'security-group',
      'db-subnet-group',
      'instance',
      'volume',
      'instance',
      'volume',
      'db-cluster',
      'db-instance',
    ]);
  });

  it('brings every captured instance to running and every database to available in the recovery account, each step timed', () => {
    expect(result.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(result.rebuilt.map((r) => [r.kind, r.name, r.status])).toEqual([
      ['instance', 'app-web-1', 'running'],
      ['instance', 'app-web-2', 'running'],
      ['db-cluster', 'app-ledger', 'available'],
      ['db-instance', 'app-orders', 'available'],
    ]);
    expect(result.rebuilt.every((r) => r.minutes > 0 && r.restoredFrom)).toBe(true);
    // The RTO to running counts from the restore's start to the last system up.
    expect(rebuild.rtoMinutes).toBe(Math.max(...result.rebuilt.map((r) => r.minutes)));
  });

  it('rebuilds with the captured settings', () => {
    const [instance] = hub.ec2.instances(RECOVERY, REGION);
    expect(instance).toMatchObject({ instanceType: 'm6g.large', keyName: 'app-ops', availabilityZone: `${REGION}a` });
    expect(instance!.volumeIds).toHaveLength(2);
    expect(hub.ec2.volume(RECOVERY, REGION, instance!.volumeIds[1]!)).toMatchObject({ sizeGiB: 50, device: '/dev/sdf' });
    const group = hub.ec2.network.securityGroup(RECOVERY, REGION, instance!.securityGroupIds[0]!);
    expect(group.groupName).toBe('app-web');
    const orders = hub.rds.databases.get('instance', RECOVERY, REGION, 'app-orders')!;
    expect(orders.settings).toMatchObject({ instanceClass: 'db.r6g.large', multiAZ: true, subnetGroup: 'app-db' });
    const db = hub.ec2.network.securityGroups.get(orders.settings.securityGroupIds[0]!)!;
    // The database group's rule names the rebuilt web group, not the lost one.
    expect(db.ingress[0]!.groupIds).toEqual([group.id]);
  });

  it('is resumable: a second run finds everything it made and makes nothing new', async () => {
    const instances = hub.ec2.instances(RECOVERY, REGION).length;
    const ctx = hub.restoreContext;
    const target = await restoreTarget(RECOVERY, NAMES, ctx);
    const vault = { account: VAULT, region: REGION, keyArn: ctx.config.vaultKeyArn };
    const s3 = s3Client(ctx.aws, REGION);
    const doc = await readCapture(s3, vault, await captureAsOf(s3, vault, SOURCE_A, REGION, hub.cloud.clock.now()));
    const plan = planRebuild(doc, await restoredAgain());
    const again = await applyRebuild(plan, doc, {
      ec2: ec2Client(ctx.aws, REGION, target.writer),
      rds: rdsClient(ctx.aws, REGION, target.writer),
      now: () => hub.cloud.clock.now(),
      wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined),
      log: () => {},
    });
    expect(again.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(hub.ec2.instances(RECOVERY, REGION)).toHaveLength(instances);
    expect(hub.ec2.instances(RECOVERY, REGION).every((i) => i.tags.has(REBUILD_TAG))).toBe(true);
  });
});

/** The restore run again: it finds its restore copies by their tags, as a resumed `restore --rebuild --apply` does. */
async function restoredAgain() {
  const ctx = hub.restoreContext;
  const target = await restoreTarget(RECOVERY, NAMES, ctx);
  const plan = await planRestore({ account: SOURCE_A, asOf: hub.cloud.clock.now() }, target, ctx);
  return (await applyRestore(plan, ctx, { wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined), log: () => {} }))
    .artifacts;
}

describe('backup-hub restore --rebuild', () => {
  it('prints the restore plan and the rebuild plan and changes nothing without --apply', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const instances = hub.ec2.instances(RECOVERY, REGION).length;
    const deps: OperatorDeps = {
      accounts: () => hub.accounts,
      context: (config) =>
        createHubContext({
          config,
          aws: new AwsClients({
            defaults: { ...hub.cloud.clientConfig(hub.cloud.roleCredentials(roleArn(VAULT, 'backup-hub-restore')), REGION) },
          }),
          now: () => hub.cloud.clock.now(),
          logger: new Logger({ logLevel: 'SILENT' }),
        }),
      print: (line) => out.push(line),
      error: (line) => err.push(line),
    };
    expect(await restore(['--to', RECOVERY, '--account', SOURCE_A, '--rebuild'], deps), err.join('\n')).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/rebuild of 111111111111 eu-west-1 as captured at .*: 13 step\(s\)/);
    expect(text).toMatch(/instance\s+launch app-web-1 \(m6g.large\) from \(restore of ami-\w+\)/);
    expect(text).toContain('dry run: nothing was changed');
    expect(hub.ec2.instances(RECOVERY, REGION)).toHaveLength(instances);
    expect(await restore(['--to', RECOVERY, '--point', 'x', '--rebuild'], deps)).toBe(2);
  });
});
