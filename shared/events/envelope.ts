import { z } from 'zod';

/** The EventBridge envelope. Only the fields the hub relies on are checked; `detail` is checked per kind. */
export const eventEnvelopeSchema = z.object({
  version: z.string().optional(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, 'account must be a 12-digit id'),
  time: z.string().min(1),
  region: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** A short readable list of what is wrong with a value, for rejections. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'event'}: ${i.message}`).join('; ');
}
