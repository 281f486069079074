import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../shared/events/envelope.js';
import { rdsClusterSnapshot } from '../../shared/kinds/rds-cluster-snapshot/rds-cluster-snapshot.js';
import { rdsSnapshot } from '../../shared/kinds/rds-snapshot/rds-snapshot.js';
import { SAMPLE_EVENTS } from '../template/sample-events.js';

const samples = (kind: string, which: 'matches' | 'doesNotMatch') => SAMPLE_EVENTS[kind]![which].map((s) => [s.name, s.event as unknown as EventEnvelope] as const);

describe('the RDS kinds read AWS’s documented sample events', () => {
  it.each(samples('rds-snapshot', 'matches'))('DB snapshot: %s → the automated snapshot rds:my-db-snapshot of the sender', (_name, event) => {
    expect(rdsSnapshot.triggers(event)).toEqual({ refs: [{ account: '123456789012', region: 'us-east-1', sourceId: 'rds:my-db-snapshot' }] });
  });

  it.each(samples('rds-snapshot', 'doesNotMatch'))('DB snapshot: %s → skipped with its EventID', (_name, event) => {
    expect(rdsSnapshot.triggers(event)).toEqual({ skip: expect.stringMatching(/^RDS-EVENT-\d{4} \(.+\) is not a backup trigger$/) });
  });

  it.each(samples('rds-cluster-snapshot', 'matches'))('cluster snapshot: %s → rds:my-db-cluster-snapshot', (_name, event) => {
    expect(rdsClusterSnapshot.triggers(event)).toEqual({ refs: [{ account: '123456789012', region: 'us-east-1', sourceId: 'rds:my-db-cluster-snapshot' }] });
  });

  it('refuses a SourceArn of another region, and a detail without EventID', () => {
    const [[, sample]] = samples('rds-snapshot', 'matches') as [readonly [string, EventEnvelope]];
    expect(() => rdsSnapshot.triggers({ ...sample, region: 'eu-west-1' })).toThrow(/names snapshot rds:my-db-snapshot in us-east-1/);
    expect(() => rdsSnapshot.triggers({ ...sample, detail: { SourceArn: 'x' } })).toThrow(/detail is malformed/);
  });
});
