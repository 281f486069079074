import { headedTable as table } from '../shared/report/text-table.js';
import type { RestoreSection } from './game-day.js';

/**
 * The game-day part of the drill summary: per disaster the RPO of every resource, per restore what
 * was restored and how long it took (RTO), and what could not be.
 */
export function formatGameDay(section: RestoreSection): string[] {
  if (section.disasters.length === 0 && section.runs.length === 0) return [];
  const parts = ['\n== game day'];
  for (const disaster of section.disasters) {
    const rpo = section.rpo.filter((r) => r.account === disaster.account);
    parts.push(
      `\n-- disaster: ${disaster.account} lost at ${disaster.at}; RPO per protected resource (age of its newest available recovery point then)`,
      table(
        ['kind', 'region', 'resource', 'newest recovery point', 'RPO (min)'],
        rpo.map((r) => [
          r.kind,
          r.region,
          r.resourceId,
          r.newestPointAt ?? `none: ${r.reason ?? ''}`,
          r.minutes === null ? '-' : String(r.minutes),
        ]),
      ),
    );
  }
  for (const outage of section.outages)
    parts.push(
      `\n-- region outage: ${outage.region} down from ${outage.at}${outage.endedAt ? ` until ${outage.endedAt} (the drill's end)` : ''}; every call to it failed meanwhile`,
    );
  for (const run of section.runs) {
    parts.push(
      `\n-- restore of ${run.account} into ${run.into} from the vault copies in ${run.fromRegion}${run.toRegion === run.fromRegion ? '' : ` into ${run.toRegion}`} (as of ${run.asOf}): ${run.usable} restored, ${run.failed} failed, ${run.unrestorable.length} could not be; RPO ${run.rpoMinutes ?? '-'} min (its oldest newest point), RTO ${run.rtoMinutes ?? '-'} simulated minutes`,
      table(
        ['kind', 'resource', 'recovery point', 'status', 'usable as', 'after (min)'],
        run.artifacts.map((a) => [a.kind, a.resourceId, a.sourceId, a.status, a.restoredId ?? `- (${a.detail})`, String(a.minutes)]),
      ),
    );
    if (run.unrestorable.length)
      parts.push('could not be restored:', ...run.unrestorable.map((u) => `  - ${u.kind} ${u.resourceId} (${u.region}): ${u.reason}`));
    if (run.rebuilt)
      parts.push(
        `\n-- rebuild of ${run.account} in ${run.into} from its captured configuration: RTO to running ${run.rtoToRunningMinutes ?? '- (not every system came up)'} simulated minutes`,
        table(
          ['system', 'name', 'restored from', 'status', 'running after (min)'],
          run.rebuilt.map((r) => [r.kind, r.name, r.restoredFrom, r.status, String(r.minutes)]),
        ),
        ...(run.unbuildable ?? []).map((u) => `  cannot rebuild ${u.kind} ${u.name}: ${u.reason}`),
      );
  }
  return parts;
}
