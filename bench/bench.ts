import os from 'node:os';
import path from 'node:path';
import { type ArtifactCalls, type LifecycleFigures, lifecycle } from './artifact-lifecycle.js';
import { type Bundle, bundle } from './bundle.js';
import { coldInits } from './cold-init.js';
import { type CostModel, costModel } from './cost-model.js';
import * as ebs from './ebs-snapshot-workload.js';
import { packagingOptions, REPO_ROOT } from './esbuild-options.js';
import { machine } from './machine.js';
import { packagedFunctions } from './packaged-functions.js';
import { type QuotaHeadroom, quotaHeadroom, SCALES } from './quota-headroom.js';
import type { SdkCallFloorFigures } from './sdk-call-floor.js';
import { writeFloorEntry } from './sdk-floor.js';
import { mean, median, round } from './stats.js';
import { atMost, CALLS_BASELINE, type Check, TARGETS, type Target, type TargetName, targetAtMost } from './targets.js';

export interface BenchOptions {
  /** CI mode: sizes, and a tiny pipeline run; no cold-init runs. */
  short: boolean;
  /** Cold-init runs per bundle (full mode). */
  initRuns?: number;
  /** Events of the throughput and overhead runs. */
  events?: number;
  /** Where bundles go (git-ignored). */
  workDir?: string;
}

/** What one handler costs. */
export interface HandlerReport {
  handler: string;
  bytes: number;
  sdkPackages: string[];
  /** Every package in the bundle (the SDK's and the rest). */
  packages: string[];
  floor: { source: string; bytes: number; initCpuMs?: number; initMs?: number };
  sizeRatio: number;
  /** Median CPU ms of the import (the ratio's basis) and median wall ms. */
  initCpuMs?: number;
  initMs?: number;
  initSamplesCpuMs?: number[];
  initRatio?: number;
  pipeline: PipelineReport | { skipped: string } | { error: string };
  checks: Record<string, Check>;
}

export type PipelineReport =
  | {
      kind: 'copy-queue';
      /** The target's basis: events per second of the handler's own CPU (1,000 / overhead.meanMs). */
      eventsPerSecond: number;
      throughput: ebs.ThroughputFigures;
      overhead: ebs.OverheadFigures;
      sdkCallFloor: SdkCallFloorFigures;
      latency?: ebs.LatencyFigures;
      lifecycle?: LifecycleFigures;
    }
  | { kind: 'schedule'; run: ebs.ReconcilerFigures };

export interface BenchReport {
  mode: 'full' | 'short';
  machine: ReturnType<typeof machine>;
  packaging: { from: string; esbuild: unknown };
  /** Each figure of the budget against its target (full mode: all of them; short mode: those it measures). */
  targets: Partial<Record<TargetName, Target>>;
  /** The machine's 1-, 5- and 15-minute load averages when the run started and ended: other work on the cores shows in every figure. */
  load: { start: number[]; end: number[] };
  definitions: Record<string, string>;
  handlers: Record<string, HandlerReport>;
  /** Full mode: Lambda cost per protected EBS snapshot and per month, from this run's figures. */
  costModel?: CostModel;
  /** The stacks under AWS's quotas, at the example scale and at generated scales up to 300 sources × 6 regions. */
  quotas: QuotaHeadroom;
  /** Every target measured holds (the exit status). */
  allTargetsHold: boolean;
}

const DEFINITIONS = {
  targets:
    "completionLatencyP50Seconds: p50 of the lifecycle's completionSeconds; apiCallsPerArtifactVsBaseline: the lifecycle's AWS + DynamoDB calls per artifact, mean of the three encryption modes, divided by the same mean of issue 18's baseline (7.6 + 5.2 unencrypted, 13 + 10.2 re-encrypted); cpuToSdkFloorRatio: the EBS handler's overhead mean per event divided by its sdkCallFloor perEvent mean, in the same run; sizeRatio: the worst handler's; initRatio: the median handler's; iamPolicyQuotaUse: see quotas. load: os.loadavg() at the start and the end",
  bytes:
    'size of the handler file esbuild writes with serverless.yml custom.esbuild (what `npm run package:all` zips for the vault); the floor is a one-line module re-exporting only the client classes of the SDK packages found in that bundle, bundled the same way',
  initMs:
    "the import of the bundle, `await import(bundle)`, inside a fresh `node` process (Node start-up excluded, identical for all bundles); bundles take turns run after run; initCpuMs (median process CPU time of the import) is the ratio's basis because it barely moves with the machine's load, initMs is the median wall time",
  eventsPerSecond:
    "events per second of the handler's own CPU on one core, the target's basis: 1,000 / the mean overhead per event (overheadMs: one record per invocation, events one at a time). The simulated AWS and dynalite are left out: they are test infrastructure, and in Lambda they are AWS, not the function's CPU. throughput.wholeProcessEventsPerSecond is the other reading: N events forwarded to the vault bus and drained through rule → SQS → Lambda poller (the batch size and concurrency of the kind manifest) → handler, divided by the CPU seconds of the one Node process in which the handler, the simulated AWS and dynalite share a core; unencrypted snapshots, copy quota lifted, zero simulated latency. In the simulation the concurrent batches of a function share one context (one audit-log writer), so the audit collisions of two Lambda containers do not show there: each costs one more head Query and Put in Lambda",
  overheadMs:
    "per event, one record per invocation, events one at a time after a warm-up: the invocation's process CPU time minus the CPU time inside the SDK request handlers of the simulated AWS (decode, IAM, service, encode) and of dynalite (its request handling). Left: middy, JSON parse and zod validation, the pipeline, INFO logging (serialized, discarded), the SDK's middleware, serialization, SigV4 signing and response parsing, the HTTP client to DynamoDB, and GC. inSdkCalls is the part inside the handler's SDK calls (from send to its result, minus the same request handlers), outsideSdkCalls the rest. wallP50Ms/wallP99Ms: the same in wall time",
  sdkCallFloor:
    "the SDK calls one event makes, recorded from the handler on its own clients (so with its configuration) and replayed bare, one at a time, a round after each event of the overhead run (the same heap, the same machine load), metered like inSdkCalls: the least CPU those calls cost whatever the hub's own code does. eventsPerSecond = 1,000 / its mean per event",
  lifecycle:
    "per EBS snapshot and encryption mode, from its creation in a source to its available vault copy with the source cleaned up: events the handler took (the vault's own completion events included), and AWS and DynamoDB calls of the EBS handler's and the reconciler's principals (their reader sessions included; DynamoDB requests counted by the simulated cloud), with the hub running as deployed (rules, queues, batching, the vault's completion rule, the reconciler on its schedule) and the simulation's default copy times (14 minutes for 8 GiB). The same hub first runs an idle hour, whose calls are taken out (reconcilerIdleRun: per run); completionSeconds: per artifact, simulated seconds from EC2 completing its vault copy to its point's completedAt (1 s ticks: a queue poller runs once a tick)",
  costModel:
    "Lambda cost per protected EBS snapshot and encryption mode: invocations = the lifecycle's events per artifact (at these rates a batch holds one record); CPU = its calls per artifact × the EBS handler's CPU per call (overhead mean / calls per event, its own code included); billed ms = CPU × 1,769 / memory MB (the function's share of a vCPU) + the assumed waits per call (costModel.assumptions); a month = 100 accounts × 50 snapshots a day, plus the reconciler every 5 minutes (the idle run's CPU and queries) and INIT for 1 % of invocations (the cold init's CPU × the same scale); Arm list prices, US East, free tier not deducted",
  quotas:
    "every stack of the example account files (accounts/), then of generated ones (bench/scale-accounts.ts: the example vault with N sources in 6 regions each, each with a customer key alias), rendered as `serverless package` writes them (stage prod) and deployed into one simulated cloud per scale with every quota of packages/aws-sim measured and none refusing (`exceeded` counts what AWS would refuse). iamPolicyQuotaUse: the largest value / limit of any IAM quota (a role's inline policies together against 10,240 characters, as IAM counts them: the resolved JSON without white space; a managed policy; a trust policy; managed policies per role) of any role or policy, at the example scale and at the largest scale measured (300 × 6; 3 × 6 with --short). rolePolicySize: per role name, the most characters of inline policy any account's role of that name has. templateSize: the largest template (2-space JSON, as serverless writes it) against CloudFormation's 1 MB from S3. deploySeconds: wall time of deploying every stack of the scale into one simulated cloud",
  latency:
    'simulated ms from the source snapshot event to the vault CopySnapshot request (source default bus → forwarding rule → vault bus → rule → queue → handler); the simulation gives EventBridge, SQS and Lambda polling no delay, so it is the time AWS-side copies take (re-encryption in the source) and nothing else',
};

/**
 * Runs the bench: every function the vault packages is bundled as serverless-esbuild does, set
 * against its SDK floor, started cold, and (where a workload exists) driven through the
 * simulated cloud.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const loadAtStart = loadAverages();
  const workDir = options.workDir ?? path.join(REPO_ROOT, '.build', 'bench');
  const packaging = packagingOptions();
  const functions = packagedFunctions();
  // Single imports on this 2-core machine fall into two modes (about 300 and 430 ms of CPU): 9 runs let the median land in either.
  const initRuns = options.initRuns ?? 21;
  const events = options.events ?? (options.short ? 20 : 1000);
  const floors = new Map<string, Promise<{ bundle: Bundle; source: string }>>();
  const floorFor = (packages: string[], commands: Record<string, string[]>) => {
    const key = JSON.stringify([packages, commands]);
    if (!floors.has(key)) {
      floors.set(
        key,
        (async () => {
          const name = `floor-${floors.size}`;
          const { entry, source } = await writeFloorEntry(packages, commands, path.join(workDir, 'floor-src'), name);
          return { bundle: await bundle(entry, path.join(workDir, name), packaging), source };
        })(),
      );
    }
    return floors.get(key)!;
  };

  const quotas = await quotaHeadroom(TARGETS.iamPolicyQuotaUse, options.short ? SCALES.slice(0, 1) : SCALES);
  // A broken simulation must not hide the sizes: its error is reported per handler instead.
  const pipelines = await pipelineFigures(options.short, events).catch((error: unknown) => {
    const message = `the simulated pipeline failed: ${error instanceof Error ? error.message : String(error)}`;
    return Object.fromEntries(WORKLOADS.map((name) => [name, { error: message }])) as Record<string, { error: string }>;
  });
  const built = [];
  for (const fn of functions) {
    const own = await bundle(fn.entry, path.join(workDir, fn.name), packaging);
    built.push({ fn, own, floor: await floorFor(own.sdkPackages, own.sdkCommands) });
  }
  const inits = options.short
    ? undefined
    : await coldInits([...new Set(built.flatMap((b) => [b.floor.bundle.file, b.own.file]))], initRuns);
  const handlers: Record<string, HandlerReport> = {};
  for (const { fn, own, floor } of built) {
    const sizeRatio = round(own.bytes / floor.bundle.bytes, 3);
    const checks: Record<string, Check> = { sizeRatio: atMost(sizeRatio, TARGETS.sizeRatio) };
    const floorInit = inits?.get(floor.bundle.file);
    const report: HandlerReport = {
      handler: fn.handler,
      bytes: own.bytes,
      sdkPackages: own.sdkPackages,
      packages: own.packages,
      floor: {
        source: floor.source,
        bytes: floor.bundle.bytes,
        ...(floorInit ? { initCpuMs: round(floorInit.medianCpuMs), initMs: round(floorInit.medianMs) } : {}),
      },
      sizeRatio,
      pipeline: pipelines[fn.name] ?? { skipped: `no bench workload for ${fn.name} yet (bench/bench.ts pipelineFigures)` },
      checks,
    };
    const init = inits?.get(own.file);
    if (init && floorInit) {
      report.initCpuMs = round(init.medianCpuMs);
      report.initMs = round(init.medianMs);
      report.initSamplesCpuMs = init.samplesCpuMs.map((v) => round(v));
      report.initRatio = round(init.medianCpuMs / floorInit.medianCpuMs, 3);
      checks.initRatio = atMost(report.initRatio, TARGETS.initRatio);
    }
    const pipeline = report.pipeline;
    if ('error' in pipeline) checks.pipelineRuns = { value: 0, limit: 1, holds: false };
    handlers[fn.name] = report;
  }
  const ebsReport = handlers['ebs-snapshot'];
  const ebsPipeline = ebsReport?.pipeline;
  const cost =
    ebsPipeline && 'kind' in ebsPipeline && ebsPipeline.kind === 'copy-queue' && ebsPipeline.lifecycle && ebsReport.initCpuMs !== undefined
      ? costModel({
          overheadMeanMs: ebsPipeline.overhead.meanMs,
          callsPerEvent: ebsPipeline.overhead.awsCallsPerEvent + ebsPipeline.overhead.dynamoCallsPerEvent,
          lifecycle: ebsPipeline.lifecycle,
          initCpuMs: ebsReport.initCpuMs,
        })
      : undefined;
  const targets = budget(handlers, quotas);
  return {
    mode: options.short ? 'short' : 'full',
    machine: machine(),
    packaging: { from: 'serverless.yml custom.esbuild', esbuild: packaging.esbuild },
    targets,
    load: { start: loadAtStart, end: loadAverages() },
    definitions: DEFINITIONS,
    handlers,
    ...(cost ? { costModel: cost } : {}),
    quotas,
    allTargetsHold: Object.values(targets).every((t) => t.holds) && Object.values(handlers).every((h) => !('error' in h.pipeline)),
  };
}

const loadAverages = () => os.loadavg().map((v) => round(v, 2));

/** The budget's figures from the handlers' reports: what the JSON's `targets` maps. */
function budget(handlers: Record<string, HandlerReport>, quotas: QuotaHeadroom): Partial<Record<TargetName, Target>> {
  const all = Object.values(handlers);
  const targets: Partial<Record<TargetName, Target>> = {
    sizeRatio: targetAtMost(Math.max(...all.map((h) => h.sizeRatio)), TARGETS.sizeRatio),
    iamPolicyQuotaUse: targetAtMost(quotas.iamPolicyQuotaUse.value, TARGETS.iamPolicyQuotaUse),
  };
  const inits = all.flatMap((h) => (h.initRatio === undefined ? [] : [h.initRatio]));
  if (inits.length) targets.initRatio = targetAtMost(round(median(inits), 3), TARGETS.initRatio);
  const ebs = handlers['ebs-snapshot']?.pipeline;
  if (!ebs || !('kind' in ebs) || ebs.kind !== 'copy-queue') return targets;
  targets.cpuToSdkFloorRatio = targetAtMost(round(ebs.overhead.meanMs / ebs.sdkCallFloor.perEvent.meanMs, 3), TARGETS.cpuToSdkFloorRatio);
  const life = ebs.lifecycle;
  if (!life) return targets;
  targets.completionLatencyP50Seconds = targetAtMost(life.completionLatencyP50Seconds, TARGETS.completionLatencyP50Seconds);
  const modes = Object.entries(life.perArtifact) as [keyof typeof CALLS_BASELINE, ArtifactCalls][];
  const calls = mean(modes.map(([, m]) => m.awsCallsPerArtifact + m.dynamoCallsPerArtifact));
  const baseline = mean(modes.map(([mode]) => CALLS_BASELINE[mode]));
  targets.apiCallsPerArtifactVsBaseline = targetAtMost(round(calls / baseline, 3), TARGETS.apiCallsPerArtifactVsBaseline);
  return targets;
}

/** Snapshots per encryption mode in the lifecycle run. */
const LIFECYCLE_ARTIFACTS = 10;

/** The functions with a workload on the simulated cloud so far. */
const WORKLOADS = ['ebs-snapshot', 'reconciler'];

/** The in-process figures per function name. Only the EBS snapshot queue and the reconciler have a workload so far. */
async function pipelineFigures(short: boolean, events: number): Promise<Record<string, PipelineReport>> {
  const { reconciler, ...throughput } = await ebs.throughput(events);
  const { sdkCallFloor, ...overhead } = await ebs.overhead(short ? events : Math.min(events, 1000));
  const latency = short ? undefined : await ebs.latency();
  const artifacts = short ? undefined : await lifecycle(LIFECYCLE_ARTIFACTS);
  return {
    'ebs-snapshot': {
      kind: 'copy-queue',
      eventsPerSecond: round(1000 / overhead.meanMs, 0),
      throughput,
      overhead,
      sdkCallFloor,
      ...(latency ? { latency } : {}),
      ...(artifacts ? { lifecycle: artifacts } : {}),
    },
    reconciler: { kind: 'schedule', run: reconciler },
  };
}
