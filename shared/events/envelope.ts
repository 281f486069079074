// zod/mini tree-shakes: the classic API would add ~450 KB to every handler bundle.
import * as z from 'zod/mini';

/** The EventBridge envelope. Only the fields the hub relies on are checked; `detail` is checked per kind. */
export const eventEnvelopeSchema = z.object({
  version: z.optional(z.string()),
  id: z.string().check(z.minLength(1)),
  'detail-type': z.string().check(z.minLength(1)),
  source: z.string().check(z.minLength(1)),
  account: z.string().check(z.regex(/^\d{12}$/, 'account must be a 12-digit id')),
  time: z.string().check(z.minLength(1)),
  region: z.string().check(z.minLength(1)),
  resources: z._default(z.array(z.string()), []),
  detail: z.record(z.string(), z.unknown()),
});

export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** A short readable list of what is wrong with a value, for rejections. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'event'}: ${i.message}`).join('; ');
}
