import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../events/envelope.js';
import { sampleEvents } from '../common/sample-events.js';
import { rdsSnapshot } from './rds-snapshot.js';

const samples = (matches: boolean) =>
  sampleEvents('rds-snapshot')
    .filter((s) => s.matches === matches)
    .map((s) => [s.description, s.event as unknown as EventEnvelope] as const);

describe('the RDS DB snapshot kind reads AWS’s documented sample events', () => {
  it.each(samples(true))('%s → the automated snapshot rds:my-db-snapshot of the sender', (_name, event) => {
    expect(rdsSnapshot.triggers(event)).toEqual({
      refs: [{ account: '123456789012', region: 'us-east-1', sourceId: 'rds:my-db-snapshot' }],
    });
  });

  it.each(samples(false))('%s → skipped with its EventID', (_name, event) => {
    expect(rdsSnapshot.triggers(event)).toEqual({ skip: expect.stringMatching(/^RDS-EVENT-\d{4} \(.+\) is not a backup trigger$/) });
  });

  it('refuses a SourceArn of another region, and a detail without EventID', () => {
    const [[, sample]] = samples(true) as [readonly [string, EventEnvelope]];
    expect(() => rdsSnapshot.triggers({ ...sample, region: 'eu-west-1' })).toThrow(/names snapshot rds:my-db-snapshot in us-east-1/);
    expect(() => rdsSnapshot.triggers({ ...sample, detail: { SourceArn: 'x' } })).toThrow(/detail is malformed/);
  });
});
