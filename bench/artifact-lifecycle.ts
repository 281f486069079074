import { lambdaContext, type VolumeEncryption } from '@backup-hub/aws-sim';
import { deployLocalHub, type LocalHub } from '../drill/local-hub.js';
import { createHandler as reconcilerHandler } from '../handlers/reconciler.js';
import { cpuMs } from './aws-time.js';
import { type AwsWatch, awsCallsSince, hubSpec, REGION, SOURCES, VAULT, watchAws } from './ebs-snapshot-workload.js';
import { round } from './stats.js';

/** serverless.yml schedules the reconciler at rate(5 minutes); {@link lifecycle} checks the simulation runs it so. */
const RECONCILER_PERIOD_MS = 5 * 60_000;
/** Long enough for a re-encryption in the source and the vault copy after it (14 simulated minutes each for 8 GiB). */
const WINDOW_MS = 60 * 60_000;

export interface ReconcilerIdleRun {
  /** One run with nothing pending: its queries (pending points, waiting points per copy quota). */
  awsCalls: number;
  dynamoCalls: number;
  /** CPU ms of that run minus the CPU inside the simulated AWS's and dynalite's request handlers. */
  overheadMs: number;
}

export interface ArtifactCalls {
  artifacts: number;
  /** Events the EBS handler took per artifact: the snapshot's own, and for a re-encrypted one also its share-key copy's. */
  eventsPerArtifact: number;
  /** Calls from the event to the point's completion (available, source cleaned up), its reconciler work included, the reconciler's per-run queries not. */
  awsCallsPerArtifact: number;
  dynamoCallsPerArtifact: number;
}

export interface LifecycleFigures {
  reconcilerIdleRun: ReconcilerIdleRun;
  perArtifact: Record<VolumeEncryption, ArtifactCalls>;
}

/**
 * What protecting one EBS snapshot costs in calls, from its event to its completed vault copy,
 * for each encryption mode: snapshots are created in the sources (announcing themselves as AWS
 * does) and the hub runs as deployed (rules, queues, batching, the reconciler every 5 minutes)
 * with the simulation's default copy times, for an hour of simulated time. The reconciler's
 * per-run queries are measured on an idle run and taken out, since they are paid per run, not
 * per artifact.
 */
export async function lifecycle(artifacts: number): Promise<LifecycleFigures> {
  const modes: VolumeEncryption[] = ['none', 'aws-managed', 'cmk'];
  const perArtifact = {} as Record<VolumeEncryption, ArtifactCalls>;
  let idle: ReconcilerIdleRun | undefined;
  for (const mode of modes) {
    const hub = await deployLocalHub(hubSpec({ snapshotDurationMs: 0 }));
    try {
      const watch = watchAws(hub);
      idle ??= await idleRun(hub, watch);
      perArtifact[mode] = await artifactCalls(hub, mode, artifacts, idle);
    } finally {
      await hub.close();
    }
  }
  return { reconcilerIdleRun: idle!, perArtifact };
}

async function idleRun(hub: LocalHub, { sim, dynamo }: AwsWatch): Promise<ReconcilerIdleRun> {
  const handler = reconcilerHandler(hub.runtimes.reconciler!);
  const context = () => lambdaContext('backup-hub-reconciler', VAULT, REGION, hub.cloud.clock.now());
  await handler({} as never, context()); // warm
  const calls = hub.cloud.calls.length;
  sim.take();
  dynamo.take();
  const start = process.cpuUsage();
  await handler({} as never, context());
  const cpu = cpuMs(process.cpuUsage(start));
  const ddb = dynamo.take();
  return { awsCalls: awsCallsSince(hub, calls), dynamoCalls: ddb.calls, overheadMs: round(cpu - sim.take().cpuMs - ddb.cpuMs, 3) };
}

/** Every vault function's calls count (each function has its own clients): the simulated cloud records them all. */
async function artifactCalls(
  hub: LocalHub,
  encryption: VolumeEncryption,
  artifacts: number,
  idle: ReconcilerIdleRun,
): Promise<ArtifactCalls> {
  const invocations = hub.lambda.invocations.length;
  const calls = hub.cloud.calls.length;
  for (let i = 0; i < artifacts; i++) {
    const account = SOURCES[i % SOURCES.length]!;
    hub.ec2.createSnapshot(account, REGION, { volumeId: hub.ec2.createVolume(account, REGION, { encryption }).id });
  }
  await hub.cloud.advance(WINDOW_MS, { tickMs: 60_000 });
  const made = hub.lambda.invocations.slice(invocations);
  const awsCalls = awsCallsSince(hub, calls);
  const dynamoCalls = hub.cloud.calls.length - calls - awsCalls;
  const runs = made.filter((inv) => inv.records.length === 0).length;
  if (runs !== WINDOW_MS / RECONCILER_PERIOD_MS)
    throw new Error(`the reconciler ran ${runs} times in ${WINDOW_MS / 60_000} minutes, not every ${RECONCILER_PERIOD_MS / 60_000}`);
  const copies = hub.ec2.snapshots({ account: VAULT }).filter((s) => s.state === 'completed').length;
  if (copies !== artifacts)
    throw new Error(`${copies} of ${artifacts} ${encryption} snapshots reached the vault in ${WINDOW_MS / 60_000} simulated minutes`);
  const events = made.reduce((n, inv) => n + inv.records.length, 0);
  return {
    artifacts,
    eventsPerArtifact: round(events / artifacts, 2),
    awsCallsPerArtifact: round((awsCalls - runs * idle.awsCalls) / artifacts, 2),
    dynamoCallsPerArtifact: round((dynamoCalls - runs * idle.dynamoCalls) / artifacts, 2),
  };
}
