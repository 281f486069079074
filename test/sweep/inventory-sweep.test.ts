import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import { type SweepOptions, sweep } from '../../shared/sweep/inventory-sweep.js';
import { countedClock } from '../../shared/sweep/pacer.js';
import { sweepSettingsFromEnv } from '../../shared/sweep/sweep-settings.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, SOURCE_B, snapshotOf } from '../e2e/hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

const SWEEP_MINUTES = 60;

/** One artifact of every kind, taken silently: no event will ever announce any of them. */
function silentEstate(hub: LocalHub, account: string, tag: string) {
  const instance = hub.ec2.runInstance(account, REGION, { encryption: 'aws-managed' });
  return {
    'ebs-snapshot': snapshotOf(hub, account, 'aws-managed', { emit: false }).id,
    ami: hub.ec2.images.create(account, REGION, { name: `golden-${tag}`, instanceId: instance.id, encryption: 'none', emit: false }).id,
    'rds-snapshot': hub.rds.createDBSnapshot(account, REGION, { db: `orders-${tag}`, type: 'automated', emit: false }).id,
    'rds-cluster-snapshot': hub.rds.createDBClusterSnapshot(account, REGION, { cluster: `ledger-${tag}`, type: 'manual', emit: false }).id,
    'ssm-parameter': `/app/${tag}/password:${hub.ssm.putParameter(account, REGION, { name: `/app/${tag}/password`, value: 'x', type: 'SecureString' }, { emit: false }).version}`,
  };
}

const byKind = (list: RecoveryPoint[]) => Object.fromEntries(list.map((p) => [p.kind, p]));

describe('the inventory sweep protects what no event announced', () => {
  it('artifacts of every kind, there before the first sweep or made after, are protected within two sweep periods, trigger sweep', async () => {
    hub = await deployTestHub();
    const before = silentEstate(hub, SOURCE_A, 'before');
    await run(hub, 20);
    const after = silentEstate(hub, SOURCE_B, 'after');
    expect(await points(hub, SOURCE_A)).toEqual([]);

    await run(hub, 2 * SWEEP_MINUTES);

    for (const [account, made] of [
      [SOURCE_A, before],
      [SOURCE_B, after],
    ] as const) {
      const all = await points(hub, account);
      // One point per artifact: an AMI's snapshot is the AMI's, not an EBS snapshot of its own.
      expect(all).toHaveLength(5);
      const protectedPoints = byKind(all);
      for (const [kind, sourceId] of Object.entries(made)) {
        expect(protectedPoints[kind], `${account} ${kind}`).toMatchObject({ sourceId, state: 'available', trigger: 'sweep' });
        expect(protectedPoints[kind]!.eventId).toMatch(/^sweep-2026-/);
      }
    }
    const swept = (await auditEntries(hub)).filter((e) => e.trigger === 'sweep');
    expect(new Set(swept.filter((e) => e.decision === 'completed').map((e) => e.sourceId))).toEqual(
      new Set([...Object.values(before), ...Object.values(after)]),
    );
    // What the vault holds is never handed on again, whatever its life (RDS and SSM points' keys carry one).
    const again = await sweep(hub.runtimes.sweep!.hubContext(), {
      settings: sweepSettingsFromEnv(hub.runtimes.sweep!.env),
      clock: () => countedClock(hub.cloud.clock.nowMs()),
      runMs: 600_000,
      dryRun: true,
      force: true,
    });
    expect(again.sources.flatMap((s) => s.protect)).toEqual([]);
  }, 120_000);
});

describe('the sweep is paced, and a pass goes on where a run stopped', () => {
  /** One run of the deployed sweep function's code, with its role, at this moment of simulated time, for `runMs`. */
  const sweepRun = (hub: LocalHub, runMs: number, extra: Partial<SweepOptions> = {}) => {
    const { env } = hub.runtimes.sweep!;
    return sweep(hub.runtimes.sweep!.hubContext(), {
      settings: sweepSettingsFromEnv(env),
      clock: () => countedClock(hub.cloud.clock.nowMs()),
      runMs,
      only: { account: SOURCE_A },
      ...extra,
    });
  };

  it('stops when its time is up, says so, and the next run lists only what is left; each call within the budget', async () => {
    hub = await deployTestHub();
    silentEstate(hub, SOURCE_A, 'estate');
    await hub.cloud.skip(30 * 60_000);
    const callsIn = () => hub.cloud.calls.filter((c) => c.account === SOURCE_A && c.service !== 'sts').length;

    const first = (await sweepRun(hub, 4_000)).sources[0]!;
    expect(first).toMatchObject({ status: 'unfinished', backfill: true, budget: 1 });
    expect(first.why).toMatch(/^the run's time is up/);
    // A burst of one, then one a second: five calls in four seconds.
    expect(first.calls).toBe(5);
    expect(callsIn()).toBe(5);

    const second = (await sweepRun(hub, 600_000)).sources[0]!;
    expect(second).toMatchObject({ status: 'finished', pass: first.pass, backfill: true });
    const onePass = first.calls + second.calls;
    expect(callsIn()).toBe(onePass);
    expect(first.protect.length + second.protect.length).toBe(5);

    // A new pass lists everything again, as many calls as the two runs together: nothing was listed twice.
    const again = (await sweepRun(hub, 600_000, { force: true, dryRun: true })).sources[0]!;
    expect(again).toMatchObject({ status: 'finished', backfill: false });
    expect(again.calls).toBe(onePass);
  }, 60_000);
});

describe('the sweep lists only the parameters the account file opts in', () => {
  it('under its paths, or tagged backup-hub:protect=true when it says tagged; another is never queued', async () => {
    hub = await deployTestHub({
      sources: [
        { account: SOURCE_A, regions: [REGION], ssmParameters: { paths: ['/app/'] } },
        { account: SOURCE_B, regions: [REGION], ssmParameters: { tagged: true } },
      ],
    });
    const put = (account: string, name: string, tags: { Key: string; Value: string }[] = []) =>
      hub.ssm.putParameter(account, REGION, { name, value: 'x', type: 'String', tags }, { emit: false });
    put(SOURCE_A, '/app/url');
    put(SOURCE_A, '/other/url');
    put(SOURCE_B, '/app/url');
    put(SOURCE_B, '/tagged/url', [{ Key: 'backup-hub:protect', Value: 'true' }]);
    await hub.cloud.skip(30 * 60_000);

    const report = await sweep(hub.runtimes.sweep!.hubContext(), {
      settings: sweepSettingsFromEnv(hub.runtimes.sweep!.env),
      clock: () => countedClock(hub.cloud.clock.nowMs()),
      runMs: 600_000,
      dryRun: true,
    });
    const parameters = (account: string) =>
      report.sources
        .filter((s) => s.account === account)
        .flatMap((s) => s.protect)
        .filter((p) => p.kind === 'ssm-parameter')
        .map((p) => p.resourceId);
    expect(parameters(SOURCE_A)).toEqual(['/app/url']);
    expect(parameters(SOURCE_B)).toEqual(['/tagged/url']);
    expect(report.sources.every((s) => s.status === 'finished')).toBe(true);
  }, 60_000);
});
