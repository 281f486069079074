import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import { recoveryPointKey, resourceKey, type ArtifactKindName, type RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import { parseAccounts } from '../../shared/config/accounts.js';
import { policyOf } from '../../shared/report/account-policy.js';
import { buildAuditReport, type AuditReport, type AuditScope } from '../../shared/report/audit-report.js';
import { createTables, startLocalDynamo, type LocalDynamo } from '../../sim/dynamo.js';

/**
 * A catalog built by hand with known times, and the report's figures computed by hand from them.
 * The as-of time is fixed: 2026-03-10 12:00 UTC.
 */
const UNTIL = '2026-03-10T12:00:00.000Z';
const SINCE = '2026-03-03T12:00:00.000Z';
const A = '111111111111';
const B = '222222222222';

const accounts = parseAccounts([
  {
    file: 'vault.yml',
    text: `id: "999999999999"\nrole: vault\nregions: [eu-west-1]\nexternalId: test-external-id\nallowedSources: ["${A}", "${B}"]\ntargets:\n  ebs-snapshot: { retentionDays: 30, rpoHours: 24 }\n  ami: { retentionDays: 90, rpoHours: 168 }\n`,
  },
  // Account A tightens EBS to 12 h and 14 days; it sets nothing for SSM, and neither does the vault.
  { file: 'source-a.yml', text: `id: "${A}"\nrole: source\nregions: [eu-west-1]\nvault: "999999999999"\ntargets:\n  ebs-snapshot: { retentionDays: 14, rpoHours: 12 }\n` },
  { file: 'source-b.yml', text: `id: "${B}"\nrole: source\nregions: [eu-west-1]\nvault: "999999999999"\n` },
]);

let dynamo: LocalDynamo;
let catalog: Catalog;
let audit: AuditLog;
let db: ReturnType<AwsClients['dynamo']>;
let clock = new Date(SINCE);
let report: AuditReport;

interface Seed {
  account: string;
  kind?: ArtifactKindName;
  resource: string;
  source: string;
  createdAt: string;
  state: RecoveryPoint['state'] | 'pruned';
  failureReason?: string;
  legalHold?: true;
}

async function seed(s: Seed): Promise<void> {
  const kind = s.kind ?? 'ebs-snapshot';
  const point: RecoveryPoint = {
    pk: recoveryPointKey(kind, s.account, 'eu-west-1', s.source),
    kind,
    account: s.account,
    region: 'eu-west-1',
    sourceId: s.source,
    resourceId: s.resource,
    resourcePk: resourceKey(kind, s.account, 'eu-west-1', s.resource),
    createdAt: s.createdAt,
    recordedAt: new Date(Date.parse(s.createdAt) + 5 * 60_000).toISOString(),
    updatedAt: s.createdAt,
    state: 'pending',
    stage: 'claimed',
    sourceEncryption: 'none',
    eventId: `evt-${s.source}`,
    tags: {},
  };
  const claimed = (await catalog.claim(point)).point;
  if (s.state === 'pruned' || s.legalHold) {
    // Written as the pruner and legal holds (issue 6) will write them: no longer in any open or available index.
    const { openState: _o, availableResourcePk: _a, ...rest } = claimed;
    const item = { ...rest, state: s.state, stage: 'done', ...(s.state === 'available' ? { availableResourcePk: claimed.resourcePk } : {}), ...(s.legalHold ? { legalHold: { reason: 'litigation', setBy: 'auditor', setAt: SINCE } } : {}) };
    await db.send(new PutCommand({ TableName: catalog.table, Item: item }));
  } else if (s.state !== 'pending') {
    await catalog.update(claimed, { state: s.state, stage: 'done', failureReason: s.failureReason });
  }
}

async function record(at: string, facts: Parameters<AuditLog['append']>[0]): Promise<void> {
  clock = new Date(at);
  await audit.append(facts);
}

const scope = (overrides: Partial<AuditScope> = {}): AuditScope => ({ accounts: [A, B], onlyTheseAccounts: false, since: SINCE, until: UNTIL, ...overrides });
const run = (s: AuditScope) => buildAuditReport(s, { catalog, audit, policy: (account) => policyOf(accounts, account) });

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await createTables(dynamo, { catalog: 'catalog', audit: 'audit' });
  db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');
  catalog = new Catalog(db, 'catalog');
  audit = new AuditLog(db, 'audit', () => clock);

  // A, vol-1: newest available 02:00 (10 h old at 12:00), then a failed attempt at 10:00.
  await seed({ account: A, resource: 'vol-1', source: 'snap-a1-old', createdAt: '2026-03-09T12:00:00.000Z', state: 'available' });
  await seed({ account: A, resource: 'vol-1', source: 'snap-a1-new', createdAt: '2026-03-10T02:00:00.000Z', state: 'available' });
  await seed({ account: A, resource: 'vol-1', source: 'snap-a1-bad', createdAt: '2026-03-10T10:00:00.000Z', state: 'failed', failureReason: 'vault copy failed in AWS' });
  // A, vol-2: newest available 20:30 the day before (15.5 h > 12 h); an 18-day-old copy past the 14-day retention; a 20-day-old one on legal hold.
  await seed({ account: A, resource: 'vol-2', source: 'snap-a2', createdAt: '2026-03-09T20:30:00.000Z', state: 'available' });
  await seed({ account: A, resource: 'vol-2', source: 'snap-a2-old', createdAt: '2026-02-20T12:00:00.000Z', state: 'available' });
  await seed({ account: A, resource: 'vol-2', source: 'snap-a2-held', createdAt: '2026-02-18T12:00:00.000Z', state: 'available', legalHold: true });
  // A, vol-3: seen, never copied.
  await seed({ account: A, resource: 'vol-3', source: 'snap-a3', createdAt: '2026-03-10T01:00:00.000Z', state: 'failed', failureReason: 'KMS key not usable' });
  // A, AMI web: 5 days old (120 h ≤ 168 h).
  await seed({ account: A, kind: 'ami', resource: 'web', source: 'ami-a', createdAt: '2026-03-05T12:00:00.000Z', state: 'available' });
  // A, SSM parameter: no RPO target anywhere.
  await seed({ account: A, kind: 'ssm-parameter', resource: '/app/x', source: '/app/x:1', createdAt: '2026-03-01T00:00:00.000Z', state: 'available' });
  // B, vol-9: exactly 24 h old (met: the target is a bound), a pending copy recorded at 11:05, and a copy taken after the as-of time (left out).
  await seed({ account: B, resource: 'vol-9', source: 'snap-b9', createdAt: '2026-03-09T12:00:00.000Z', state: 'available' });
  await seed({ account: B, resource: 'vol-9', source: 'snap-b9-pending', createdAt: '2026-03-10T11:00:00.000Z', state: 'pending' });
  await seed({ account: B, resource: 'vol-9', source: 'snap-b9-future', createdAt: '2026-03-10T13:00:00.000Z', state: 'available' });
  // B, vol-8: its only copy was pruned.
  await seed({ account: B, resource: 'vol-8', source: 'snap-b8', createdAt: '2026-01-01T00:00:00.000Z', state: 'pruned' });

  await record('2026-02-01T00:00:00.000Z', { decision: 'rejected', account: B, reason: 'forged-ownership: before the period' });
  await record('2026-03-10T09:00:00.000Z', { decision: 'rejected', account: B, kind: 'ebs-snapshot', eventId: 'forged-1', reason: 'forged-ownership: snap-x is owned by 333333333333, not 222222222222' });
  await record('2026-03-10T09:30:00.000Z', { decision: 'rejected', account: '444444444444', kind: 'ebs-snapshot', eventId: 'stranger-1', reason: 'unknown-account: account 444444444444 is not a source of this vault' });
  await record('2026-03-10T10:00:00.000Z', { decision: 'failed', account: A, kind: 'ebs-snapshot', sourceId: 'snap-a1-bad', reason: 'vault copy failed in AWS' });
  await record('2026-03-10T10:30:00.000Z', { decision: 'copied', account: A, kind: 'ebs-snapshot', sourceId: 'snap-a1-new', reason: 'copied' });

  report = await run(scope());
});
afterAll(() => dynamo.close());

describe('audit report on a hand-built catalog', () => {
  it('computes each resource’s RPO age and standing at the as-of time', () => {
    const byResource = Object.fromEntries(report.resources.map((r) => [r.resourceId, { age: r.ageHours, rpo: r.rpoHours, status: r.status }]));
    expect(byResource).toEqual({
      'vol-1': { age: 10, rpo: 12, status: 'met' },
      'vol-2': { age: 15.5, rpo: 12, status: 'breached' },
      'vol-3': { age: undefined, rpo: 12, status: 'no-copy' },
      web: { age: 120, rpo: 168, status: 'met' },
      '/app/x': { age: 228, rpo: undefined, status: 'no-target' },
      'vol-9': { age: 24, rpo: 24, status: 'met' },
      'vol-8': { age: undefined, rpo: 24, status: 'no-copy' },
    });
    expect(report.resources.find((r) => r.resourceId === 'vol-1')).toMatchObject({ newestAvailableAt: '2026-03-10T02:00:00.000Z', lastFailure: 'vault copy failed in AWS', points: { available: 2, failed: 1, pending: 0, pruned: 0 } });
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
    expect(report.totals).toMatchObject({ recoveryPoints: 12, resources: 7, protected: 5, neverCopied: 1, rpoMet: 3, rpoBreached: 1, pending: 1 });
  });

  it('lists the pending copy with its age, and retention past its period but not under legal hold', () => {
    expect(report.pending).toEqual([expect.objectContaining({ account: B, sourceId: 'snap-b9-pending', recordedAt: '2026-03-10T11:05:00.000Z', pendingHours: 55 / 60 })]);
    const ebsA = report.retention.find((r) => r.account === A && r.kind === 'ebs-snapshot');
    // Five available copies of A's volumes; 18 days > 14 is past retention, the 20-day-old one is held.
    expect(ebsA).toEqual({ account: A, kind: 'ebs-snapshot', retentionDays: 14, available: 5, oldestAvailableAt: '2026-02-18T12:00:00.000Z', pastRetention: 1, legalHolds: 1, pruned: 0 });
    expect(report.retention.find((r) => r.account === B)).toMatchObject({ retentionDays: 30, available: 1, pruned: 1, pastRetention: 0 });
  });

  it('lists failures and rejections of the period with their causes, every sender unless asked for some', async () => {
    expect(report.failures.map((f) => [f.at, f.account, f.sourceId, f.reason])).toEqual([['2026-03-10T10:00:00.000Z', A, 'snap-a1-bad', 'vault copy failed in AWS']]);
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
