import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../events/envelope.js';
import { sampleEvents } from '../common/sample-events.js';
import { rdsClusterSnapshot } from './rds-cluster-snapshot.js';

describe('the Aurora cluster snapshot kind reads AWS’s documented sample events', () => {
  it.each(
    sampleEvents('rds-cluster-snapshot')
      .filter((s) => s.matches)
      .map((s) => [s.description, s.event as unknown as EventEnvelope] as const),
  )('%s → rds:my-db-cluster-snapshot', (_name, event) => {
    expect(rdsClusterSnapshot.triggers(event)).toEqual({
      refs: [{ account: '123456789012', region: 'us-east-1', sourceId: 'rds:my-db-cluster-snapshot' }],
    });
  });
});
