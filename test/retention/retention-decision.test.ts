import { describe, expect, it } from 'vitest';
import { type RecoveryPoint, recoveryPointKey, resourceKey } from '../../shared/catalog/recovery-point.js';
import { retentionVerdict } from '../../shared/retention/retention-decision.js';
import { retentionSettings } from '../../shared/retention/retention-settings.js';

const now = new Date('2026-03-01T00:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
const point = (createdAt: string, overrides: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
  pk: recoveryPointKey('ebs-snapshot', '111111111111', 'eu-west-1', `snap-${createdAt}`),
  kind: 'ebs-snapshot',
  account: '111111111111',
  region: 'eu-west-1',
  sourceId: `snap-${createdAt}`,
  resourceId: 'vol-a',
  resourcePk: resourceKey('ebs-snapshot', '111111111111', 'eu-west-1', 'vol-a'),
  createdAt,
  recordedAt: createdAt,
  updatedAt: createdAt,
  state: 'available',
  stage: 'done',
  sourceEncryption: 'none',
  eventId: 'evt',
  tags: {},
  ...overrides,
});

describe('retention verdict', () => {
  const policy = { retentionDays: 30, keepLast: 2 };
  const none = new Set<string>();

  it('keeps a copy past its retention while AWS holds it locked, and lets it go once the lock has expired', () => {
    const locked = point(daysAgo(40), { providerLock: { mode: 'compliance', until: daysAgo(-5) } });
    expect(retentionVerdict(locked, { policy, lockDays: 0, now, newest: none })).toEqual({ prune: false, keptBecause: 'provider lock' });
    const expired = point(daysAgo(40), { providerLock: { mode: 'compliance', until: daysAgo(1) } });
    expect(retentionVerdict(expired, { policy, lockDays: 0, now, newest: none })).toMatchObject({ prune: true });
  });

  it('keeps a copy while any rule keeps it: a legal hold first, then the lock, the retention, the newest N', () => {
    const held = point(daysAgo(400), { legalHold: { reason: 'case', setBy: 'legal', setAt: daysAgo(1) } });
    expect(retentionVerdict(held, { policy, lockDays: 500, now, newest: new Set([held.pk]) })).toEqual({
      prune: false,
      keptBecause: 'legal hold',
    });
    expect(retentionVerdict(point(daysAgo(40)), { policy, lockDays: 45, now, newest: none })).toEqual({
      prune: false,
      keptBecause: 'vault lock',
    });
    expect(retentionVerdict(point(daysAgo(29.9)), { policy, lockDays: 7, now, newest: none })).toEqual({
      prune: false,
      keptBecause: 'retention',
    });
    const last = point(daysAgo(90));
    expect(retentionVerdict(last, { policy, lockDays: 7, now, newest: new Set([last.pk]) })).toEqual({
      prune: false,
      keptBecause: 'keep last',
    });
  });

  it('lets a copy go only when no rule keeps it, saying why', () => {
    const old = point(daysAgo(30));
    expect(retentionVerdict(old, { policy, lockDays: 7, now, newest: none })).toEqual({
      prune: true,
      reason: `older than 30 days (created ${old.createdAt}) and not among the newest 2`,
    });
    expect(retentionVerdict(old, { policy: { retentionDays: 30 }, lockDays: 0, now, newest: none })).toEqual({
      prune: true,
      reason: `older than 30 days (created ${old.createdAt})`,
    });
  });
});

describe('retention settings', () => {
  it("takes each source record's retention and the lock the pruner's environment names, and names what is wrong", () => {
    const records = new Map([
      [
        '111111111111',
        {
          name: 'app',
          regions: ['eu-west-1'],
          silenceHours: 48,
          customerKeyAliases: [],
          ssmParameters: { paths: [], tagged: false },
          targets: { 'ebs-snapshot': { retentionDays: 14, keepLast: 3, rpoHours: 24 } },
        },
      ],
    ]);
    expect(retentionSettings(records, { VAULT_LOCK_DAYS: '7' })).toEqual({
      lockDays: 7,
      accounts: { '111111111111': { 'ebs-snapshot': { retentionDays: 14, keepLast: 3 } } },
    });
    expect(retentionSettings(records, {}).lockDays).toBeUndefined();
    expect(() => retentionSettings(records, { VAULT_LOCK_DAYS: '0' })).toThrow(/VAULT_LOCK_DAYS must be a positive whole number of days/);
  });
});
