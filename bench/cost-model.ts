import { LAMBDA, RECONCILER } from '../accounts/stack/names.js';
import type { LifecycleFigures } from './artifact-lifecycle.js';
import { round } from './stats.js';

/** What the model takes as given; the measured figures come from the run. */
export const COST_ASSUMPTIONS = {
  /** Lambda, Arm, US East (N. Virginia), first 7.5 billion GB-s a month (https://aws.amazon.com/lambda/pricing/). */
  usdPerGbSecond: 0.0000133334,
  usdPerMillionRequests: 0.2,
  /** A function has one vCPU's worth of CPU at 1,769 MB, and a share in proportion below (Lambda developer guide, "Configure Lambda function memory"). */
  mbPerVcpu: 1769,
  /** Assumed waits on AWS, one call after the other: the simulation cannot measure real round trips. */
  awsCallWaitMs: 30,
  dynamoCallWaitMs: 8,
  /** Assumed share of invocations that start a new execution environment; INIT is billed since 1 August 2025 (AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase"). */
  coldStartShare: 0.01,
  accounts: 100,
  artifactsPerAccountPerDay: 50,
  daysPerMonth: 30,
  /** The vault stack's schedule. */
  reconcilerRunsPerMonth: (30 * 24 * 60) / RECONCILER.everyMinutes,
  /**
   * The DR copy: each vault copy crosses to the DR region once, billed as inter-region data transfer
   * out of the vault's region, US East (N. Virginia) to another region
   * (https://aws.amazon.com/ec2/pricing/on-demand/, "Data Transfer"; a cross-region snapshot copy is
   * charged for that transfer, https://aws.amazon.com/ebs/pricing/), and is stored there again as a
   * snapshot, standard tier, US East (https://aws.amazon.com/ebs/pricing/). List prices as published
   * at the time of writing, not fetched by the model.
   */
  usdPerGiBInterRegion: 0.02,
  usdPerGiBMonthSnapshotStorage: 0.05,
  /** Assumed data a snapshot adds over its volume's previous one (snapshots, and their copies, are incremental). */
  changedGiBPerArtifact: 2,
  /** Assumed days a copy is kept (the vault file's EBS retention). */
  retentionDays: 35,
} as const;

export interface ModeCost {
  invocationsPerArtifact: number;
  awsCallsPerArtifact: number;
  dynamoCallsPerArtifact: number;
  cpuMsPerArtifact: number;
  billedMsPerArtifact: number;
  gbSecondsPerArtifact: number;
  monthly: { invocations: number; gbSeconds: number; awsCalls: number; dynamoCalls: number; usd: number };
}

export interface CostModel {
  lambda: { memoryMb: number; architecture: string };
  assumptions: typeof COST_ASSUMPTIONS;
  /** The EBS handler's measured CPU per event (overhead mean) over its calls per event: what each call costs the function, its own code included. */
  cpuMsPerCall: number;
  artifactsPerMonth: number;
  reconcilerPerMonth: { invocations: number; gbSeconds: number; dynamoCalls: number };
  perMode: Record<keyof LifecycleFigures['perArtifact'], ModeCost>;
  /** What the DR region adds a month, beside Lambda: the transfer of each copy there, and the storage of what it keeps. */
  drRegion: { transferGiB: number; transferUsd: number; storedGiB: number; storageUsd: number; usd: number };
}

/** The vault functions' memory and architecture, as the stack model gives every function. */
function lambdaSettings(): { memoryMb: number; architecture: string } {
  return { memoryMb: LAMBDA.memorySize, architecture: LAMBDA.architecture };
}

/**
 * Lambda cost per protected EBS snapshot and per month for 100 accounts × 50 snapshots a day,
 * from the run's figures: calls and events per artifact (lifecycle), CPU per call (overhead),
 * the idle reconciler run and the cold init. Billed time = CPU scaled to the function's share of
 * a vCPU + the assumed waits on AWS.
 */
export function costModel(input: {
  overheadMeanMs: number;
  callsPerEvent: number;
  lifecycle: LifecycleFigures;
  initCpuMs: number;
}): CostModel {
  const a = COST_ASSUMPTIONS;
  const lambda = lambdaSettings();
  const cpuScale = a.mbPerVcpu / lambda.memoryMb;
  const gb = lambda.memoryMb / 1024;
  const cpuMsPerCall = input.overheadMeanMs / input.callsPerEvent;
  const artifactsPerMonth = a.accounts * a.artifactsPerAccountPerDay * a.daysPerMonth;
  const idle = input.lifecycle.reconcilerIdleRun;
  const idleBilledMs = idle.overheadMs * cpuScale + idle.awsCalls * a.awsCallWaitMs + idle.dynamoCalls * a.dynamoCallWaitMs;
  const reconciler = {
    invocations: a.reconcilerRunsPerMonth,
    gbSeconds: (a.reconcilerRunsPerMonth * idleBilledMs * gb) / 1000,
    dynamoCalls: a.reconcilerRunsPerMonth * idle.dynamoCalls,
  };
  const initGbSeconds = (input.initCpuMs * cpuScale * gb) / 1000;
  const perMode = Object.fromEntries(
    Object.entries(input.lifecycle.perArtifact).map(([mode, calls]) => {
      const apiCalls = calls.awsCallsPerArtifact + calls.dynamoCallsPerArtifact;
      const cpuMs = cpuMsPerCall * apiCalls;
      const billedMs = cpuMs * cpuScale + calls.awsCallsPerArtifact * a.awsCallWaitMs + calls.dynamoCallsPerArtifact * a.dynamoCallWaitMs;
      const gbSeconds = (billedMs * gb) / 1000;
      // At these rates (a few events a minute across all accounts) a batch holds one record: one invocation per event.
      const invocations = artifactsPerMonth * calls.eventsPerArtifact + reconciler.invocations;
      const monthlyGbSeconds = artifactsPerMonth * gbSeconds + reconciler.gbSeconds + invocations * a.coldStartShare * initGbSeconds;
      const cost: ModeCost = {
        invocationsPerArtifact: calls.eventsPerArtifact,
        awsCallsPerArtifact: calls.awsCallsPerArtifact,
        dynamoCallsPerArtifact: calls.dynamoCallsPerArtifact,
        cpuMsPerArtifact: round(cpuMs, 2),
        billedMsPerArtifact: round(billedMs, 1),
        gbSecondsPerArtifact: round(gbSeconds, 4),
        monthly: {
          invocations: Math.round(invocations),
          gbSeconds: Math.round(monthlyGbSeconds),
          awsCalls: Math.round(artifactsPerMonth * calls.awsCallsPerArtifact + reconciler.invocations * idle.awsCalls),
          dynamoCalls: Math.round(artifactsPerMonth * calls.dynamoCallsPerArtifact + reconciler.dynamoCalls),
          usd: round((invocations * a.usdPerMillionRequests) / 1e6 + monthlyGbSeconds * a.usdPerGbSecond, 2),
        },
      };
      return [mode, cost];
    }),
  ) as CostModel['perMode'];
  return {
    lambda,
    assumptions: a,
    cpuMsPerCall: round(cpuMsPerCall, 3),
    artifactsPerMonth,
    reconcilerPerMonth: { ...reconciler, gbSeconds: Math.round(reconciler.gbSeconds) },
    perMode,
    drRegion: drRegionCost(artifactsPerMonth),
  };
}

/** The DR copies a month: every copy's changed data transferred once, and the retained copies' data stored in a steady state. */
function drRegionCost(artifactsPerMonth: number): CostModel['drRegion'] {
  const a = COST_ASSUMPTIONS;
  const transferGiB = artifactsPerMonth * a.changedGiBPerArtifact;
  const storedGiB = (artifactsPerMonth / a.daysPerMonth) * a.retentionDays * a.changedGiBPerArtifact;
  const transferUsd = transferGiB * a.usdPerGiBInterRegion;
  const storageUsd = storedGiB * a.usdPerGiBMonthSnapshotStorage;
  return {
    transferGiB: Math.round(transferGiB),
    transferUsd: round(transferUsd, 2),
    storedGiB: Math.round(storedGiB),
    storageUsd: round(storageUsd, 2),
    usd: round(transferUsd + storageUsd, 2),
  };
}
