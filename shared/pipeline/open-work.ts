import { artifactKinds } from '../kinds/registry.js';
import type { HubContext } from '../runtime/hub-context.js';
import { copyQuotaKeys } from './copy-quota.js';

/** Whether any recovery point is still pending: in a stage, or waiting for a copy slot (those are listed per quota, not as pending). */
export async function hasOpenWork(ctx: HubContext): Promise<boolean> {
  for await (const _ of ctx.catalog.byState('pending')) return true;
  for (const kind of Object.values(artifactKinds)) {
    for (const quota of copyQuotaKeys(kind.name, ctx.config)) for await (const _ of ctx.catalog.waiting(quota, 1)) return true;
  }
  return false;
}
