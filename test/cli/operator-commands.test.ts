import { Logger } from '@aws-lambda-powertools/logger';
import { roleArn } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as hold } from '../../cli/hold.js';
import type { OperatorDeps } from '../../cli/operator-context.js';
import { run as restore } from '../../cli/restore.js';
import { run as retire } from '../../cli/retire.js';
import { run as retry } from '../../cli/retry.js';
import { run as sweep } from '../../cli/sweep.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { parseAccounts } from '../../shared/config/accounts.js';
import type { HubConfig } from '../../shared/config/hub-config.js';
import { createHubContext } from '../../shared/runtime/create-hub-context.js';
import { countedClock } from '../../shared/sweep/pacer.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, snapshotOf, VAULT } from '../e2e/hub-harness.js';

const RECOVERY = '444444444444';
/** Account files describing the simulated hub (its ExternalId is the simulation's). */
const files = [
  {
    file: 'vault.yml',
    text: `id: "${VAULT}"\nrole: vault\nregions: [${REGION}]\nexternalId: backup-hub-local-drill\nallowedSources: ["${SOURCE_A}"]\noperators: { restore: ["arn:aws:iam::${VAULT}:role/operator"], legalHold: ["arn:aws:iam::${VAULT}:role/operator"] }\n`,
  },
  { file: 'app.yml', text: `id: "${SOURCE_A}"\nrole: source\nregions: [${REGION}]\nvault: "${VAULT}"\n` },
  { file: 'dr.yml', text: `id: "${RECOVERY}"\nrole: recovery\nregions: [${REGION}]\nvault: "${VAULT}"\n` },
];

let hub: LocalHub;
beforeAll(async () => {
  hub = await deployTestHub({ sources: [{ account: SOURCE_A, regions: [REGION] }], recovery: [{ account: RECOVERY }] });
  snapshotOf(hub, SOURCE_A, 'cmk');
  hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/token', value: 'never-printed-value', type: 'SecureString' });
  await run(hub, 60);
}, 60_000);
afterAll(() => hub.close());

/** The commands as an operator runs them, with the credentials of a role they assumed in the vault. */
function operator(role: string) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: OperatorDeps & { wait(ms: number): Promise<void>; runClock(): ReturnType<typeof countedClock> } = {
    accounts: () => parseAccounts(files),
    context: (config) =>
      createHubContext({
        config,
        aws: new AwsClients({ defaults: { ...hub.cloud.clientConfig(hub.cloud.roleCredentials(roleArn(VAULT, role)), REGION) } }),
        now: () => hub.cloud.clock.now(),
        logger: new Logger({ logLevel: 'SILENT' }),
      }),
    print: (line) => out.push(line),
    error: (line) => err.push(line),
    wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined),
    runClock: () => countedClock(hub.cloud.clock.nowMs()),
  };
  return { deps, out, err };
}

const restoreCopies = () => hub.ec2.snapshots({ account: VAULT }).filter((s) => s.tags.has('backup-hub:restore-for'));

describe('backup-hub restore', () => {
  it('prints the plan and changes nothing without --apply', async () => {
    const { deps, out } = operator('backup-hub-restore');
    expect(await restore(['--to', 'dr', '--account', SOURCE_A], deps)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(new RegExp(`restore of account ${SOURCE_A} as of .* into ${RECOVERY}`));
    expect(text).toMatch(/ec2:CopySnapshot\s+copy snap-/);
    expect(text).toMatch(/ssm:PutParameter\s+write \/app\/token there as a SecureString/);
    expect(text).toContain('dry run: nothing was changed. Add --apply to do the above.');
    expect(restoreCopies()).toEqual([]);
    expect(hub.ssm.parameter(RECOVERY, REGION, '/app/token')).toBeUndefined();
  });

  it('with --apply makes everything usable in the recovery account, logging each step with its time', async () => {
    const { deps, out } = operator('backup-hub-restore');
    expect(await restore(['--to', RECOVERY, '--account', SOURCE_A, '--apply'], deps)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/\[\+0:\d\d:\d\d\] ebs-snapshot .*: usable as snap-\w+: .* shared with 444444444444 \(\d+ min\)/);
    expect(text).toMatch(/done: 2 of 2 usable in 444444444444, 0 failed/);
    expect(text).not.toContain('never-printed-value');
    expect([...restoreCopies()[0]!.sharedWith]).toEqual([RECOVERY]);
    expect(hub.ssm.parameter(RECOVERY, REGION, '/app/token')?.latest().type).toBe('SecureString');
  });

  it('refuses a bad command line (2) and an account it cannot restore into (1), saying what to do', async () => {
    for (const argv of [
      ['--account', SOURCE_A],
      ['--to', RECOVERY],
      ['--to', RECOVERY, '--account', SOURCE_A, '--point', 'x'],
      ['--to', RECOVERY, '--account', SOURCE_A, '--as-of', 'yesterday'],
      ['--to', RECOVERY, '--account', 'app'],
      ['--bogus'],
    ]) {
      const { deps, err } = operator('backup-hub-restore');
      expect(await restore(argv, deps), argv.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(/usage: backup-hub restore/);
    }
    // The same words as backup-hub config for the same options (one parser of --account and the times).
    const said = async (argv: string[]) => {
      const { deps, err } = operator('backup-hub-restore');
      await restore(argv, deps);
      return err.join('\n');
    };
    expect(await said(['--to', RECOVERY, '--account', 'app'])).toContain('--account takes the 12-digit id of a source account');
    expect(await said(['--to', RECOVERY, '--account', SOURCE_A, '--as-of', 'yesterday'])).toContain(
      '--as-of yesterday is not a time: give ISO 8601',
    );
    const source = operator('backup-hub-restore');
    expect(await restore(['--to', 'app', '--account', SOURCE_A], source.deps)).toBe(1);
    expect(source.err.join('\n')).toContain('app is app.yml (role: source), not a recovery account');
    const unknown = operator('backup-hub-restore');
    expect(await restore(['--to', '555555555555', '--point', 'ebs-snapshot/111111111111/eu-west-1/snap-1'], unknown.deps)).toBe(1);
    expect(unknown.err.join('\n')).toMatch(/555555555555 is no recovery account .*dr 444444444444.*add <name>\.yml with role: recovery/);
  });
});

describe('backup-hub restore --from-region', () => {
  it("reads and writes the catalog and audit log in that region's replica, which a restore during an outage of the vault's region needs", async () => {
    const { deps, err } = operator('backup-hub-restore');
    const configs: HubConfig[] = [];
    const { context, accounts } = deps;
    deps.context = (config) => {
      configs.push(config);
      return context(config);
    };
    // The account files of a vault with a DR region (the hub deployed here has none).
    deps.accounts = (dir) => {
      const files = accounts(dir);
      return { ...files, vault: { ...files.vault, drRegion: 'eu-central-1' } };
    };
    await restore(['--to', RECOVERY, '--account', SOURCE_A, '--from-region', 'eu-central-1'], deps);
    await restore(['--to', RECOVERY, '--account', SOURCE_A], deps);
    // Those of the region a restore lands in: the vault's own for one from the DR copies into it.
    await restore(['--to', RECOVERY, '--account', SOURCE_A, '--from-region', 'eu-central-1', '--to-region', REGION], deps);
    // Into a region of the recovery account's own, which holds no replica: those of the region restored from.
    await restore(['--to', RECOVERY, '--account', SOURCE_A, '--from-region', 'eu-central-1', '--to-region', 'us-east-1'], deps);
    expect(configs.map((c) => c.tablesRegion)).toEqual(['eu-central-1', undefined, undefined, 'eu-central-1']);
    // A landing region that is the one restored from is refused before anything is read.
    expect(await restore(['--to', RECOVERY, '--account', SOURCE_A, '--to-region', REGION], deps)).toBe(1);
    expect(err.at(-1)).toContain(`--to-region ${REGION} is the region restored from: leave --to-region out`);
    expect(await restore(['--to', RECOVERY, '--account', SOURCE_A, '--rebuild', '--to-region', 'eu-central-1'], deps)).toBe(2);
    expect(err.at(-1)).toMatch(/^--rebuild rebuilds in the source regions from a restore that lands there: leave out --to-region/);
    expect(configs).toHaveLength(4);
  });
});

describe('backup-hub hold', () => {
  it('sets and lifts a legal hold, recording who and why, and refuses what it cannot do', async () => {
    const [point] = (await points(hub, SOURCE_A)).filter((p) => p.kind === 'ebs-snapshot');
    const ref = `ebs-snapshot/${SOURCE_A}/${REGION}/${point!.sourceId}`;
    const set = operator('backup-hub-legal-hold');
    expect(await hold([ref, '--reason', 'case 2026-17'], set.deps)).toBe(0);
    expect(set.out.join('\n')).toContain(`legal hold set on ${point!.pk}`);
    const held = await hub.context.catalog.get(point!.pk);
    expect(held?.legalHold).toMatchObject({
      reason: 'case 2026-17',
      setBy: `arn:aws:sts::${VAULT}:assumed-role/backup-hub-legal-hold/lambda`,
    });

    const lift = operator('backup-hub-legal-hold');
    expect(await hold([ref, '--lift', '--by', 'alice'], lift.deps)).toBe(0);
    expect((await hub.context.catalog.get(point!.pk))?.legalHold).toBeUndefined();
    const again = operator('backup-hub-legal-hold');
    expect(await hold([ref, '--lift'], again.deps)).toBe(1);
    expect(again.err.join('\n')).toContain('holds no legal hold');
    const entries = (await auditEntries(hub)).filter((e) => e.decision === 'held' || e.decision === 'released');
    expect(entries.map((e) => [e.decision, e.sourceId])).toEqual([
      ['held', point!.sourceId],
      ['released', point!.sourceId],
    ]);
    expect(entries[1]!.reason).toMatch(/^legal hold lifted by alice \(was: case 2026-17, set by .*backup-hub-legal-hold/);

    const usage = operator('backup-hub-legal-hold');
    expect(await hold([ref, '--reason', 'x', '--lift'], usage.deps)).toBe(2);
    expect(await hold([ref], usage.deps)).toBe(2);
  });
});

describe('backup-hub retire', () => {
  it('retires a resource and counts it again, recording who and why, and refuses what it cannot do', async () => {
    const [point] = (await points(hub, SOURCE_A)).filter((p) => p.kind === 'ebs-snapshot');
    const ref = `ebs-snapshot/${SOURCE_A}/${REGION}/${point!.resourceId}`;
    const set = operator('backup-hub-legal-hold');
    expect(await retire([ref, '--reason', 'volume decommissioned', '--by', 'bob'], set.deps)).toBe(0);
    expect(set.out).toEqual([`${ref} retired by bob: no longer counted against its RPO target; its recovery points stay`]);
    expect((await hub.context.catalog.resource(point!.resourcePk))?.retired).toMatchObject({ reason: 'volume decommissioned', by: 'bob' });

    const twice = operator('backup-hub-legal-hold');
    expect(await retire([ref, '--reason', 'again'], twice.deps)).toBe(1);
    expect(twice.err.join('\n')).toMatch(/^backup-hub retire: .* was already retired at .* by bob: volume decommissioned$/);

    const undo = operator('backup-hub-legal-hold');
    expect(await retire([ref, '--undo'], undo.deps)).toBe(0);
    expect((await hub.context.catalog.resource(point!.resourcePk))?.retired).toBeUndefined();
    expect(await retire([ref, '--undo'], undo.deps)).toBe(1);
    expect(undo.err.join('\n')).toContain('is not retired');
    const entries = (await auditEntries(hub)).filter((e) => e.decision === 'retired' || e.decision === 'unretired');
    expect(entries.map((e) => [e.decision, e.sourceId])).toEqual([
      ['retired', point!.resourceId],
      ['unretired', point!.resourceId],
    ]);

    const usage = operator('backup-hub-legal-hold');
    expect(await retire([ref, '--reason', 'x', '--undo'], usage.deps)).toBe(2);
    expect(await retire(['volume-1', '--reason', 'x'], usage.deps)).toBe(1);
    expect(usage.err.join('\n')).toContain('names no resource: write <kind>/<account>/<region>/<resource id>');
  });
});

describe('backup-hub sweep', () => {
  it('prints what it would protect with --dry-run and queues nothing; without it, the handlers protect it (trigger sweep)', async () => {
    const silent = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    await hub.cloud.skip(20 * 60_000);

    const dry = operator('backup-hub-sweep');
    expect(await sweep(['--account', 'app', '--dry-run'], dry.deps)).toBe(0);
    expect(dry.out.join('\n')).toMatch(
      new RegExp(`${SOURCE_A}/${REGION}: listed to the end[\\s\\S]*would protect 1[\\s\\S]*ebs-snapshot +${silent.id}`),
    );
    expect(dry.out.join('\n')).toContain('dry run: nothing was queued or recorded');
    expect(dry.err.join('\n')).toMatch(/ebs-snapshot 111111111111\/eu-west-1: page 1, \d+ artifacts and \d+ resources/);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot'].arn)).toBe(0);

    const wet = operator('backup-hub-sweep');
    expect(await sweep(['--account', SOURCE_A, '--region', REGION, '--quiet'], wet.deps)).toBe(0);
    expect(wet.out.join('\n')).toContain('protecting 1 (queued: the handlers copy them)');
    expect(wet.err).toEqual([]);
    await run(hub, 40);
    expect((await points(hub, SOURCE_A)).find((p) => p.sourceId === silent.id)).toMatchObject({ state: 'available', trigger: 'sweep' });
  });

  it('refuses a bad command line (2) and an account that is no source (1), saying what to do', async () => {
    for (const argv of [[], ['--account', SOURCE_A, '--region', 'us-east-1'], ['--bogus']]) {
      const { deps, err } = operator('backup-hub-sweep');
      expect(await sweep(argv, deps), argv.join(' ')).toBe(2);
      expect(err.join('\n')).toMatch(/usage: backup-hub sweep|lists regions eu-west-1; us-east-1 is not one of them/);
    }
    const dr = operator('backup-hub-sweep');
    expect(await sweep(['--account', 'dr'], dr.deps)).toBe(1);
    expect(dr.err.join('\n')).toMatch(/dr is no source account of .*\(app 111111111111\): name one of them/);
  });
});

describe('backup-hub retry', () => {
  it('reopens the failed points of an account, audited; the reconciler then copies them', async () => {
    hub.cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'UnauthorizedOperation', times: 1000, account: VAULT });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    const failedFrom = hub.cloud.clock.now().toISOString();
    await run(hub, 60);
    const failed = (await points(hub, SOURCE_A)).find((p) => p.sourceId === source.id)!;
    expect(failed).toMatchObject({ state: 'failed' });
    hub.cloud.faults.clear();

    const usage = operator('backup-hub-retry');
    expect(await retry(['--point', 'x', '--account', SOURCE_A], usage.deps)).toBe(2);
    expect(await retry(['--account', SOURCE_A, '--since', 'yesterday'], usage.deps)).toBe(2);
    expect(usage.err.join('\n')).toMatch(/usage: backup-hub retry/);

    const { deps, out } = operator('backup-hub-retry');
    expect(await retry(['--account', SOURCE_A, '--since', failedFrom, '--by', 'alice'], deps)).toBe(0);
    expect(out.join('\n')).toContain(`${failed.pk}: reopened (attempt 2); it had failed: UnauthorizedOperation: `);
    expect(out.join('\n')).toContain('1 of 1 reopened by alice');
    await run(hub, 60);
    expect(await hub.context.catalog.get(failed.pk)).toMatchObject({
      state: 'available',
      attempt: 2,
      reopened: { trigger: 'operator', by: 'alice' },
    });
    expect((await auditEntries(hub)).filter((e) => e.decision === 'reopened').map((e) => e.reason)).toEqual([
      expect.stringMatching(/^attempt 2 by operator alice; it had failed: UnauthorizedOperation/),
    ]);
    const again = operator('backup-hub-retry');
    expect(await retry(['--point', failed.pk], again.deps)).toBe(1);
    expect(again.err.join('\n')).toContain('is available, not failed');
  });
});
