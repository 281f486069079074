import { performance } from 'node:perf_hooks';
import { deployLocalHub, type LocalHub } from '../drill/local-hub.js';
import type { AuditEntry } from '../shared/audit/audit-entry.js';
import { type RecoveryPoint, recoveryPointKey } from '../shared/catalog/recovery-point.js';
import { ARTIFACT_KINDS, type ArtifactKindName } from '../shared/kinds/index.js';
import { hasOpenWork } from '../shared/pipeline/open-work.js';
import { sweepSettingsFromEnv } from '../shared/sweep/sweep-settings.js';
import { SOAK_KINDS } from './soak-kinds.js';
import { busySlotMs, duplicateCopies, indexRecords, peakPerRegion, readRecords, type Settlement, settlementsOf } from './soak-metrics.js';
import {
  DR_REGION,
  injectFaults,
  POISON_SOURCE,
  prepareDeliveries,
  REGION,
  type Runaway,
  regionsOf,
  SOURCES,
  type SoakDelivery,
  THROTTLE_CODES,
  VAULT,
} from './soak-scenario.js';
import { percentile } from './stats.js';

export interface SoakOptions {
  events: number;
  /** The vault's concurrent copy quota Q of each kind that has one (EC2 and RDS enforce it). */
  quota?: number;
  /** Share of the pipeline's AWS calls that are throttled. */
  throttleShare?: number;
  /** Simulated time between polls of the queues and timers (the reconciler runs every 5 minutes anyway). */
  tickMs?: number;
  /** How long an EC2 copy (snapshot or AMI) of that size takes (default: 5 min plus 15 s per GiB, 7 min to 2h10). */
  copyDurationMs?: (sizeGiB: number) => number;
  /** How long an RDS snapshot copy takes (default 20 min). */
  rdsCopyDurationMs?: number;
  /** One of the sources snapshotting by the thousand besides its ordinary share (the fairness variant). */
  runaway?: Runaway;
}

/** Simulated seconds from a source artifact's creation to its vault copy being available, over one source's available points. */
export interface TimeToProtection {
  points: number;
  p50Seconds: number;
  p95Seconds: number;
  /** Of that, from the artifact's creation to the hub recording its point (the event's way through the queue): p50. */
  recordedP50Seconds: number;
  /** From the artifact's creation to its vault copy being requested (the queue, a re-encryption in the source, the wait for a slot): p50. */
  requestedP50Seconds: number;
}

/** One kind's figures. Quota-bound kinds (EBS snapshots, AMIs, RDS snapshots) run at most Q copies at once. */
export interface SoakKindReport {
  events: number;
  copied: number;
  /** Available recovery points: each holds exactly one vault copy (an SSM event can bring many versions). */
  availablePoints: number;
  /** Artifacts the inventory sweep protected: no event of the soak copied them (their events were forged, failures, or still queued). */
  swept: number;
  vaultCopies: number;
  /** Of those, the copies in the vault's DR region. */
  drCopies: number;
  duplicateCopies: number;
  /** The most copies at once in any one destination region (the vault's, or its DR region). */
  peakConcurrentCopies: number;
  peakByRegion: Record<string, number>;
  quota?: number;
  quotaUtilization?: number;
  idealDrainSeconds?: number;
}

/** The soak's figures; times are simulated seconds. */
export interface SoakReport {
  /** Input events: the burst's, and those of the changes after it (`followUpEvents`). */
  events: number;
  /** Events announcing a change made once the burst had settled (a parameter deleted and created again). */
  followUpEvents: number;
  deliveries: number;
  duplicateDeliveries: number;
  /** The registered kinds the soak does not announce (none, unless a kind was added without a soak generator). */
  kindsNotSoaked: string[];
  copied: number;
  skipped: number;
  rejected: number;
  rejectedBy: Record<string, number>;
  dlq: number;
  /** Recovery points the catalog marks failed, missed ones aside (none expected: nothing in the soak fails in AWS or is refused for good). */
  failed: number;
  /** Failed points that record what the source no longer held when the vault looked (SSM versions past a parameter's 100): expected for the long parameters. */
  missed: number;
  /** Input events with no settlement in the hub's records. */
  lost: number;
  /** Input events with more than one settlement (an accounting contradiction). */
  multiplySettled: number;
  /** The first few events that were lost or settled more than once, with what the records say of them, to investigate. */
  contradictions: { id: string; settlements: Settlement[]; audit: string[]; points: string[]; byKey: string[] }[];
  duplicateCopies: number;
  /** Recovery points whose vault copy the integrity sweep found gone (none: nothing deletes a vault copy in the soak). */
  lostCopies: number;
  /** The inventory sweep's API calls in each source account and region, per simulated hour, against its budget. */
  sweep: SweepFigures;
  peakConcurrentCopies: number;
  quota: number;
  /** The quota-bound kind the headline `quotaUtilization` and `idealDrainSeconds` are of: the one that kept its copy slots busiest. */
  quotaKind: ArtifactKindName;
  quotaUtilization: number;
  drainSeconds: number;
  idealDrainSeconds: number;
  byKind: Partial<Record<ArtifactKindName, SoakKindReport>>;
  /** RDS and Aurora snapshots taken outside the vault's region (copied into it across regions): input events, and those copied. */
  rdsOutsideVaultRegion: { events: number; copied: number };
  /** Per ordinary source (the poison one copies nothing), over its EBS snapshots, AMIs and RDS and Aurora snapshots. */
  timeToProtection: Record<string, TimeToProtection>;
  apiCalls: number;
  throttledCalls: number;
  throttledShare: number;
  wallSeconds: number;
}

/** What the inventory sweep cost the sources. */
export interface SweepFigures {
  budgetPerSecond: number;
  /** The most a source region's budget allows in an hour. */
  budgetPerHour: number;
  /** Simulated hours the soak ran. */
  hours: number;
  /** Per source account and region: calls in all, the mean per hour, and the busiest clock hour. */
  perSource: { account: string; region: string; calls: number; meanPerHour: number; maxPerHour: number }[];
  /** The busiest clock hour of any source region. */
  maxPerHour: number;
}

/** AWS publishes no copy times ("minutes to hours"); long enough that a 5-minute reconciler is not the bottleneck. */
const defaultCopyDuration = (sizeGiB: number) => 5 * 60_000 + sizeGiB * 15_000;
/** How often the run checks whether the hub has settled. */
const CHECK_EVERY_MS = 30 * 60_000;
/** A run that has not settled after this much simulated time is reported as it stands. */
const MAX_SIM_MS = 90 * 86_400_000;

/**
 * Deploys the hub on the simulated cloud, announces every artifact at once (the bad day: a
 * burst far beyond the copy quota), with throttling, duplicates, poison and forged events,
 * runs simulated time until the hub has settled, and reports from the hub's own records.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const {
    events,
    quota = 20,
    throttleShare = 0.2,
    tickMs = 5 * 60_000,
    copyDurationMs = defaultCopyDuration,
    rdsCopyDurationMs = 20 * 60_000,
    runaway,
  } = options;
  const wallStart = performance.now();
  const hub = await deployLocalHub({
    vault: { account: VAULT, region: REGION, drRegion: DR_REGION },
    sources: [...SOURCES, POISON_SOURCE].map((account) => ({ account, regions: regionsOf(account) })),
    ec2: { snapshotDurationMs: 0, copyQuota: quota, imageCopyQuota: quota, copyDurationMs },
    // Every RDS vault copy is a manual snapshot: an operator protecting this many raises the quota of 100 per region.
    // Aurora's own quota is 5 copies at once; the soak holds every quota-bound kind to the same Q.
    rds: {
      snapshotDurationMs: 0,
      copyDurationMs: rdsCopyDurationMs,
      copyQuota: quota,
      clusterCopyQuota: quota,
      manualSnapshotQuota: 100_000,
    },
    // A decision per request shape (test/iam/fast-path.test.ts checks it against the library on every shape the drills produce).
    authorization: 'fast',
  });
  try {
    const input = prepareDeliveries(hub, events, runaway);
    await hub.cloud.advance(tickMs, { tickMs }); // the source artifacts become ready
    const burst = input.burst();
    injectFaults(hub, throttleShare);
    const callsBefore = hub.cloud.calls.length;
    const startedAt = hub.cloud.clock.nowMs();
    const deployedAt = hub.startedAt;
    for (const { event, via } of burst) hub.forward(event, via);
    await runUntilSettled(hub, tickMs);
    const followUps = input.afterBurst();
    for (const { event, via } of followUps) hub.forward(event, via);
    await runUntilSettled(hub, tickMs);
    return await report(hub, {
      events: events + (runaway?.events ?? 0),
      deliveries: [...burst, ...followUps],
      followUps: followUps.length,
      quota,
      startedAt,
      deployedAt,
      callsBefore,
      wallStart,
    });
  } finally {
    await hub.close();
  }
}

async function runUntilSettled(hub: LocalHub, tickMs: number): Promise<void> {
  const deadline = hub.cloud.clock.nowMs() + MAX_SIM_MS;
  while (hub.cloud.clock.nowMs() < deadline) {
    await hub.cloud.advance(CHECK_EVERY_MS, { tickMs });
    if (await isSettled(hub)) return;
  }
}

/** No message left on a copy queue, and no recovery point pending or waiting for a copy slot. */
async function isSettled(hub: LocalHub): Promise<boolean> {
  if (Object.values(hub.queues).some((q) => hub.sqs.depth(q.arn) > 0)) return false;
  return !(await hasOpenWork(hub.runtimes.reconciler!.hubContext()));
}

interface RunFacts {
  events: number;
  deliveries: SoakDelivery[];
  followUps: number;
  quota: number;
  startedAt: number;
  deployedAt: number;
  callsBefore: number;
  wallStart: number;
}

async function report(hub: LocalHub, run: RunFacts): Promise<SoakReport> {
  const records = await readRecords(hub, [...SOURCES, POISON_SOURCE]);
  const index = indexRecords(records);
  const kindOfEvent = new Map(run.deliveries.map((d) => [d.event.id, d.kind]));
  const outsideVaultRegion = new Set(run.deliveries.filter((d) => d.region !== REGION).map((d) => d.event.id));
  let copiedOutside = 0;
  const counts: Record<Settlement | 'lost' | 'multiply', number> = { copied: 0, skipped: 0, rejected: 0, dlq: 0, lost: 0, multiply: 0 };
  const copiedByKind = new Map<ArtifactKindName, number>();
  const contradictions: SoakReport['contradictions'] = [];
  for (const id of kindOfEvent.keys()) {
    const settled = settlementsOf(id, index);
    if (settled.length !== 1 && contradictions.length < 10) {
      const entries = records.audit.filter((e) => e.eventId === id);
      const sourceIds = new Set(entries.map((e) => e.sourceId).filter(Boolean));
      const points = records.points
        .filter((p) => p.eventId === id || sourceIds.has(p.sourceId))
        .map((p) => `${p.pk} ${p.state}/${p.stage} event ${p.eventId}`);
      // Read by key too: an item missing from the by-account index (no account or createdAt) is still found.
      const byKey = await storedItems(hub, entries);
      contradictions.push({
        id,
        settlements: settled,
        audit: entries.map((e) => `${e.at} ${e.decision}: ${e.reason ?? ''}`),
        points,
        byKey,
      });
    }
    if (settled.length === 0) counts.lost += 1;
    else if (settled.length > 1) counts.multiply += 1;
    else counts[settled[0]!] += 1;
    const kind = kindOfEvent.get(id)!;
    if (settled.length === 1 && settled[0] === 'copied') copiedByKind.set(kind, (copiedByKind.get(kind) ?? 0) + 1);
    if (settled.length === 1 && settled[0] === 'copied' && outsideVaultRegion.has(id)) copiedOutside += 1;
  }
  const drainMs = drainOf(records.points, run.startedAt);
  const byKind: SoakReport['byKind'] = {};
  for (const { kind, quotaBound } of SOAK_KINDS) {
    const copies = records.vaultCopies.filter((c) => c.kind === kind);
    const peaks = peakPerRegion(copies);
    // Utilization is the vault region's: the DR region has a quota of its own.
    const busy = busySlotMs(copies.filter((c) => c.region === REGION));
    byKind[kind] = {
      events: [...kindOfEvent.values()].filter((k) => k === kind).length,
      copied: copiedByKind.get(kind) ?? 0,
      availablePoints: records.points.filter((p) => p.kind === kind && p.state === 'available').length,
      swept: records.points.filter((p) => p.kind === kind && p.trigger === 'sweep' && p.state === 'available').length,
      vaultCopies: copies.length,
      drCopies: copies.filter((c) => c.region === DR_REGION).length,
      duplicateCopies: duplicateCopies(copies),
      peakConcurrentCopies: Math.max(0, ...Object.values(peaks)),
      peakByRegion: peaks,
      ...(quotaBound
        ? {
            quota: run.quota,
            quotaUtilization: utilization(
              busy,
              run.quota,
              drainOf(
                records.points.filter((p) => p.kind === kind),
                run.startedAt,
              ),
            ),
            idealDrainSeconds: Math.round(busy / run.quota / 1000),
          }
        : {}),
    };
  }
  // The headline quota figures are those of the quota-bound kind that kept its slots busiest.
  const busiest = SOAK_KINDS.filter((k) => k.quotaBound)
    .map((k) => ({ kind: k.kind, busy: busySlotMs(records.vaultCopies.filter((c) => c.kind === k.kind && c.region === REGION)) }))
    .sort((a, b) => b.busy - a.busy)[0]!;
  // The catalog's and audit log's DynamoDB calls are not throttled in the scenario, and were never counted here.
  const calls = hub.cloud.calls.slice(run.callsBefore).filter((c) => c.service !== 'dynamodb');
  const throttled = calls.filter((c) => c.error !== undefined && THROTTLE_CODES.has(c.error)).length;
  const missed = records.points.filter((p) => p.state === 'failed' && p.failureReason?.startsWith('missed:')).length;
  return {
    events: run.events + run.followUps,
    followUpEvents: run.followUps,
    deliveries: run.deliveries.length,
    duplicateDeliveries: run.deliveries.length - run.events - run.followUps,
    kindsNotSoaked: ARTIFACT_KINDS.filter((kind) => !SOAK_KINDS.some((k) => k.kind === kind)),
    copied: counts.copied,
    skipped: counts.skipped,
    rejected: counts.rejected,
    rejectedBy: index.rejectedBy,
    dlq: counts.dlq,
    failed: records.points.filter((p) => p.state === 'failed').length - missed,
    missed,
    lost: counts.lost,
    multiplySettled: counts.multiply,
    contradictions,
    duplicateCopies: duplicateCopies(records.vaultCopies),
    lostCopies: records.points.filter((p) => p.state === 'lost').length,
    sweep: await sweepFigures(hub, run.deployedAt),
    peakConcurrentCopies: Math.max(...SOAK_KINDS.filter((k) => k.quotaBound).map((k) => byKind[k.kind]!.peakConcurrentCopies)),
    quota: run.quota,
    quotaKind: busiest.kind,
    quotaUtilization: utilization(busiest.busy, run.quota, drainMs),
    drainSeconds: Math.round(drainMs / 1000),
    idealDrainSeconds: Math.round(busiest.busy / run.quota / 1000),
    byKind,
    rdsOutsideVaultRegion: { events: outsideVaultRegion.size, copied: copiedOutside },
    timeToProtection: Object.fromEntries(
      SOURCES.map((account) => [account, timeToProtection(records.points, account, copyRequests(records.audit))]),
    ),
    apiCalls: calls.length,
    throttledCalls: throttled,
    throttledShare: round(calls.length ? throttled / calls.length : 0, 3),
    wallSeconds: round((performance.now() - run.wallStart) / 1000, 1),
  };
}

/**
 * The sweep's calls in the sources, from the simulated cloud's own record of calls (the reader
 * role's sessions the sweep function opened, named after it), per source region and clock hour.
 */
async function sweepFigures(hub: LocalHub, deployedAt: number): Promise<SweepFigures> {
  const budget = sweepSettingsFromEnv(hub.runtimes.sweep!.env);
  const hours = Math.max(1, Math.ceil((hub.cloud.clock.nowMs() - deployedAt) / 3_600_000));
  const sweepSession = /:assumed-role\/[^/]+\/[^/]*-sweep$/;
  const perSource = [...(await hub.context.sources.all())].flatMap(([account, { regions }]) =>
    regions.map((region) => {
      const byHour = new Map<number, number>();
      for (const call of hub.cloud.calls)
        if (call.account === account && call.region === region && sweepSession.test(call.session ?? ''))
          byHour.set(Math.floor((call.at - deployedAt) / 3_600_000), (byHour.get(Math.floor((call.at - deployedAt) / 3_600_000)) ?? 0) + 1);
      const calls = [...byHour.values()].reduce((a, b) => a + b, 0);
      return { account, region, calls, meanPerHour: round(calls / hours, 1), maxPerHour: Math.max(0, ...byHour.values()) };
    }),
  );
  const perSecond = budget.callsPerSecond;
  return {
    budgetPerSecond: perSecond,
    budgetPerHour: perSecond * 3600,
    hours,
    perSource,
    maxPerHour: Math.max(0, ...perSource.map((s) => s.maxPerHour)),
  };
}

/** When each point's vault copy was first requested (its `copied` audit entry; a copy in a further region aside), by point key. */
function copyRequests(audit: AuditEntry[]): Map<string, string> {
  const requested = new Map<string, string>();
  for (const e of audit)
    if (e.decision === 'copied' && !e.copyRegion && e.kind && e.account && e.region && e.sourceId) {
      const pk = recoveryPointKey(e.kind, e.account, e.region, e.sourceId, e.life);
      if (!requested.has(pk)) requested.set(pk, e.at);
    }
  return requested;
}

/** Over the kinds whose copies wait for slots: an SSM event brings many versions, copied at once, that would swamp the figures. */
function timeToProtection(points: RecoveryPoint[], account: string, requested: Map<string, string>): TimeToProtection {
  const slotBound = new Set(SOAK_KINDS.filter((k) => k.quotaBound).map((k) => k.kind));
  const protectedPoints = points.filter((p) => p.account === account && slotBound.has(p.kind) && p.state === 'available' && p.completedAt);
  const since = (p: RecoveryPoint, at: string) => (Date.parse(at) - Date.parse(p.createdAt)) / 1000;
  const seconds = protectedPoints.map((p) => since(p, p.completedAt!));
  return {
    points: seconds.length,
    p50Seconds: percentile(seconds, 50),
    p95Seconds: percentile(seconds, 95),
    recordedP50Seconds: percentile(
      protectedPoints.map((p) => since(p, p.recordedAt)),
      50,
    ),
    requestedP50Seconds: percentile(
      protectedPoints.flatMap((p) => (requested.has(p.pk) ? [since(p, requested.get(p.pk)!)] : [])),
      50,
    ),
  };
}

/** From the burst to the last recovery point settled. */
function drainOf(points: RecoveryPoint[], startedAt: number): number {
  return Math.max(startedAt, ...points.map((p) => Date.parse(p.completedAt ?? p.updatedAt))) - startedAt;
}

const utilization = (busyMs: number, quota: number, drainMs: number) => round(drainMs > 0 ? busyMs / (quota * drainMs) : 0, 3);

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The catalog items the audit entries of an event name, read by their key, with the attributes they hold. */
async function storedItems(hub: LocalHub, entries: AuditEntry[]): Promise<string[]> {
  const keys = new Set(
    entries
      .filter((e) => e.kind && e.account && e.region && e.sourceId)
      .map((e) => recoveryPointKey(e.kind!, e.account!, e.region!, e.sourceId!, e.life)),
  );
  const out: string[] = [];
  for (const pk of keys) {
    const item = await hub.context.catalog.get(pk);
    out.push(item ? `${pk}: ${Object.keys(item).sort().join(',')} ${item.state}/${item.stage}` : `${pk}: no item`);
  }
  return out;
}
