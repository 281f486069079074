import type { CaptureRequest } from './run-capture.js';

/** The fields of an EventBridge event the capture reads. */
interface BusEvent {
  'detail-type'?: unknown;
  account?: unknown;
  region?: unknown;
  resources?: unknown;
  detail?: { ImageId?: unknown; SourceArn?: unknown; SourceIdentifier?: unknown };
}

/**
 * What an invocation asks for: the schedule's `Scheduled Event` (every due source region), or a
 * source's AMI or DB snapshot event (its account and region, the resource it names). Anything else
 * is refused with what it was, never taken for a schedule.
 * @throws Error naming the event that is neither
 */
export function captureRequestOf(event: unknown): CaptureRequest {
  const e = (event ?? {}) as BusEvent;
  if (e['detail-type'] === 'Scheduled Event') return {};
  if (typeof e.account === 'string' && typeof e.region === 'string' && typeof e['detail-type'] === 'string') {
    const named = e.detail?.ImageId ?? e.detail?.SourceArn ?? e.detail?.SourceIdentifier ?? (e.resources as unknown[] | undefined)?.[0];
    return { event: { account: e.account, region: e.region, resource: typeof named === 'string' ? named : e['detail-type'] } };
  }
  throw new Error(
    `The configuration capture takes a scheduled event or a source's AMI or DB snapshot event, not ${JSON.stringify(event).slice(0, 200)}`,
  );
}
