import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { NAMES } from '../../accounts/stack/names.js';
import { formatCsv } from '../../cli/audit/format-csv.js';
import { regionsText } from '../../cli/audit/labels.js';
import { type LocalHub, RECOVERY_NAMES } from '../../drill/local-hub.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { REGION_COPY_RETRY_MS } from '../../shared/pipeline/region-copy.js';
import { buildAuditReport } from '../../shared/report/audit-report.js';
import { applyRestore } from '../../shared/restore/apply-restore.js';
import { planRestore } from '../../shared/restore/restore-plan.js';
import { selectPoints } from '../../shared/restore/restore-selection.js';
import { restoreTarget } from '../../shared/restore/restore-target.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, snapshotOf, VAULT } from './hub-harness.js';

const DR_REGION = 'eu-central-1';
const RECOVERY = '444444444444';

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
    // While the DR copy is under way, the audit says so and for how long.
    let copying: RecoveryPoint | undefined;
    for (let minutes = 0; minutes < 120 && copying?.state !== 'available'; minutes += 1) {
      await run(hub, 1);
      [copying] = await points(hub, SOURCE_A);
    }
    expect(copying!.copies?.[0]?.state).not.toBe('available');
    const underWay = (await auditOf(hub, { rpoHours: 24 })).resources[0]!;
    expect(underWay.dr!.behind).toMatchObject({ sourceId: source.id, state: expect.stringMatching(/^(none|waiting|pending)$/) });
    expect(regionsText(underWay)).toMatch(/^DR copy (not started|waiting for a copy slot|pending) for \d+ min$/);
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
    expect(report.resources[0]!.dr!.behind).toBeUndefined();
    expect(regionsText(report.resources[0]!)).toBe('protected in both regions');
    const csv = formatCsv(report, 'resources').split('\r\n');
    expect(csv[0]).toMatch(/,dr_newest_available_at,dr_age_hours,dr_rpo_hours,dr_status,dr_copy_behind,dr_behind_hours,regions$/);
    expect(csv[1]).toMatch(/,0\.5,breached,,,protected in both regions$/);
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
    expect(audited.resources[0]).toMatchObject({
      status: 'met',
      dr: { status: 'no-copy', rpoHours: 24, behind: { state: 'failed', sourceId: failed!.sourceId } },
    });
    // Due since the vault copy completed: the hours the DR copy has been missing.
    const hours = (hub.cloud.clock.nowMs() - Date.parse(failed!.completedAt!)) / 3_600_000;
    expect(audited.resources[0]!.dr!.behind!.hours).toBeCloseTo(hours, 5);
    expect(regionsText(audited.resources[0]!)).toBe(
      `DR copy failed for ${hours < 1 ? `${Math.round(hours * 60)} min` : `${Math.round(hours)} h`}`,
    );
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

  it('restores a lost account from the DR copies while the vault region is down: every call, the catalog and audit log too, in the DR region', async () => {
    hub = await deployTestHub({
      vault: { account: VAULT, region: REGION, drRegion: DR_REGION },
      recovery: [{ account: RECOVERY }],
    });
    snapshotOf(hub, SOURCE_A, 'cmk');
    await run(hub, 120);
    const [point] = await points(hub, SOURCE_A);
    hub.loseAccount(SOURCE_A);
    // A region outage fails every call to that region, the catalog's and audit log's too.
    hub.cloud.outages.add(REGION);
    await expect(
      new EC2Client(hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION)).send(new DescribeSnapshotsCommand({})),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailable',
    });

    const ctx = hub.restoreContextIn(DR_REGION);
    const request = { account: SOURCE_A, asOf: ctx.now(), fromRegion: DR_REGION };
    const plan = await planRestore(request, await restoreTarget(RECOVERY, RECOVERY_NAMES, ctx, DR_REGION), ctx);
    expect(plan.items.map((i) => i.point.vaultCopyId)).toEqual([point!.copies![0]!.vaultCopyId]);
    const result = await applyRestore(plan, ctx, {
      wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined),
      log: () => {},
    });
    expect(result).toMatchObject({ fromRegion: DR_REGION, artifacts: [expect.objectContaining({ status: 'usable' })] });
    const restored = hub.ec2.snapshots({ account: VAULT, region: DR_REGION }).find((s) => s.id === result.artifacts[0]!.restoredId);
    expect([...restored!.sharedWith]).toEqual([RECOVERY]);
    // The restore's audit entry is in the DR replica of the audit log; no call it made reached the vault's region.
    const drEntries = [];
    for await (const e of ctx.audit.entries()) drEntries.push(e);
    expect(drEntries.filter((e) => e.sourceId === point!.sourceId).map((e) => e.decision)).toContain('restored');
    const restoreCalls = hub.cloud.calls.filter((c) => (c.session ?? c.principal).includes(`/${NAMES.drRestoreRole}/`));
    expect(restoreCalls.length).toBeGreaterThan(0);
    expect(restoreCalls.filter((c) => c.region === REGION)).toEqual([]);
  });

  it("copies a DB snapshot with its own option group into the DR region naming that option group there (CopyDBSnapshot's OptionGroupName across Regions)", async () => {
    hub = await deployWithDr();
    hub.rds.createDBSnapshot(SOURCE_A, REGION, {
      db: 'orders',
      type: 'manual',
      encryption: 'aws-managed',
      optionGroup: { name: 'orders-options', persistentOptions: false },
    });
    await run(hub, 180);

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ kind: 'rds-snapshot', state: 'available', copies: [expect.objectContaining({ state: 'available' })] });
    expect(hub.rds.instanceSnapshots.get(VAULT, REGION, point!.vaultCopyId!)?.optionGroup?.name).toBe('orders-options');
    const drCopy = hub.rds.instanceSnapshots.get(VAULT, DR_REGION, point!.copies![0]!.vaultCopyId!);
    expect(drCopy?.optionGroup?.name).toBe('orders-options');
    const copyCall = hub.cloud.calls.find((c) => c.action === 'CopyDBSnapshot' && c.region === DR_REGION);
    expect(copyCall).toBeDefined();
  });

  it('refuses a restore from a region that is not the DR region, naming the regions it keeps copies in', async () => {
    hub = await deployWithDr();
    const ctx = hub.restoreContext;
    await expect(selectPoints({ account: SOURCE_A, asOf: ctx.now(), fromRegion: 'us-east-1' }, ctx)).rejects.toThrow(
      '--from-region us-east-1: the vault keeps copies in eu-west-1 and eu-central-1 only',
    );
  });
});
