import type { ProtectedResource } from '../catalog/protected-resource.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { RpoStanding } from '../metrics/hub-metrics.js';
import type { HubContext } from '../runtime/hub-context.js';
import { type RpoSettings, rpoSettings } from './rpo-settings.js';
import { type AccountStanding, syncSourceAlarms, type WorstResource } from './source-alarms.js';

/** The scheduled run: every recorded source's targets. */
export async function scheduledRpoCheck(ctx: HubContext, budget: RpoBudget, topicArn: string): Promise<RpoCheckResult> {
  return checkRpo(ctx, rpoSettings(await ctx.sources.all()), budget, topicArn);
}

/** What one run may spend: Queries (each reads up to 1 MB of an account's resources) and time. */
export interface RpoBudget {
  maxQueries: number;
  /** The run stops starting new accounts once this little time is left. */
  reserveMs: number;
  remainingMs: () => number;
}

export interface RpoCheckResult {
  accounts: AccountStanding[];
  queries: number;
  /** Set when the budget ran out: the next run starts at this account. */
  resumeAt?: string;
}

/** Where a run that could not finish leaves the next one: kept in the catalog table. */
const CURSOR_KEY = 'MONITOR#rpo-cursor';

/**
 * The RPO of the estate, from the catalog's protected resources (Queries only): per source
 * account, region and kind, how many resources' newest available recovery point is older than
 * their `rpoHours` (a resource never copied counts from when it was first seen), and the age of the
 * group's newest point, as metrics; then the per-source alarms are brought in line, naming each
 * account's worst resource. Accounts are read in a fixed order within a budget: a run that runs out
 * says so (a warning and the RpoCheckUnfinished metric) and the next one resumes where it stopped.
 */
export async function checkRpo(ctx: HubContext, settings: RpoSettings, budget: RpoBudget, topicArn: string): Promise<RpoCheckResult> {
  const accounts = Object.keys(settings).sort();
  const cursor = await ctx.catalog.marker(CURSOR_KEY);
  const start = cursor && accounts.includes(cursor) ? accounts.indexOf(cursor) : 0;
  const now = ctx.now().getTime();
  const visited: AccountStanding[] = [];
  let queries = 0;
  let resumeAt: string | undefined;
  for (const account of [...accounts.slice(start), ...accounts.slice(0, start)]) {
    if (queries >= budget.maxQueries || budget.remainingMs() < budget.reserveMs) {
      resumeAt = account;
      break;
    }
    const resources: ProtectedResource[] = [];
    let next: Record<string, unknown> | undefined;
    do {
      const page = await ctx.catalog.protectedResources(account, next);
      queries += 1;
      resources.push(...page.resources);
      next = page.next;
    } while (next);
    visited.push(standing(ctx, account, resources, settings[account]!, now));
  }
  await ctx.catalog.setMarker(CURSOR_KEY, resumeAt);
  const over = visited.reduce((sum, a) => sum + a.over, 0);
  const alarms = await syncSourceAlarms(ctx, settings, visited, topicArn);
  ctx.metrics.rpoCheck(over, resumeAt !== undefined);
  const summary = { accounts: visited.length, of: accounts.length, queries, resourcesOverRpo: over, ...alarms };
  if (resumeAt) ctx.logger.warn('RPO check unfinished: its budget ran out; the next run resumes here', { ...summary, resumeAt });
  else ctx.logger.info('RPO check finished', summary);
  return { accounts: visited, queries, ...(resumeAt ? { resumeAt } : {}) };
}

/** One account's standing, its metrics written per region and kind and for the whole account. */
function standing(
  ctx: HubContext,
  account: string,
  resources: ProtectedResource[],
  source: RpoSettings[string],
  now: number,
): AccountStanding {
  const groups = new Map<string, { region: string; kind: ArtifactKindName; standing: RpoStanding }>();
  let worst: (WorstResource & { overBy: number }) | undefined;
  for (const resource of resources) {
    const rpoHours = source.rpoHours[resource.kind];
    if (rpoHours === undefined) continue;
    const key = `${resource.region}|${resource.kind}`;
    const group = groups.get(key) ?? { region: resource.region, kind: resource.kind, standing: { over: 0, within: 0 } };
    groups.set(key, group);
    const ageSeconds = (now - Date.parse(resource.newestAvailableAt ?? resource.firstSeenAt)) / 1000;
    if (resource.newestAvailableAt !== undefined && !(ageSeconds >= (group.standing.newestAgeSeconds ?? Infinity)))
      group.standing.newestAgeSeconds = ageSeconds;
    const overBy = ageSeconds / 3600 / rpoHours;
    if (overBy <= 1) {
      group.standing.within += 1;
      continue;
    }
    group.standing.over += 1;
    if (!worst || overBy > worst.overBy)
      worst = {
        kind: resource.kind,
        region: resource.region,
        resourceId: resource.resourceId,
        ...(resource.newestAvailableAt ? { newestAt: resource.newestAvailableAt } : {}),
        rpoHours,
        overBy,
      };
  }
  let over = 0;
  let within = 0;
  for (const group of groups.values()) {
    ctx.metrics.rpoStanding({ account, region: group.region, kind: group.kind }, group.standing);
    over += group.standing.over;
    within += group.standing.within;
  }
  ctx.metrics.accountRpo(account, over, within);
  if (!worst) return { account, over };
  const { overBy: _ratio, ...named } = worst;
  return { account, over, worst: named };
}
