import { performance } from 'node:perf_hooks';
import {
  credentialScope,
  type Ec2SimOptions,
  type EventEnvelope,
  lambdaContext,
  sqsRecord,
  type VolumeEncryption,
} from '@backup-hub/aws-sim';
import type { HttpRequest } from '@smithy/types';
import { deployLocalHub, type LocalHub } from '../drill/local-hub.js';
import { createHandler as ebsSnapshotHandler } from '../handlers/ebs-snapshot.js';
import { createHandler as reconcilerHandler } from '../handlers/reconciler.js';
import { inSource, inVault } from '../shared/kinds/common/artifact-kind.js';
import { ebsSnapshot } from '../shared/kinds/ebs-snapshot/ebs-snapshot.js';
import { kindDeps } from '../shared/pipeline/kind-deps.js';
import { AwsTime, cpuMs } from './aws-time.js';
import { quietInfoLogger } from './quiet-logger.js';
import { FloorReplay, type SdkCallFloorFigures, SdkCallMeter, type WatchedClient } from './sdk-call-floor.js';
import { mean, percentile, round } from './stats.js';

export const VAULT = '999999999999';
export const SOURCES = ['111111111111', '222222222222'];
export const REGION = 'eu-west-1';
/** Events handled before measuring: JIT warm-up, the reader-role sessions and key look-ups cached, as in a warm Lambda. */
const WARM_UP = 50;

/** Zero simulated latency: snapshots and copies complete at once, and no copy quota gets in the way of a throughput run. */
const ZERO_LATENCY: Ec2SimOptions = { snapshotDurationMs: 0, copyDurationMs: () => 0, copyQuota: Number.MAX_SAFE_INTEGER };

export interface ThroughputFigures {
  events: number;
  wallMs: number;
  cpuMs: number;
  /** events / CPU seconds of the process: what one core sustains, the whole simulated cloud and dynalite included. */
  wholeProcessEventsPerSecond: number;
  /** events / wall seconds (lower when other processes compete for the cores). */
  eventsPerWallSecond: number;
  /** Events whose vault CopySnapshot request was made (all of them, or the run is reported as not clean). */
  copyRequests: number;
  failedRecords: number;
  /** API calls per event under the deployed batch size and concurrency (audit-log append collisions show here). */
  awsCallsPerEvent: number;
  dynamoCallsPerEvent: number;
}

export interface OverheadFigures {
  events: number;
  /** The handler's own CPU time per event: the invocation's process CPU minus the CPU inside the simulated AWS's and dynalite's request handlers. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** The same in wall time (invocation wall − wall inside those request handlers); a busy machine inflates it. */
  wallP50Ms: number;
  wallP99Ms: number;
  /** The whole invocation, AWS time included, for comparison. */
  invocationP50Ms: number;
  invocationP99Ms: number;
  /** The part of the overhead inside the handler's SDK calls (client middleware, serialization, signing, parsing, the HTTP client for DynamoDB). */
  inSdkCalls: { p50Ms: number; meanMs: number };
  /** The rest: middy, JSON and zod, the pipeline, the audit hash, logging, and the GC the handler's own allocations cause. */
  outsideSdkCalls: { p50Ms: number; meanMs: number };
  /** API calls per event: to the simulated AWS (STS, EC2, KMS, SQS) and to DynamoDB. */
  awsCallsPerEvent: number;
  dynamoCallsPerEvent: number;
}

export interface LatencyFigures {
  /** Simulated ms from the source's `EBS Snapshot Notification` to the vault's CopySnapshot request. */
  zeroLatencySimMs: Record<VolumeEncryption, number>;
  /** The same with the simulation's default EC2 copy times (10 min + 30 s/GiB, 8 GiB volumes). */
  defaultCopyTimesSimMs: Record<VolumeEncryption, number>;
  /** Real (wall) ms for an unencrypted snapshot's event through bus → queue → handler → CopySnapshot, in-process. */
  wallMsUnencrypted: number;
}

export interface ReconcilerFigures {
  /** Pending points completed by one run (vault copy done → available, source cleaned up). */
  points: number;
  /** Points per CPU second, the simulated AWS and dynalite included. */
  pointsPerSecond: number;
  /** Per point: the run's CPU time minus the simulated AWS's and dynalite's, divided by the points. */
  overheadPerPointMs: number;
  awsCallsPerPoint: number;
  dynamoCallsPerPoint: number;
}

export const hubSpec = (ec2: Ec2SimOptions) => ({
  vault: { account: VAULT, region: REGION },
  sources: SOURCES.map((account) => ({ account, regions: [REGION] })),
  ec2,
  // The benchmarks time the hub: events reach the vault at once, not after EventBridge's second or two.
  events: { deliveryDelayMs: () => 0 },
  logger: quietInfoLogger(),
});

/** Unencrypted, completed snapshots that announce nothing yet (the bench announces them). */
function quietSnapshots(hub: LocalHub, count: number, encryption: VolumeEncryption = 'none'): { account: string; id: string }[] {
  const out = [];
  for (let i = 0; i < count; i++) {
    const account = SOURCES[i % SOURCES.length]!;
    const volume = hub.ec2.createVolume(account, REGION, { encryption });
    out.push({ account, id: hub.ec2.createSnapshot(account, REGION, { volumeId: volume.id, emit: false }).id });
  }
  hub.cloud.clock.advance(0); // zero snapshot time: they complete now
  return out;
}

/** `EBS Snapshot Notification` as AWS documents it. */
function ebsEvent(account: string, snapshotId: string, n: number): EventEnvelope {
  const arn = `arn:aws:ec2::${REGION}:snapshot/${snapshotId}`;
  return {
    version: '0',
    id: `bench-${n}-${snapshotId}`,
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account,
    time: '2026-01-01T00:00:00Z',
    region: REGION,
    resources: [arn],
    detail: {
      event: 'createSnapshot',
      result: 'succeeded',
      cause: '',
      'request-id': '',
      snapshot_id: arn,
      source: `arn:aws:ec2::${REGION}:volume/vol-01234567`,
      startTime: '2026-01-01T00:00:00Z',
      endTime: '2026-01-01T00:00:00Z',
    },
  };
}

const vaultCopyRequests = (hub: LocalHub) =>
  hub.cloud.calls.filter((c) => c.action === 'CopySnapshot' && c.account === VAULT && !c.error).length;

/** Events/s through the whole in-process pipeline: forward to the vault bus → rule → queue → Lambda poller (batching, concurrency) → handler. */
export async function throughput(events: number): Promise<ThroughputFigures & { reconciler: ReconcilerFigures }> {
  const hub = await deployLocalHub(hubSpec(ZERO_LATENCY));
  try {
    const snapshots = quietSnapshots(hub, WARM_UP + events);
    for (const [i, s] of snapshots.slice(0, WARM_UP).entries()) hub.forward(ebsEvent(s.account, s.id, i), s.account);
    await hub.lambda.drain();
    const copiesBefore = vaultCopyRequests(hub);
    const invocationsBefore = hub.lambda.invocations.length;
    const callsBefore = hub.cloud.calls.length;
    const { dynamo } = watchAws(hub);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    for (const [i, s] of snapshots.slice(WARM_UP).entries()) hub.forward(ebsEvent(s.account, s.id, WARM_UP + i), s.account);
    await hub.lambda.drain();
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpuStart);
    const cpu = cpuMs(used);
    const failedRecords = hub.lambda.invocations.slice(invocationsBefore).reduce((n, inv) => n + inv.failures.length, 0);
    const figures = {
      events,
      wallMs: round(wallMs),
      cpuMs: round(cpu),
      wholeProcessEventsPerSecond: round((events * 1000) / cpu, 0),
      eventsPerWallSecond: round((events * 1000) / wallMs, 0),
      copyRequests: vaultCopyRequests(hub) - copiesBefore,
      failedRecords,
      awsCallsPerEvent: round(awsCallsSince(hub, callsBefore) / events, 2),
      dynamoCallsPerEvent: round(dynamo.take().calls / events, 2),
    };
    return { ...figures, reconciler: await reconcilerRun(hub) };
  } finally {
    await hub.close();
  }
}

/** One reconciler run over the copies the throughput run started, once they have completed. */
async function reconcilerRun(hub: LocalHub): Promise<ReconcilerFigures> {
  hub.cloud.clock.advance(3 * 3_600_000); // copies done, and past the time a queue owns its claims
  const handler = reconcilerHandler(hub.runtimes.reconciler!);
  const { sim, dynamo } = watchAws(hub);
  const simCalls = hub.cloud.calls.length;
  const cpuStart = process.cpuUsage();
  const summary = (await handler({} as never, lambdaContext('backup-hub-reconciler', VAULT, REGION, hub.cloud.clock.now()))) as Record<
    string,
    number
  >;
  const cpu = cpuMs(process.cpuUsage(cpuStart));
  const simTime = sim.take();
  const dynamoTime = dynamo.take();
  const awsCpu = simTime.cpuMs + dynamoTime.cpuMs;
  const points = summary.available ?? 0;
  const dynamoCalls = dynamoTime.calls;
  return {
    points,
    pointsPerSecond: round((points * 1000) / cpu, 0),
    overheadPerPointMs: round((cpu - awsCpu) / Math.max(points, 1), 3),
    awsCallsPerPoint: round(awsCallsSince(hub, simCalls) / Math.max(points, 1), 2),
    dynamoCallsPerPoint: round(dynamoCalls / Math.max(points, 1), 2),
  };
}

/** Times the simulated cloud's request handler for DynamoDB (dynalite) and for the other services separately. */
export interface AwsWatch {
  sim: AwsTime;
  dynamo: AwsTime;
}

const isDynamo = (request: unknown) => credentialScope(request as HttpRequest).service === 'dynamodb';

export function watchAws(hub: LocalHub): AwsWatch {
  const handler = hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION).requestHandler;
  const sim = new AwsTime();
  sim.watch(handler, (request) => !isDynamo(request));
  const dynamo = new AwsTime();
  dynamo.watch(handler, isDynamo);
  return { sim, dynamo };
}

/** Calls to the simulated AWS other than DynamoDB's since the `from`-th call (DynamoDB's are counted apart). */
export const awsCallsSince = (hub: LocalHub, from: number) => hub.cloud.calls.slice(from).filter((c) => c.service !== 'dynamodb').length;

/**
 * Handler overhead per event: events one at a time, each through bus → queue, then one
 * invocation of the handler with that one record (the middy chain per invocation included).
 * Overhead = invocation CPU (and wall) time − the same inside the request handlers of the
 * simulated AWS and of dynalite (see {@link AwsTime}): what remains is the handler's own work —
 * middy, parsing and validation, the pipeline, logging, and the SDK's serialization, signing and
 * parsing — split into the part inside its SDK calls and the rest. The last warm-up event's SDK
 * calls are recorded and replayed bare after each measured event: the SDK-call floor.
 */
export async function overhead(events: number): Promise<OverheadFigures & { sdkCallFloor: SdkCallFloorFigures }> {
  const hub = await deployLocalHub(hubSpec(ZERO_LATENCY));
  try {
    const watch = watchAws(hub);
    const meter = new SdkCallMeter(handlerClients(hub), [watch.sim, watch.dynamo]);
    const invoke = singleRecordInvoker(hub, watch);
    const snapshots = quietSnapshots(hub, WARM_UP + events);
    for (const [i, s] of snapshots.slice(0, WARM_UP).entries()) {
      meter.recording = i === WARM_UP - 1;
      const one = await invoke(s, i);
      if (meter.recording && meter.recorded.length !== one.awsCalls + one.dynamoCalls) {
        throw new Error(
          `${meter.recorded.length} SDK calls recorded, the event made ${one.awsCalls + one.dynamoCalls}: a client of the handler is not watched`,
        );
      }
    }
    meter.recording = false;
    const floor = new FloorReplay(meter.recorded, { distinct: uniqueKeys, aws: [watch.sim, watch.dynamo] });
    for (let i = 0; i < Math.min(WARM_UP, events); i++) await floor.round(false);
    const overheads: number[] = [];
    const inSdk: number[] = [];
    const wallOverheads: number[] = [];
    const invocations: number[] = [];
    let simCalls = 0;
    let dynamoCalls = 0;
    for (const [i, s] of snapshots.slice(WARM_UP).entries()) {
      const sdkBefore = meter.cpuMs;
      const one = await invoke(s, WARM_UP + i);
      invocations.push(one.wallMs);
      overheads.push(one.overheadMs);
      inSdk.push(meter.cpuMs - sdkBefore);
      wallOverheads.push(one.wallOverheadMs);
      simCalls += one.awsCalls;
      dynamoCalls += one.dynamoCalls;
      await floor.round();
    }
    meter.restore();
    const outside = overheads.map((ms, i) => ms - inSdk[i]!);
    return {
      events,
      p50Ms: round(percentile(overheads, 50), 3),
      p99Ms: round(percentile(overheads, 99), 3),
      meanMs: round(mean(overheads), 3),
      wallP50Ms: round(percentile(wallOverheads, 50), 3),
      wallP99Ms: round(percentile(wallOverheads, 99), 3),
      invocationP50Ms: round(percentile(invocations, 50), 3),
      invocationP99Ms: round(percentile(invocations, 99), 3),
      inSdkCalls: { p50Ms: round(percentile(inSdk, 50), 3), meanMs: round(mean(inSdk), 3) },
      outsideSdkCalls: { p50Ms: round(percentile(outside, 50), 3), meanMs: round(mean(outside), 3) },
      awsCallsPerEvent: round(simCalls / events, 2),
      dynamoCallsPerEvent: round(dynamoCalls / events, 2),
      sdkCallFloor: floor.figures(),
    };
  } finally {
    await hub.close();
  }
}

interface OneInvocation {
  wallMs: number;
  /** CPU ms minus the CPU inside the simulated AWS's and dynalite's request handlers. */
  overheadMs: number;
  wallOverheadMs: number;
  awsCalls: number;
  dynamoCalls: number;
}

/** Announces one snapshot, takes its message off the queue and invokes the handler with that one record, timing the invocation alone. */
function singleRecordInvoker(
  hub: LocalHub,
  { sim, dynamo }: AwsWatch,
): (snapshot: { account: string; id: string }, n: number) => Promise<OneInvocation> {
  const queueArn = hub.queues['ebs-snapshot']!.arn;
  const handler = ebsSnapshotHandler(hub.runtimes['ebs-snapshot']!);
  return async (s, n) => {
    hub.forward(ebsEvent(s.account, s.id, n), s.account);
    const [message] = hub.sqs.receive(queueArn, 1);
    if (!message) throw new Error('the event did not reach the ebs-snapshot queue');
    sim.take();
    dynamo.take();
    const callsBefore = hub.cloud.calls.length;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const response = await handler(
      { Records: [sqsRecord(message, queueArn)] },
      lambdaContext('backup-hub-ebs-snapshot', VAULT, REGION, hub.cloud.clock.now()),
    );
    const wallMs = performance.now() - start;
    const cpu = cpuMs(process.cpuUsage(cpuStart));
    if (response?.batchItemFailures?.length) throw new Error(`event ${n} failed in the handler; the overhead run must be clean`);
    hub.sqs.delete(queueArn, message.receiptHandle);
    const aws = sim.take();
    const ddb = dynamo.take();
    return {
      wallMs,
      overheadMs: cpu - aws.cpuMs - ddb.cpuMs,
      wallOverheadMs: wallMs - aws.ms - ddb.ms,
      awsCalls: awsCallsSince(hub, callsBefore),
      dynamoCalls: ddb.calls,
    };
  };
}

/** The SDK clients the EBS handler sends through: the reader role's EC2 in each source, the vault's EC2 and DynamoDB (KMS and STS answers are cached after the warm-up). */
function handlerClients(hub: LocalHub): WatchedClient[] {
  const { aws, config } = hub.context;
  const ebs = kindDeps(ebsSnapshot, hub.context);
  return [
    ...SOURCES.map((account) => ({ label: `EC2 ${account} (reader role)`, client: inSource(ebs, account, REGION) })),
    { label: 'EC2 vault', client: inVault(ebs) },
    { label: 'DynamoDB', client: aws.dynamo(config.vaultRegion) },
  ];
}

/**
 * Catalog items (pk) and audit entries (chain, seq) under keys of their own per replay, so that
 * conditional writes succeed as the handler's did; the entries go to a chain of their own, which
 * the handler's audit log never reads.
 */
function uniqueKeys(input: unknown, n: number): unknown {
  const copy = structuredClone(input) as {
    Item?: Record<string, unknown>;
    Key?: Record<string, unknown>;
    Statement?: string;
    Parameters?: unknown[];
  };
  for (const record of [copy.Item, copy.Key]) {
    if (record && typeof record.pk === 'string') record.pk = `${record.pk}#floor-${n}`;
    if (record && typeof record.seq === 'number') Object.assign(record, { chain: 'bench-floor', seq: n });
  }
  // An audit append is a PartiQL INSERT, which refuses a key it has, into the audit chain only (IAM): a
  // negative seq per round stays below the head the hub reads. Its parameters follow the statement's names.
  if (copy.Statement && copy.Parameters) {
    const seq = [...copy.Statement.matchAll(/'([^']+)': \?/g)].map((m) => m[1]).indexOf('seq');
    if (seq >= 0) copy.Parameters[seq] = typeof copy.Parameters[seq] === 'number' ? -1 - n : { N: String(-1 - n) };
  }
  return copy;
}

/**
 * Event-to-copy-request latency in simulated time: a source snapshot completes and AWS emits
 * its event on the source's default bus → forwarding rule → vault bus → rule → queue → handler
 * → the vault's CopySnapshot request. Time moves from timer to timer (no polling ticks), so
 * only what the simulation itself models counts.
 */
export async function latency(): Promise<LatencyFigures> {
  const modes: VolumeEncryption[] = ['none', 'aws-managed', 'cmk'];
  const zero = {} as Record<VolumeEncryption, number>;
  const withCopyTimes = {} as Record<VolumeEncryption, number>;
  let wallMsUnencrypted = Number.NaN;
  for (const mode of modes) {
    const a = await eventToCopyRequest(ZERO_LATENCY, mode);
    zero[mode] = a.simMs;
    if (mode === 'none') wallMsUnencrypted = round(a.wallMs, 3);
    withCopyTimes[mode] = (await eventToCopyRequest({ snapshotDurationMs: 0 }, mode)).simMs;
  }
  return { zeroLatencySimMs: zero, defaultCopyTimesSimMs: withCopyTimes, wallMsUnencrypted };
}

async function eventToCopyRequest(ec2: Ec2SimOptions, encryption: VolumeEncryption): Promise<{ simMs: number; wallMs: number }> {
  const hub = await deployLocalHub(hubSpec(ec2));
  try {
    const { clock } = hub.cloud;
    // Warm the handler path once (sessions, JIT) with another snapshot, so the wall time is a warm one.
    quietSnapshots(hub, 1, encryption);
    const warm = hub.ec2.createVolume(SOURCES[1]!, REGION, { encryption });
    hub.ec2.createSnapshot(SOURCES[1]!, REGION, { volumeId: warm.id });
    for (let i = 0; i < 100 && vaultCopyRequests(hub) === 0; i++) {
      clock.advanceTo(clock.nextTimerAt() ?? clock.nowMs());
      await hub.lambda.drain();
    }
    const volume = hub.ec2.createVolume(SOURCES[0]!, REGION, { encryption });
    const callsBefore = hub.cloud.calls.length;
    hub.ec2.createSnapshot(SOURCES[0]!, REGION, { volumeId: volume.id });
    const eventAt = clock.nowMs() + (ec2.snapshotDurationMs ?? 0);
    const start = performance.now();
    for (let i = 0; i < 100; i++) {
      clock.advanceTo(Math.max(clock.nowMs(), clock.nextTimerAt() ?? clock.nowMs()));
      await hub.lambda.drain();
      // The warm-up snapshot is done, so the vault's next CopySnapshot is this snapshot's.
      const call = hub.cloud.calls.slice(callsBefore).find((c) => c.action === 'CopySnapshot' && c.account === VAULT && !c.error);
      if (call) return { simMs: call.at - eventAt, wallMs: performance.now() - start };
    }
    throw new Error(`no vault copy request for a ${encryption} snapshot after 100 simulated steps`);
  } finally {
    await hub.close();
  }
}
