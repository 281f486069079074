import { lambdaContext, realisticDelivery, type VolumeEncryption } from '@backup-hub/aws-sim';
import { RECONCILER } from '../accounts/stack/names.js';
import { deployLocalHub, type LocalHub } from '../drill/local-hub.js';
import { createHandler as reconcilerHandler } from '../handlers/reconciler.js';
import { cpuMs } from './aws-time.js';
import { type AwsWatch, hubSpec, REGION, SOURCES, VAULT, watchAws } from './ebs-snapshot-workload.js';
import { percentile, round } from './stats.js';

/** The vault stack schedules the reconciler at this rate; {@link lifecycle} checks the simulation runs it so. */
const RECONCILER_PERIOD_MS = RECONCILER.everyMinutes * 60_000;
/** Lambda's queue pollers run once per tick: a coarse tick would add up to a tick to every completion. */
const TICK_MS = 1_000;
/** The calls of an EBS snapshot's life: its handler's (its reader role's included) and the reconciler's, not other schedules' (the RPO check). */
const LIFECYCLE_PRINCIPAL = /ebs-snapshot|reconciler/;
/** Long enough for a re-encryption in the source and the vault copy after it (14 simulated minutes each for 8 GiB). */
const WINDOW_MS = 60 * 60_000;

export interface ReconcilerIdleRun {
  /** Per run of the reconciler in an hour with nothing to protect, as deployed (its queries, and the source registry it reads). */
  awsCalls: number;
  dynamoCalls: number;
  /** CPU ms of one such run minus the CPU inside the simulated AWS's and dynalite's request handlers. */
  overheadMs: number;
}

export interface ArtifactCalls {
  artifacts: number;
  /** Events the EBS handler took per artifact: the snapshot's own, its vault copy's completion, and for a re-encrypted one also its share-key copy's. */
  eventsPerArtifact: number;
  /** Calls from the event to the point's completion (available, source cleaned up), its reconciler work included, an idle hour's calls not. */
  awsCallsPerArtifact: number;
  dynamoCallsPerArtifact: number;
  /** Per artifact, simulated seconds from AWS finishing its vault copy to its point being available. */
  completionSeconds: number[];
}

export interface LifecycleFigures {
  reconcilerIdleRun: ReconcilerIdleRun;
  perArtifact: Record<VolumeEncryption, ArtifactCalls>;
  /** p50 of every mode's completionSeconds. */
  completionLatencyP50Seconds: number;
}

/** What the lifecycle's functions did over one window of simulated time. */
interface WindowCalls {
  aws: number;
  dynamo: number;
  runs: number;
  events: number;
}

/**
 * What protecting one EBS snapshot costs in calls, from its event to its completed vault copy,
 * for each encryption mode: snapshots are created in the sources (announcing themselves as AWS
 * does) and the hub runs as deployed (rules, queues, batching, the vault's completion events, the
 * reconciler on its schedule) with the simulation's default copy times, for an hour of simulated
 * time. The same hub first runs an idle hour: what that costs is paid per run, not per artifact,
 * and is taken out.
 */
export async function lifecycle(artifacts: number): Promise<LifecycleFigures> {
  const modes: VolumeEncryption[] = ['none', 'aws-managed', 'cmk'];
  const perArtifact = {} as Record<VolumeEncryption, ArtifactCalls>;
  let idle: ReconcilerIdleRun | undefined;
  for (const mode of modes) {
    // Time to protection includes EventBridge's delivery (a second or two), unlike the handler timings.
    const hub = await deployLocalHub({ ...hubSpec({ snapshotDurationMs: 0 }), events: { deliveryDelayMs: realisticDelivery() } });
    try {
      const quiet = await window(hub, () => {});
      idle ??= {
        awsCalls: round(quiet.aws / quiet.runs, 2),
        dynamoCalls: round(quiet.dynamo / quiet.runs, 2),
        overheadMs: await idleRunCpu(hub, watchAws(hub)),
      };
      const busy = await window(hub, () => {
        for (let i = 0; i < artifacts; i++) {
          const account = SOURCES[i % SOURCES.length]!;
          hub.ec2.createSnapshot(account, REGION, { volumeId: hub.ec2.createVolume(account, REGION, { encryption: mode }).id });
        }
      });
      const copies = hub.ec2.snapshots({ account: VAULT }).filter((s) => s.state === 'completed').length;
      if (copies !== artifacts)
        throw new Error(`${copies} of ${artifacts} ${mode} snapshots reached the vault in ${WINDOW_MS / 60_000} simulated minutes`);
      perArtifact[mode] = {
        artifacts,
        eventsPerArtifact: round(busy.events / artifacts, 2),
        awsCallsPerArtifact: round((busy.aws - quiet.aws) / artifacts, 2),
        dynamoCallsPerArtifact: round((busy.dynamo - quiet.dynamo) / artifacts, 2),
        completionSeconds: await completionSeconds(hub),
      };
    } finally {
      await hub.close();
    }
  }
  const completions = Object.values(perArtifact).flatMap((m) => m.completionSeconds);
  return { reconcilerIdleRun: idle!, perArtifact, completionLatencyP50Seconds: percentile(completions, 50) };
}

/** Per point of the sources, seconds from its vault copy settling (EC2's completion time) to the point's completedAt. */
async function completionSeconds(hub: LocalHub): Promise<number[]> {
  const seconds: number[] = [];
  for (const account of SOURCES)
    for await (const point of hub.inspector.catalog.byAccount(account)) {
      const copy = hub.ec2.snapshot(VAULT, REGION, point.vaultCopyId!);
      if (!copy?.completionTime || !point.completedAt) throw new Error(`${point.sourceId}: no completed vault copy to time`);
      seconds.push(round((Date.parse(point.completedAt) - copy.completionTime.getTime()) / 1000, 1));
    }
  return seconds;
}

/** Runs a window of simulated time after `start`, counting the calls of the lifecycle's functions (every vault function has its own clients; the simulated cloud records them all). */
async function window(hub: LocalHub, start: () => void): Promise<WindowCalls> {
  const invocations = hub.lambda.invocations.length;
  const calls = hub.cloud.calls.length;
  start();
  await hub.cloud.advance(WINDOW_MS, { tickMs: TICK_MS });
  const made = hub.lambda.invocations.slice(invocations).filter((inv) => LIFECYCLE_PRINCIPAL.test(inv.function));
  const lifeCalls = hub.cloud.calls.slice(calls).filter((c) => LIFECYCLE_PRINCIPAL.test(c.principal));
  const aws = lifeCalls.filter((c) => c.service !== 'dynamodb').length;
  const runs = made.filter((inv) => inv.records.length === 0).length;
  if (runs !== WINDOW_MS / RECONCILER_PERIOD_MS)
    throw new Error(`the reconciler ran ${runs} times in ${WINDOW_MS / 60_000} minutes, not every ${RECONCILER_PERIOD_MS / 60_000}`);
  return { aws, dynamo: lifeCalls.length - aws, runs, events: made.reduce((n, inv) => n + inv.records.length, 0) };
}

/** The CPU of one reconciler run with nothing pending, beyond the simulated AWS's and dynalite's request handlers. */
async function idleRunCpu(hub: LocalHub, { sim, dynamo }: AwsWatch): Promise<number> {
  const handler = reconcilerHandler(hub.runtimes.reconciler!);
  const context = () => lambdaContext('backup-hub-reconciler', VAULT, REGION, hub.cloud.clock.now());
  await handler({} as never, context()); // warm
  sim.take();
  dynamo.take();
  const start = process.cpuUsage();
  await handler({} as never, context());
  const cpu = cpuMs(process.cpuUsage(start));
  return round(cpu - sim.take().cpuMs - dynamo.take().cpuMs, 3);
}
