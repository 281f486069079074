import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalDynamo } from '@backup-hub/aws-sim';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import { type RecoveryPoint, recoveryPointKey, resourceKey } from '../../shared/catalog/recovery-point.js';
import { parseAccounts } from '../../shared/config/accounts.js';
import type { ArtifactKindName } from '../../shared/kinds/index.js';

/**
 * A catalog and audit log built by hand with known times, for tests that compute the report's
 * figures by hand. The as-of time is fixed: 2026-03-10 12:00 UTC.
 */
export const UNTIL = '2026-03-10T12:00:00.000Z';
export const SINCE = '2026-03-03T12:00:00.000Z';
export const A = '111111111111';
export const B = '222222222222';

const ACCOUNT_FILES = [
  {
    file: 'vault.yml',
    text: `id: "999999999999"\nrole: vault\nregions: [eu-west-1]\nexternalId: test-external-id\nallowedSources: ["${A}", "${B}"]\noperators: { restore: ["arn:aws:iam::999999999999:role/operator"], legalHold: ["arn:aws:iam::999999999999:role/operator"] }\ntargets:\n  ebs-snapshot: { retentionDays: 30, rpoHours: 24 }\n  ami: { retentionDays: 90, rpoHours: 168 }\n`,
  },
  // Account A tightens EBS to 12 h and 14 days; it sets nothing for SSM, and neither does the vault.
  {
    file: 'source-a.yml',
    text: `id: "${A}"\nrole: source\nregions: [eu-west-1]\nvault: "999999999999"\ntargets:\n  ebs-snapshot: { retentionDays: 14, rpoHours: 12 }\n`,
  },
  { file: 'source-b.yml', text: `id: "${B}"\nrole: source\nregions: [eu-west-1]\nvault: "999999999999"\n` },
];

export const fixtureAccounts = parseAccounts(ACCOUNT_FILES);

/** The account files in the (empty) folder given, for `--accounts DIR`. */
export async function writeFixtureAccounts(dir: string): Promise<string> {
  for (const { file, text } of ACCOUNT_FILES) await writeFile(join(dir, file), text);
  return dir;
}

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

const POINTS: Seed[] = [
  // A, vol-1: newest available 02:00 (10 h old at 12:00), then a failed attempt at 10:00.
  { account: A, resource: 'vol-1', source: 'snap-a1-old', createdAt: '2026-03-09T12:00:00.000Z', state: 'available' },
  { account: A, resource: 'vol-1', source: 'snap-a1-new', createdAt: '2026-03-10T02:00:00.000Z', state: 'available' },
  {
    account: A,
    resource: 'vol-1',
    source: 'snap-a1-bad',
    createdAt: '2026-03-10T10:00:00.000Z',
    state: 'failed',
    failureReason: 'vault copy failed in AWS',
  },
  // A, vol-2: newest available 20:30 the day before (15.5 h > 12 h); an 18-day-old copy past the 14-day retention; a 20-day-old one on legal hold.
  { account: A, resource: 'vol-2', source: 'snap-a2', createdAt: '2026-03-09T20:30:00.000Z', state: 'available' },
  { account: A, resource: 'vol-2', source: 'snap-a2-old', createdAt: '2026-02-20T12:00:00.000Z', state: 'available' },
  { account: A, resource: 'vol-2', source: 'snap-a2-held', createdAt: '2026-02-18T12:00:00.000Z', state: 'available', legalHold: true },
  // A, vol-3: seen, never copied.
  {
    account: A,
    resource: 'vol-3',
    source: 'snap-a3',
    createdAt: '2026-03-10T01:00:00.000Z',
    state: 'failed',
    failureReason: 'KMS key not usable',
  },
  // A, AMI web: 5 days old (120 h ≤ 168 h).
  { account: A, kind: 'ami', resource: 'web', source: 'ami-a', createdAt: '2026-03-05T12:00:00.000Z', state: 'available' },
  // A, SSM parameter: no RPO target anywhere.
  { account: A, kind: 'ssm-parameter', resource: '/app/x', source: '/app/x:1', createdAt: '2026-03-01T00:00:00.000Z', state: 'available' },
  // B, vol-9: exactly 24 h old (met: the target is a bound), a pending copy recorded at 11:05, and a copy taken after the as-of time (left out).
  { account: B, resource: 'vol-9', source: 'snap-b9', createdAt: '2026-03-09T12:00:00.000Z', state: 'available' },
  { account: B, resource: 'vol-9', source: 'snap-b9-pending', createdAt: '2026-03-10T11:00:00.000Z', state: 'pending' },
  { account: B, resource: 'vol-9', source: 'snap-b9-future', createdAt: '2026-03-10T13:00:00.000Z', state: 'available' },
  // B, vol-8: its only copy was pruned.
  { account: B, resource: 'vol-8', source: 'snap-b8', createdAt: '2026-01-01T00:00:00.000Z', state: 'pruned' },
];

const DECISIONS: [string, Parameters<AuditLog['append']>[0]][] = [
  ['2026-02-01T00:00:00.000Z', { decision: 'rejected', account: B, reason: 'forged-ownership: before the period' }],
  [
    '2026-03-10T09:00:00.000Z',
    {
      decision: 'rejected',
      account: B,
      kind: 'ebs-snapshot',
      eventId: 'forged-1',
      reason: 'forged-ownership: snap-x is owned by 333333333333, not 222222222222',
    },
  ],
  [
    '2026-03-10T09:30:00.000Z',
    {
      decision: 'rejected',
      account: '444444444444',
      kind: 'ebs-snapshot',
      eventId: 'stranger-1',
      reason: 'unknown-account: account 444444444444 is not a source of this vault',
    },
  ],
  [
    '2026-03-10T10:00:00.000Z',
    { decision: 'failed', account: A, kind: 'ebs-snapshot', sourceId: 'snap-a1-bad', reason: 'vault copy failed in AWS' },
  ],
  ['2026-03-10T10:30:00.000Z', { decision: 'copied', account: A, kind: 'ebs-snapshot', sourceId: 'snap-a1-new', reason: 'copied' }],
];

/** Writes the fixture's recovery points and audit entries into the tables (which must exist). */
export async function seedFixture(dynamo: LocalDynamo, tables: { catalog: string; audit: string }): Promise<void> {
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');
  const catalog = new Catalog(db, tables.catalog);
  for (const seed of POINTS) await seedPoint(catalog, db, seed);
  let clock = new Date(SINCE);
  const audit = new AuditLog(db, tables.audit, () => clock);
  for (const [at, facts] of DECISIONS) {
    clock = new Date(at);
    await audit.append(facts);
  }
}

async function seedPoint(catalog: Catalog, db: ReturnType<AwsClients['dynamo']>, s: Seed): Promise<void> {
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
    // Written as the pruner and legal holds (issue 6) will write them: a pruned point is in no open or available index.
    const { openState: _open, availableResourcePk: _available, ...rest } = claimed;
    const item = {
      ...rest,
      state: s.state,
      stage: 'done',
      ...(s.state === 'available' ? { availableResourcePk: claimed.resourcePk } : {}),
      ...(s.legalHold ? { legalHold: { reason: 'litigation', setBy: 'auditor', setAt: SINCE } } : {}),
    };
    await db.send(new PutCommand({ TableName: catalog.table, Item: item }));
  } else if (s.state !== 'pending') {
    await catalog.update(claimed, { state: s.state, stage: 'done', failureReason: s.failureReason });
  }
}
