import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCsv } from '../../cli/audit/format-csv.js';
import { formatTable } from '../../cli/audit/format-table.js';
import { auditSources, collectReport } from '../../drill/drill-report.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { REGION_COPY_RETRY_MS } from '../../shared/pipeline/region-copy.js';
import { buildAuditReport } from '../../shared/report/audit-report.js';
import { captureOutput } from '../capture-output.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, snapshotOf, VAULT } from '../e2e/hub-harness.js';

const DR_REGION = 'eu-central-1';

let hub: LocalHub;
afterEach(() => hub?.close());

const auditOf = (hub: LocalHub) =>
  buildAuditReport(
    {
      accounts: [SOURCE_A],
      onlyTheseAccounts: true,
      since: new Date(hub.startedAt).toISOString(),
      until: hub.cloud.clock.now().toISOString(),
    },
    auditSources(hub),
  );

/** One vault copy of every kind, each of a different resource. */
async function protectEveryKind(hub: LocalHub) {
  const instance = hub.ec2.runInstance(SOURCE_A, REGION, { encryption: 'none' });
  snapshotOf(hub, SOURCE_A, 'none');
  hub.ec2.images.create(SOURCE_A, REGION, { name: 'web', instanceId: instance.id, encryption: 'none' });
  hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'manual', encryption: 'cmk' });
  hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type: 'manual', encryption: 'cmk' });
  hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/token', value: 'x', type: 'SecureString' });
  // Aurora announces no finished copy: the reconciler, every 15 minutes, completes the cluster snapshot's.
  await run(hub, 65);
}

describe('the integrity sweep finds vault copies that vanished', () => {
  it('marks each lost, audits and alarms it, and the audit counts it as no protection and lists it', async () => {
    let output = '';
    output = await captureOutput(async () => {
      hub = await deployTestHub({
        logger: new Logger({ serviceName: 'backup-hub', logLevel: 'INFO' }),
        rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 },
      });
      await protectEveryKind(hub);
      const available = await points(hub, SOURCE_A);
      expect(available.map((p) => p.state)).toEqual(Array(5).fill('available'));

      // Behind the hub's back (a hand deletion, a compromised administrator): every copy goes.
      for (const point of available) hub.loseVaultCopy(point);
      await run(hub, 70);
    });

    const lost = await points(hub, SOURCE_A);
    expect(lost.map((p) => [p.kind, p.state])).toEqual(lost.map((p) => [p.kind, 'lost']));
    expect(lost.find((p) => p.kind === 'ami')!.lost!.reason).toMatch(/^vault copy ami-\w+ (no longer exists|is deregistered)/);
    // The RPO check (protected-resource records) no longer measures from a copy that is gone.
    for (const point of lost) expect((await hub.context.catalog.resource(point.resourcePk))?.newestAvailableAt, point.kind).toBeUndefined();
    const entries = (await auditEntries(hub)).filter((e) => e.decision === 'lost');
    expect(entries.map((e) => e.sourceId).sort()).toEqual(lost.map((p) => p.sourceId).sort());
    expect(entries[0]!.reason).toMatch(/the point no longer counts as protection$/);
    // One ERROR line per lost copy: what the backup-hub-alerts alarm counts.
    const errors = output.split('\n').filter((l) => l.includes('"vault copy lost"'));
    expect(errors).toHaveLength(5);
    expect(JSON.parse(errors[0]!)).toMatchObject({ level: 'ERROR', account: SOURCE_A });

    const report = await auditOf(hub);
    expect(report.totals).toMatchObject({ protected: 0, lost: 5 });
    expect(report.coverage.every((c) => c.protected === 0 && c.lost === c.resources)).toBe(true);
    expect(report.resources.every((r) => r.status !== 'met' && r.status !== 'breached')).toBe(true);
    expect(report.lost.map((l) => l.sourceId).sort()).toEqual(lost.map((p) => p.sourceId).sort());
    expect(formatTable(report, { source: 'test', generatedAt: '', limit: 20 })).toMatch(/-- lost copies .*\(5\)/);
    expect(formatCsv(report, 'lost').split('\r\n')[0]).toBe('lost_at,account,region,kind,resource,source,vault_copy,reason');
    expect((await collectReport(hub, { name: 'lost', refusedAtBus: [] })).lost).toHaveLength(5);
  }, 120_000);

  it('checks the DR copies too: one gone is recorded failed and alarmed, its point stays available, and the reconciler copies it again', async () => {
    hub = await deployTestHub({
      vault: { account: VAULT, region: REGION, drRegion: DR_REGION },
      rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 },
    });
    await protectEveryKind(hub);
    await run(hub, 60);
    const copied = await points(hub, SOURCE_A);
    expect(copied.map((p) => [p.kind, p.copies?.[0]?.state])).toEqual(copied.map((p) => [p.kind, 'available']));

    for (const point of copied) hub.loseVaultCopy(point, DR_REGION);
    await run(hub, 70);
    const found = await points(hub, SOURCE_A);
    expect(found.map((p) => [p.kind, p.state, p.copies?.[0]?.state])).toEqual(found.map((p) => [p.kind, 'available', 'failed']));
    expect(found.every((p) => /^CopyLost: /.test(p.copies![0]!.failureReason!))).toBe(true);
    const failedEntries = (await auditEntries(hub)).filter((e) => e.copyRegion === DR_REGION && e.decision === 'failed');
    expect(failedEntries.map((e) => e.sourceId).sort()).toEqual(found.map((p) => p.sourceId).sort());

    // After the retry backoff, the reconciler copies each into the DR region again.
    await run(hub, REGION_COPY_RETRY_MS / 60_000 + 60);
    const again = await points(hub, SOURCE_A);
    expect(again.map((p) => [p.kind, p.copies?.[0]?.state, p.copies?.[0]?.attempt])).toEqual(again.map((p) => [p.kind, 'available', 2]));
  }, 180_000);

  it('never calls lost a copy the pruner took out of service, nor marks a point twice', async () => {
    hub = await deployTestHub();
    snapshotOf(hub, SOURCE_A, 'none');
    snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 40);
    const [pruned, gone] = await points(hub, SOURCE_A);
    const at = { at: hub.cloud.clock.now().toISOString(), reason: 'test' };
    expect((await hub.context.catalog.claimForPruning(pruned!, { now: at.at, lockCutoff: '9999' }))?.state).toBe('pruned');
    expect(await hub.context.catalog.markLost(pruned!, at)).toBeUndefined();
    expect((await hub.context.catalog.get(pruned!.pk))?.state).toBe('pruned');
    expect((await hub.context.catalog.markLost(gone!, at))?.state).toBe('lost');
    expect(await hub.context.catalog.markLost(gone!, at)).toBeUndefined();
  });
});
