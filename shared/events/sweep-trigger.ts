import * as z from 'zod/mini';
import type { EventEnvelope } from './envelope.js';

/**
 * The inventory sweep's message on a kind's queue: an artifact no event announced, found in its
 * source's own listing. It names the artifact as an event would (the handler verifies it through
 * the reader role all the same) and the sweep's pass, which the points it makes record.
 */
export const sweepTriggerSchema = z.object({
  'backup-hub-sweep': z.string().check(z.minLength(1)),
  kind: z.string(),
  account: z.string().check(z.regex(/^\d{12}$/, 'account must be a 12-digit id')),
  region: z.string().check(z.minLength(1)),
  sourceId: z.string().check(z.minLength(1)),
  /** When the pass started: the time the pipeline records for the trigger. */
  time: z.string().check(z.minLength(1)),
  announced: z.optional(z.object({ at: z.string(), operation: z.string() })),
});

export type SweepTrigger = z.infer<typeof sweepTriggerSchema>;

/** Whether a message body is the sweep's (the field no EventBridge event has). */
export const isSweepTrigger = (json: unknown): boolean => typeof json === 'object' && json !== null && 'backup-hub-sweep' in json;

/** The envelope the pipeline records a sweep trigger under: its pass as the event id, no detail. */
export function sweepEnvelope(trigger: SweepTrigger): EventEnvelope {
  return {
    id: trigger['backup-hub-sweep'],
    'detail-type': 'backup-hub inventory sweep',
    source: 'backup-hub.sweep',
    account: trigger.account,
    region: trigger.region,
    time: trigger.time,
    resources: [],
    detail: {},
  };
}
