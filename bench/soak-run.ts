import { performance } from 'node:perf_hooks';
import { artifactKinds } from '../shared/kinds/registry.js';
import { hasOpenWork } from '../shared/pipeline/open-work.js';
import { deployLocalHub, type LocalHub } from '../sim/local-hub.js';
import { busySlotMs, duplicateCopies, indexRecords, peakConcurrent, readRecords, settlementsOf, type Settlement } from './soak-metrics.js';
import { buildDeliveries, injectFaults, POISON_SOURCE, REGION, SOAKED_KINDS, SOURCES, THROTTLE_CODES, VAULT } from './soak-scenario.js';

export interface SoakOptions {
  events: number;
  /** The vault's concurrent copy quota Q (EC2 enforces it). */
  quota?: number;
  /** Share of the pipeline's AWS calls that are throttled. */
  throttleShare?: number;
  /** Simulated time between polls of the queues and timers (the reconciler runs every 5 minutes anyway). */
  tickMs?: number;
  /** How long a copy of a snapshot of that size takes (default: 5 min plus 15 s per GiB, 7 min to 2h10). */
  copyDurationMs?: (sizeGiB: number) => number;
}

/** The soak's figures; times are simulated seconds. */
export interface SoakReport {
  events: number;
  deliveries: number;
  duplicateDeliveries: number;
  /** The registered kinds this soak generates events for, and those it does not (yet). */
  kindsSoaked: string[];
  kindsNotSoaked: string[];
  copied: number;
  skipped: number;
  rejected: number;
  rejectedBy: Record<string, number>;
  dlq: number;
  /** Recovery points the catalog marks failed (none expected: nothing in the soak fails in AWS). */
  failed: number;
  /** Input events with no settlement in the hub's records. */
  lost: number;
  /** Input events with more than one settlement (an accounting contradiction). */
  multiplySettled: number;
  duplicateCopies: number;
  peakConcurrentCopies: number;
  quota: number;
  quotaUtilization: number;
  drainSeconds: number;
  idealDrainSeconds: number;
  apiCalls: number;
  throttledCalls: number;
  throttledShare: number;
  wallSeconds: number;
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
  const { events, quota = 20, throttleShare = 0.2, tickMs = 5 * 60_000, copyDurationMs = defaultCopyDuration } = options;
  const wallStart = performance.now();
  const hub = await deployLocalHub({
    vault: { account: VAULT, region: REGION },
    sources: [...SOURCES, POISON_SOURCE].map((account) => ({ account, regions: [REGION] })),
    ec2: { snapshotDurationMs: 0, copyQuota: quota, copyDurationMs },
  });
  try {
    const deliveries = buildDeliveries(hub, events);
    await hub.lambda.advance(tickMs, { tickMs }); // the source snapshots complete
    injectFaults(hub, throttleShare);
    const callsBefore = hub.cloud.calls.length;
    const startedAt = hub.cloud.clock.nowMs();
    for (const { event, via } of deliveries) hub.events.forward(hub.vaultBusArn, event, via);
    await runUntilSettled(hub, tickMs);
    return await report(hub, { events, deliveries: deliveries.length, quota, startedAt, callsBefore, wallStart });
  } finally {
    await hub.close();
  }
}

async function runUntilSettled(hub: LocalHub, tickMs: number): Promise<void> {
  const deadline = hub.cloud.clock.nowMs() + MAX_SIM_MS;
  while (hub.cloud.clock.nowMs() < deadline) {
    await hub.lambda.advance(CHECK_EVERY_MS, { tickMs });
    if ((await isSettled(hub))) return;
  }
}

/** No message left on a copy queue, and no recovery point pending or waiting for a copy slot. */
async function isSettled(hub: LocalHub): Promise<boolean> {
  if (Object.values(hub.queues).some((q) => hub.sqs.depth(q.arn) > 0)) return false;
  return !(await hasOpenWork(hub.context));
}

async function report(hub: LocalHub, run: { events: number; deliveries: number; quota: number; startedAt: number; callsBefore: number; wallStart: number }): Promise<SoakReport> {
  const records = await readRecords(hub, [...SOURCES, POISON_SOURCE]);
  const index = indexRecords(records);
  const counts: Record<Settlement | 'lost' | 'multiply', number> = { copied: 0, skipped: 0, rejected: 0, dlq: 0, lost: 0, multiply: 0 };
  for (let i = 0; i < run.events; i++) {
    const settled = settlementsOf(`soak-${i}`, index);
    if (settled.length === 0) counts.lost += 1;
    else if (settled.length > 1) counts.multiply += 1;
    else counts[settled[0]!] += 1;
  }
  const lastCompletion = Math.max(run.startedAt, ...records.points.map((p) => Date.parse(p.completedAt ?? p.updatedAt)));
  const drainMs = lastCompletion - run.startedAt;
  const busy = busySlotMs(records.vaultCopies);
  const calls = hub.cloud.calls.slice(run.callsBefore);
  const throttled = calls.filter((c) => c.error !== undefined && THROTTLE_CODES.has(c.error)).length;
  return {
    events: run.events,
    deliveries: run.deliveries,
    duplicateDeliveries: run.deliveries - run.events,
    kindsSoaked: [...SOAKED_KINDS],
    kindsNotSoaked: Object.keys(artifactKinds).filter((kind) => !SOAKED_KINDS.includes(kind)),
    copied: counts.copied,
    skipped: counts.skipped,
    rejected: counts.rejected,
    rejectedBy: index.rejectedBy,
    dlq: counts.dlq,
    failed: records.points.filter((p) => p.state === 'failed').length,
    lost: counts.lost,
    multiplySettled: counts.multiply,
    duplicateCopies: duplicateCopies(records.vaultCopies),
    peakConcurrentCopies: peakConcurrent(records.vaultCopies),
    quota: run.quota,
    quotaUtilization: round(drainMs > 0 ? busy / (run.quota * drainMs) : 0, 3),
    drainSeconds: Math.round(drainMs / 1000),
    idealDrainSeconds: Math.round(busy / run.quota / 1000),
    apiCalls: calls.length,
    throttledCalls: throttled,
    throttledShare: round(calls.length ? throttled / calls.length : 0, 3),
    wallSeconds: round((performance.now() - run.wallStart) / 1000, 1),
  };
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
