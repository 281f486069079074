import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import { PROPAGATION_WINDOW_MS } from '../../shared/pipeline/copy-timing.js';
import { captureOutput } from '../capture-output.js';
import { auditEntries, deployTestHub, ebsEvent, REGION, run, SOURCE_A, snapshotOf } from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

/** The `event handled` lines a run logged, by event id. */
function handledLines(output: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of output.split('\n').filter((l) => l.includes('"event handled"'))) {
    const id = (JSON.parse(line) as { eventId?: string }).eventId ?? '(none)';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('every handled message leaves one audit trail and one log line', () => {
  it('records a skipped trigger and a rejected message with the kind of their queue, so audit --kind sees them', async () => {
    hub = await deployTestHub();
    const snapshot = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    hub.events.forward(hub.vaultBusArn, ebsEvent(SOURCE_A, snapshot.id, { id: 'not-a-trigger', result: 'failed' }), SOURCE_A);
    hub.events.forward(hub.vaultBusArn, ebsEvent(SOURCE_A, 'snap-0123456789abcdef0', { id: 'not-found' }), SOURCE_A);
    // A snapshot the source does not show is looked for again within the propagation window, then rejected.
    await run(hub, PROPAGATION_WINDOW_MS / 60_000 + 5);

    const byEvent = Object.fromEntries((await auditEntries(hub)).map((e) => [e.eventId, e]));
    expect(byEvent['not-a-trigger']).toMatchObject({ decision: 'skipped', kind: 'ebs-snapshot', account: SOURCE_A, region: REGION });
    expect(byEvent['not-found']).toMatchObject({ decision: 'rejected', kind: 'ebs-snapshot' });
    const skipped = [];
    for await (const e of hub.inspector.audit.byDecision('skipped', {}, { kinds: ['ebs-snapshot'] })) skipped.push(e.eventId);
    expect(skipped).toContain('not-a-trigger');
  });

  it('logs one line per handled event, however many artifacts it names and however they end', async () => {
    const logger = new Logger({ serviceName: 'backup-hub', logLevel: 'INFO' });
    const output = await captureOutput(async () => {
      hub = await deployTestHub({ logger });
      const [first, second] = [snapshotOf(hub, SOURCE_A, 'none', { emit: false }), snapshotOf(hub, SOURCE_A, 'none', { emit: false })];
      await run(hub, 1);
      hub.events.forward(hub.vaultBusArn, ebsEvent(SOURCE_A, first.id, { id: 'first' }), SOURCE_A);
      await run(hub, 2);
      // One snapshot already has its point, the other is new: two artifacts, one event.
      const both = ebsEvent(SOURCE_A, first.id, { id: 'both' });
      const arn = (id: string) => `arn:aws:ec2::${REGION}:snapshot/${id}`;
      hub.events.forward(
        hub.vaultBusArn,
        {
          ...both,
          'detail-type': 'EBS Multi-Volume Snapshots Completion Status',
          detail: {
            event: 'createSnapshots',
            result: 'succeeded',
            snapshots: [first, second].map((s) => ({ snapshot_id: arn(s.id), source: arn(s.volumeId), status: 'completed' })),
          },
        },
        SOURCE_A,
      );
      await run(hub, 2);
    });
    expect(handledLines(output)).toEqual(
      new Map([
        ['first', 1],
        ['both', 1],
      ]),
    );
  });
});
