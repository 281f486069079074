import { type LocalDynamo, startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables } from '../../drill/hub-tables.js';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import { policyOf } from '../../shared/report/account-policy.js';
import { type AuditReport, type AuditScope, buildAuditReport } from '../../shared/report/audit-report.js';
import { vaultLockOf } from '../../shared/report/retention-status.js';
import { A, B, fixtureAccounts, SINCE, seedFixture, UNTIL } from './fixture.js';

/** The report's figures on the hand-built fixture (./fixture.ts), computed by hand from its times. */
let dynamo: LocalDynamo;
let catalog: Catalog;
let audit: AuditLog;
let report: AuditReport;

const scope = (overrides: Partial<AuditScope> = {}): AuditScope => ({
  accounts: [A, B],
  onlyTheseAccounts: false,
  since: SINCE,
  until: UNTIL,
  ...overrides,
});
const run = (s: AuditScope) => buildAuditReport(s, { catalog, audit, policy: (account) => policyOf(fixtureAccounts, account) });

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await createTables(dynamo.clientConfig, { catalog: 'catalog', audit: 'audit' });
  await seedFixture(dynamo, { catalog: 'catalog', audit: 'audit' });
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');
  catalog = new Catalog(db, 'catalog');
  audit = new AuditLog(db, 'audit', () => new Date(UNTIL));
  report = await run(scope());
});
afterAll(() => dynamo.close());

describe('audit report on a hand-built catalog', () => {
  it('computes each resource’s RPO age and standing at the as-of time', () => {
    const byResource = Object.fromEntries(
      report.resources.map((r) => [r.resourceId, { age: r.ageHours, rpo: r.rpoHours, status: r.status }]),
    );
    expect(byResource).toEqual({
      'vol-1': { age: 10, rpo: 12, status: 'met' },
      'vol-2': { age: 15.5, rpo: 12, status: 'breached' },
      'vol-3': { age: undefined, rpo: 12, status: 'no-copy' },
      web: { age: 120, rpo: 168, status: 'met' },
      '/app/x': { age: 228, rpo: undefined, status: 'no-target' },
      'vol-9': { age: 24, rpo: 24, status: 'met' },
      'vol-8': { age: undefined, rpo: 24, status: 'no-copy' },
    });
    expect(report.resources.find((r) => r.resourceId === 'vol-1')).toMatchObject({
      newestAvailableAt: '2026-03-10T02:00:00.000Z',
      lastFailure: 'vault copy failed in AWS',
      points: { available: 2, failed: 1, pending: 0, pruned: 0 },
    });
  });

  it('sums RPO compliance per account over the resources that have a target', () => {
    expect(report.rpo).toEqual([
      // 2 met of 4 with a target (the SSM parameter has none); the worst age among them is the AMI's 120 h.
      { account: A, resources: 5, met: 2, breached: 1, noCopy: 1, noTarget: 1, compliancePercent: 50, worstAgeHours: 120 },
      { account: B, resources: 2, met: 1, breached: 0, noCopy: 1, noTarget: 0, compliancePercent: 50, worstAgeHours: 24 },
    ]);
  });

  it('counts coverage per account, region and kind, telling never-copied from pruned', () => {
    expect(report.coverage.map((c) => [c.account, c.kind, c.resources, c.protected, c.neverCopied, c.noLongerProtected])).toEqual([
      [A, 'ebs-snapshot', 3, 2, 1, 0],
      [A, 'ami', 1, 1, 0, 0],
      [A, 'ssm-parameter', 1, 1, 0, 0],
      [B, 'ebs-snapshot', 2, 1, 0, 1],
    ]);
    expect(report.totals).toMatchObject({
      recoveryPoints: 12,
      resources: 7,
      protected: 5,
      neverCopied: 1,
      rpoMet: 3,
      rpoBreached: 1,
      pending: 1,
    });
  });

  it('lists the pending copy with its age, and retention past its period but not under legal hold', () => {
    expect(report.pending).toEqual([
      expect.objectContaining({ account: B, sourceId: 'snap-b9-pending', recordedAt: '2026-03-10T11:05:00.000Z', pendingHours: 55 / 60 }),
    ]);
    const ebsA = report.retention.find((r) => r.account === A && r.kind === 'ebs-snapshot');
    // Five available copies of A's volumes; 18 days > 14 is past retention, the 20-day-old one is held.
    expect(ebsA).toEqual({
      account: A,
      kind: 'ebs-snapshot',
      retentionDays: 14,
      available: 5,
      oldestAvailableAt: '2026-02-18T12:00:00.000Z',
      pastRetention: 1,
      legalHolds: 1,
      pruned: 0,
    });
    expect(report.retention.find((r) => r.account === B)).toMatchObject({ retentionDays: 30, available: 1, pruned: 1, pastRetention: 0 });
  });

  it('judges overdue copies by the pruner’s own rule: keepLast and the vault lock keep copies past retention', async () => {
    const withPolicy = (keepLast: number | undefined, lockDays?: number) =>
      buildAuditReport(scope(), {
        catalog,
        audit,
        policy: (account) => {
          const policy = policyOf(fixtureAccounts, account);
          return account === A
            ? { ...policy, targets: { ...policy.targets, 'ebs-snapshot': { ...policy.targets['ebs-snapshot']!, keepLast } } }
            : policy;
        },
        ...(lockDays === undefined ? {} : { lock: { minRetentionDays: lockDays } }),
      });
    const ebsA = (r: AuditReport) => r.retention.find((row) => row.account === A && row.kind === 'ebs-snapshot');
    // vol-2 has three copies, 15.5 h, 18 d and 20 d (held) old, against a 14-day retention.
    expect(ebsA(await withPolicy(2))).toMatchObject({ keepLast: 2, pastRetention: 0 });
    expect(ebsA(await withPolicy(1))).toMatchObject({ keepLast: 1, pastRetention: 1 });
    // A 19-day lock keeps the 18-day-old copy; the copies younger than 19 days are locked (the held 20-day-old one is not).
    expect(ebsA(await withPolicy(undefined, 19))).toMatchObject({ pastRetention: 0, locked: 4 });
  });

  it('reports the lock in force over the one the account file asks for', () => {
    const config = { ...fixtureAccounts, vault: { ...fixtureAccounts.vault, lock: { minRetentionDays: 7 } } };
    expect(vaultLockOf(fixtureAccounts)).toBeUndefined();
    expect(vaultLockOf(config)).toEqual({ minRetentionDays: 7 });
    expect(vaultLockOf(config, { minRetentionDays: 30, since: '2026-01-01T00:00:00.000Z' })).toEqual({
      minRetentionDays: 30,
      since: '2026-01-01T00:00:00.000Z',
      requestedDays: 7,
    });
    expect(vaultLockOf(config, { minRetentionDays: 7, since: '2026-01-01T00:00:00.000Z' })).toEqual({
      minRetentionDays: 7,
      since: '2026-01-01T00:00:00.000Z',
    });
  });

  it('lists failures and rejections of the period with their causes, every sender unless asked for some', async () => {
    expect(report.failures.map((f) => [f.at, f.account, f.sourceId, f.reason])).toEqual([
      ['2026-03-10T10:00:00.000Z', A, 'snap-a1-bad', 'vault copy failed in AWS'],
    ]);
    expect(report.rejections.map((r) => r.eventId)).toEqual(['forged-1', 'stranger-1']);
    expect(report.rejectionCauses).toEqual([
      { reason: 'forged-ownership', count: 1 },
      { reason: 'unknown-account', count: 1 },
    ]);
    const onlyA = await run(scope({ accounts: [A], onlyTheseAccounts: true }));
    expect(onlyA.rejections).toEqual([]);
    expect(onlyA.rpo.map((r) => r.account)).toEqual([A]);
  });

  it('narrows to kinds, and reports the audit log intact with its head', async () => {
    const amis = await run(scope({ kinds: ['ami'] }));
    expect(amis.resources.map((r) => r.resourceId)).toEqual(['web']);
    expect(amis.failures).toEqual([]);
    expect(report.auditLog).toEqual({ ok: true, entries: 5, head: { seq: 5, hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });
});
