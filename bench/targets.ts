import type { VolumeEncryption } from '@backup-hub/aws-sim';

/** The performance budget of issue 18 (re-based on what users feel), and the quota headroom of issue 24. */
export const TARGETS = {
  /** Simulated seconds from AWS finishing a vault copy to its point being available, p50 over the lifecycle's artifacts. */
  completionLatencyP50Seconds: 10,
  /** AWS + DynamoDB calls over an EBS snapshot's life, mean of the three encryption modes, against {@link CALLS_BASELINE}'s mean. */
  apiCallsPerArtifactVsBaseline: 0.6,
  /** The EBS handler's mean CPU per event against the same SDK calls replayed bare, in the same run. */
  cpuToSdkFloorRatio: 1.1,
  /** The worst handler's bundle against the bundle of only the SDK clients it uses and the commands it sends. */
  sizeRatio: 1.15,
  /** The median handler's cold init against that floor's. */
  initRatio: 1.15,
  /** Issue 24: the largest share of any IAM quota any role or policy uses, at the example scale and at 300 sources × 6 regions. */
  iamPolicyQuotaUse: 0.8,
} as const;

export type TargetName = keyof typeof TARGETS;

/**
 * Issue 18's baseline: AWS + DynamoDB calls over the life of an EBS snapshot while the reconciler
 * polled every copy (7.6 + 5.2 unencrypted, 13 + 10.2 re-encrypted).
 */
export const CALLS_BASELINE: Record<VolumeEncryption, number> = { none: 7.6 + 5.2, 'aws-managed': 13 + 10.2, cmk: 13 + 10.2 };

/** One figure against its target, as the bench JSON's `targets` maps them. */
export interface Target {
  target: number;
  value: number;
  holds: boolean;
}

export const targetAtMost = (value: number, target: number): Target => ({ target, value, holds: value <= target });

/** Issue 18: the audit at 1,000,000 recovery points and 2,000,000 audit entries, and a verify of one day's entries from the newest signed anchor (seconds). */
export const AUDIT_TARGETS = { auditMillionSeconds: 60, auditIncrementalSeconds: 5 } as const;

/** Issue 18: the 10,000-event soak's wall time on the bench machine (seconds). */
export const SOAK_TARGETS = { soak10kWallSeconds: 300, events: 10_000 } as const;

/** A per-handler check (its own size and init ratios). */
export interface Check {
  value: number;
  limit: number;
  holds: boolean;
}

export const atMost = (value: number, limit: number): Check => ({ value, limit, holds: value <= limit });
