import type { ArtifactKindName } from '../shared/kinds/index.js';
import type { RebuiltSystem } from '../shared/rebuild/apply-rebuild.js';
import { rebuildAccount } from '../shared/rebuild/rebuild-account.js';
import { applyRestore, type RestoredArtifact } from '../shared/restore/apply-restore.js';
import { formatPlan, planRestore } from '../shared/restore/restore-plan.js';
import { pointKeyOf, type RestoreRequest, RestoreRequestError } from '../shared/restore/restore-request.js';
import { landingRegion, restoreRoleRegion, selectPoints, type Unrestorable } from '../shared/restore/restore-selection.js';
import { restoreTarget } from '../shared/restore/restore-target.js';
import type { DrillStep } from './drill-file.js';
import { type LocalHub, RECOVERY_NAMES } from './local-hub.js';

/** The RPO of one protected resource at its account's disaster: the age of its newest available recovery point then. */
export interface ReportedRpo {
  account: string;
  kind: ArtifactKindName;
  region: string;
  resourceId: string;
  /** When that recovery point was created in the source. */
  newestPointAt?: string;
  /** Null when nothing was available at the disaster (see `reason`). */
  minutes: number | null;
  reason?: string;
}

export interface ReportedRestoreRun {
  account: string;
  into: string;
  /** The vault region whose copies were restored from: the vault's own, or its DR region. */
  fromRegion: string;
  /** The region the restore landed in: `fromRegion`, or the other vault region (each copy copied there first). */
  toRegion: string;
  asOf: string;
  startedAt: string;
  finishedAt: string;
  /** Simulated minutes from the restore's start until the last artifact was usable; null when none was. */
  rtoMinutes: number | null;
  /** The age, at `asOf`, of the oldest of the recovery points restored (each its resource's newest in `fromRegion`); null when none was. */
  rpoMinutes: number | null;
  usable: number;
  failed: number;
  artifacts: (RestoredArtifact & { minutes: number })[];
  /** Resources with no recovery point to restore from. */
  unrestorable: Unrestorable[];
  /** With `rebuild`: each system rebuilt from the captured configuration, and when it ran or was available (minutes from the restore's start). */
  rebuilt?: RebuiltSystem[];
  /** With `rebuild`: minutes from the restore's start until the last system ran or was available; null when one was not rebuilt. */
  rtoToRunningMinutes?: number | null;
  /** With `rebuild`: captured systems that could not be rebuilt (no restored image or snapshot). */
  unbuildable?: { kind: string; name: string; reason: string }[];
}

/** The report's `restore` section: what was lost, what it cost (RPO), what came back and how fast (RTO). */
export interface RestoreSection {
  disasters: { account: string; at: string }[];
  /** Regions a `regionOutage` step took down, when, and when they came back (the drill's end). */
  outages: { region: string; at: string; endedAt?: string }[];
  rpo: ReportedRpo[];
  runs: ReportedRestoreRun[];
}

type DisasterStep = Extract<DrillStep, { action: 'disaster' }>;
type RegionOutageStep = Extract<DrillStep, { action: 'regionOutage' }>;
type RestoreStep = Extract<DrillStep, { action: 'restore' }>;

const RESTORE_POLL_MS = 60_000;

/**
 * The drill's game day: a `disaster` step measures each resource's RPO from the catalog, then wipes
 * the account in the simulated cloud; a `restore` step runs the same restore the CLI runs (plan,
 * then apply, with the restore role's credentials), simulated time passing while copies complete.
 */
export class GameDay {
  readonly #section: RestoreSection = { disasters: [], outages: [], rpo: [], runs: [] };

  constructor(private readonly hub: LocalHub) {}

  async disaster(step: DisasterStep): Promise<string> {
    const ctx = this.hub.restoreContext;
    const at = ctx.now();
    const { points, unrestorable } = await selectPoints({ account: step.account, asOf: at }, ctx).catch((error: unknown) => {
      // An account with no recovery point at all loses everything: nothing to measure.
      if (error instanceof RestoreRequestError) return { points: [], unrestorable: [] };
      throw error;
    });
    const rpo: ReportedRpo[] = [
      ...points.map((p) => ({
        account: p.account,
        kind: p.kind,
        region: p.region,
        resourceId: p.resourceId,
        newestPointAt: p.createdAt,
        minutes: Math.round((at.getTime() - Date.parse(p.createdAt)) / 60_000),
      })),
      ...unrestorable.map((u) => ({
        account: u.account,
        kind: u.kind,
        region: u.region,
        resourceId: u.resourceId,
        minutes: null,
        reason: u.reason,
      })),
    ];
    this.hub.loseAccount(step.account);
    this.#section.disasters.push({ account: step.account, at: at.toISOString() });
    this.#section.rpo.push(...rpo);
    const worst = Math.max(...rpo.map((r) => r.minutes ?? 0), 0);
    return `disaster: ${step.account} is lost (every snapshot, image, parameter, key and role gone); ${rpo.length} protected resource(s), worst RPO ${worst} min`;
  }

  /** The region goes down for the rest of the drill: every call to it fails, and its vault copies are out of reach. */
  regionOutage(step: RegionOutageStep): string {
    this.hub.cloud.outages.add(step.region);
    this.#section.outages.push({ region: step.region, at: this.hub.cloud.clock.now().toISOString() });
    return `regionOutage: ${step.region} is down; every call to it fails from now on`;
  }

  /**
   * The regions down come back, as the drill ends: what the hub wrote in the DR replicas meanwhile (the
   * restore's audit entries) replicates back, and the report reads the vault's region as usual.
   * @returns what ended, or undefined when no region was down
   */
  endOutages(): string | undefined {
    const down = this.#section.outages.filter((o) => o.endedAt === undefined);
    if (down.length === 0) return undefined;
    const at = this.hub.cloud.clock.now().toISOString();
    for (const outage of down) {
      this.hub.cloud.outages.delete(outage.region);
      outage.endedAt = at;
    }
    return `the outage ends: ${down.map((o) => o.region).join(', ')} back up`;
  }

  async restore(step: RestoreStep, say: (line: string) => void): Promise<string> {
    const { fromRegion, toRegion } = step;
    // The restore role, catalog and audit log the CLI uses: the vault region's it lands in, or else restores from.
    const landing = landingRegion(step, this.hub.restoreContext);
    const roleRegion = restoreRoleRegion(step, this.hub.restoreContext);
    const ctx = roleRegion === this.hub.restoreContext.config.vaultRegion ? this.hub.restoreContext : this.hub.restoreContextIn(roleRegion);
    const account = step.account ?? step.point!.split('/')[1]!;
    const disaster = this.#section.disasters.find((d) => d.account === account);
    const asOf = new Date(step.asOf ?? disaster?.at ?? ctx.now().toISOString());
    const request: RestoreRequest = {
      ...(step.point ? { point: pointKeyOf(step.point) } : { account, asOf }),
      ...(fromRegion ? { fromRegion } : {}),
      ...(toRegion ? { toRegion } : {}),
    };
    const target = await restoreTarget(step.into, RECOVERY_NAMES, ctx, landing);
    const plan = await planRestore(request, target, ctx);
    for (const line of formatPlan(plan)) say(`    ${line}`);
    const wait = (ms: number) => this.hub.cloud.advance(ms, { tickMs: RESTORE_POLL_MS }).then(() => undefined);
    const result = await applyRestore(plan, ctx, { wait, log: (line) => say(`    ${line}`), pollMs: RESTORE_POLL_MS });
    const rebuild = step.rebuild
      ? await rebuildAccount(ctx, target, { plan, asOf, result }, { wait, log: (line) => say(`    ${line}`) })
      : undefined;
    const usable = result.artifacts.filter((a) => a.status === 'usable');
    const rtoSeconds = usable.length ? Math.max(...usable.map((a) => a.seconds)) : undefined;
    const run: ReportedRestoreRun = {
      account,
      into: step.into,
      fromRegion: plan.regions.from,
      toRegion: plan.regions.to,
      asOf: asOf.toISOString(),
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      rtoMinutes: rtoSeconds === undefined ? null : Math.round(rtoSeconds / 60),
      rpoMinutes: result.artifacts.length
        ? Math.round(Math.max(...result.artifacts.map((a) => asOf.getTime() - Date.parse(a.pointCreatedAt))) / 60_000)
        : null,
      usable: usable.length,
      failed: result.artifacts.length - usable.length,
      artifacts: result.artifacts.map((a) => ({ ...a, minutes: Math.round(a.seconds / 60) })),
      unrestorable: plan.unrestorable,
      ...(rebuild
        ? {
            rebuilt: rebuild.rebuilt,
            rtoToRunningMinutes: rebuild.rtoMinutes ?? null,
            unbuildable: rebuild.regions.flatMap((r) => r.plan.unbuildable),
          }
        : {}),
    };
    this.#section.runs.push(run);
    const running = rebuild
      ? `; rebuilt ${rebuild.rebuilt.filter((r) => r.status !== 'failed').length} of ${rebuild.rebuilt.length} system(s), RTO to running ${run.rtoToRunningMinutes ?? '-'} simulated minutes`
      : '';
    return `restore of ${step.point ?? account} into ${step.into}${fromRegion ? ` from ${fromRegion}` : ''}${toRegion ? ` in ${toRegion}` : ''}: ${run.usable} usable, ${run.failed} failed, ${run.unrestorable.length} not restorable; RTO ${run.rtoMinutes ?? '-'} simulated minutes${running}`;
  }

  report(): RestoreSection {
    return this.#section;
  }
}
