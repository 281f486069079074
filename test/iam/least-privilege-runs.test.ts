import type { CallRecord } from '@backup-hub/aws-sim';
import { describe, expect, it } from 'vitest';
import { leastPrivilege, type PlacedStatement } from '../../drill/least-privilege.js';

/** A key policy's statement as one drill's cloud names it: each deployment gives the key a new id. */
const keyStatement = (keyId: string): PlacedStatement => ({
  policy: 'source-b/ShareKey key policy',
  sid: 'ReaderReencryptsSnapshotsThroughEc2',
  effect: 'Allow',
  refs: [`key policy|arn:aws:kms:eu-west-1:222222222222:key/${keyId}|ReaderReencryptsSnapshotsThroughEc2`],
  where: { folder: 'source-b', logicalId: 'ShareKey', document: 'key policy', index: 1 },
});

const callAllowedBy = (keyId: string): CallRecord => ({
  service: 'kms',
  action: 'ReEncrypt',
  account: '222222222222',
  region: 'eu-west-1',
  principal: 'arn:aws:iam::222222222222:role/backup-hub-reader-ebs-snapshot',
  at: 0,
  authorizations: [
    {
      action: 'kms:ReEncryptTo',
      resource: `arn:aws:kms:eu-west-1:222222222222:key/${keyId}`,
      allowed: true,
      allowedBy: [],
      decisive: [
        { type: 'key policy', policy: `arn:aws:kms:eu-west-1:222222222222:key/${keyId}`, sid: 'ReaderReencryptsSnapshotsThroughEc2' },
      ],
    },
  ],
});

describe('least privilege over several drills', () => {
  it('counts a key policy statement needed when only a later drill, with its own key id, needed it', () => {
    const first = [keyStatement('aaaa')];
    const report = leastPrivilege(
      first,
      [
        { calls: [], placed: first },
        { calls: [callAllowedBy('bbbb')], placed: [keyStatement('bbbb')] },
      ],
      0,
    );
    expect(report).toEqual({ statements: 1, needed: 1, unneeded: [], deniedCalls: 0 });
  });

  it('lists a statement no drill needed', () => {
    const first = [keyStatement('aaaa')];
    const report = leastPrivilege(first, [{ calls: [callAllowedBy('cccc')], placed: first }], 0);
    expect(report.unneeded).toEqual([{ policy: 'source-b/ShareKey key policy', sid: 'ReaderReencryptsSnapshotsThroughEc2' }]);
  });
});
