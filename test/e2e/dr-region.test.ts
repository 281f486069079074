import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { REGION_COPY_RETRY_MS } from '../../shared/pipeline/region-copy.js';
import { buildAuditReport } from '../../shared/report/audit-report.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, snapshotOf, VAULT } from './hub-harness.js';

const DR_REGION = 'eu-central-1';

let hub: LocalHub;
afterEach(() => hub?.close());

const deployWithDr = () => deployTestHub({ vault: { account: VAULT, region: REGION, drRegion: DR_REGION } });
/** The audit of source A as of now, with the given target for EBS snapshots. */
const auditOf = (h: LocalHub, target: { rpoHours: number; drRpoHours?: number }) =>
  buildAuditReport(
    {
      accounts: [SOURCE_A],
      onlyTheseAccounts: true,
      since: '2000-01-01T00:00:00Z',
      until: h.cloud.clock.now().toISOString(),
      drRegion: DR_REGION,
    },
    {
      catalog: h.inspector.catalog,
      audit: h.inspector.audit,
      policy: () => ({ targets: { 'ebs-snapshot': { retentionDays: 35, ...target } }, from: 'the test' }),
    },
  );
const drKey = (h: LocalHub) => h.kms.resolveKey('alias/backup-hub-vault', VAULT, DR_REGION);

describe('the vault DR region', () => {
  it('copies an available EBS vault copy into the DR region under the DR key, with the same provenance tags', async () => {
    hub = await deployWithDr();
    const source = snapshotOf(hub, SOURCE_A, 'cmk');
    await run(hub, 120);

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'available', sourceId: source.id });
    expect(point!.copies).toEqual([expect.objectContaining({ region: DR_REGION, state: 'available', attempt: 1 })]);
    const [copy] = hub.ec2.snapshots({ account: VAULT, region: DR_REGION });
    expect(copy).toMatchObject({ id: point!.copies![0]!.vaultCopyId, state: 'completed', encrypted: true, kmsKeyId: drKey(hub).arn });
    const primary = hub.ec2.snapshots({ account: VAULT, region: REGION })[0]!;
    expect(Object.fromEntries(copy!.tags)).toEqual(Object.fromEntries(primary.tags));
    expect(Object.fromEntries(copy!.tags)).toMatchObject({ [TAG.sourceId]: source.id, [TAG.sourceRegion]: REGION });
    const drEntries = (await auditEntries(hub)).filter((e) => e.copyRegion === DR_REGION).map((e) => e.decision);
    expect(drEntries).toEqual(['copied', 'completed']);

    // The audit: protected in both regions; the DR copy's RPO against its own target (half an hour here, a day for the vault copy).
    const report = await auditOf(hub, { rpoHours: 24, drRpoHours: 0.5 });
    expect(report.totals).toMatchObject({ protected: 1, protectedInBothRegions: 1, rpoMet: 1, drRpoMet: 0, drRpoBreached: 1 });
    expect(report.resources[0]!.dr).toMatchObject({ rpoHours: 0.5, status: 'breached', newestAvailableAt: point!.createdAt });
  });

  it('records a DR copy that fails in AWS as failed and alarms, keeps the vault copy available, and the reconciler retries it', async () => {
    hub = await deployWithDr();
    const alerts: string[] = [];
    const logger = hub.context.logger;
    logger.error = ((message: string) => void alerts.push(message)) as typeof logger.error;
    // EC2 accepts a copy under a disabled key, then fails it ("Given key ID is not accessible").
    drKey(hub).enabled = false;
    snapshotOf(hub, SOURCE_A, 'none');
    let failed: RecoveryPoint | undefined;
    for (let minutes = 0; minutes < 180 && failed?.copies?.[0]?.state !== 'failed'; minutes += 5) {
      await run(hub, 5);
      [failed] = await points(hub, SOURCE_A);
    }

    expect(failed).toMatchObject({ state: 'available', openState: 'copy-failed' });
    expect(failed!.copies![0]).toMatchObject({ region: DR_REGION, state: 'failed', attempt: 1 });
    expect(failed!.copies![0]!.failureReason).toMatch(/CopyFailedInAws/);
    expect(hub.ec2.snapshots({ account: VAULT, region: REGION })[0]).toMatchObject({ id: failed!.vaultCopyId, state: 'completed' });
    const audited = await auditOf(hub, { rpoHours: 24 });
    expect(audited.resources[0]).toMatchObject({ status: 'met', dr: { status: 'no-copy', rpoHours: 24 } });
    // An ERROR line, which the backup-hub-alerts alarm counts (the local hub's logger writes no log group).
    expect(alerts).toContain('copy in a further region failed');

    drKey(hub).enabled = true;
    // Retried once its backoff has passed; the copy then takes its 20 minutes.
    await run(hub, REGION_COPY_RETRY_MS / 60_000 + 30);
    const [retried] = await points(hub, SOURCE_A);
    expect(retried!.copies![0]).toMatchObject({ state: 'available', attempt: 2 });
    expect(retried!.openState).toBeUndefined();
    expect((await auditEntries(hub)).filter((e) => e.copyRegion === DR_REGION).map((e) => e.decision)).toEqual([
      'copied',
      'failed',
      'reopened',
      'copied',
      'completed',
    ]);
  });
});
