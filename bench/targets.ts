/** The performance budget of issue 8, and the quota headroom of issue 24. */
export const TARGETS = {
  /**
   * A handler's bundle against the bundle of only the SDK clients it uses. It was 1.15 while every
   * bundle held every client (a floor of 1,128 KiB); a kind's handler now holds its own service's
   * client only (floors of 490-950 KiB), and the hub's own ~88 KiB weigh 1.09-1.18 of those.
   */
  sizeRatio: 1.2,
  /** A handler's cold init against that floor's. */
  initRatio: 1.15,
  /** Events per second on one core, through the in-process pipeline on the simulated cloud. */
  eventsPerSecond: 2000,
  /** p99 of the handler's own time per event. */
  p99OverheadMs: 5,
  /** Issue 24: the largest share of any IAM quota any role or policy uses, at the example scale and at 300 sources × 6 regions. */
  iamPolicyQuotaUse: 0.8,
} as const;

/** Issue 18: the audit at 1,000,000 recovery points and 2,000,000 audit entries, and a verify of one day's entries from the newest signed anchor (seconds). */
export const AUDIT_TARGETS = { auditMillionSeconds: 60, auditIncrementalSeconds: 5 } as const;

export interface Check {
  value: number;
  limit: number;
  holds: boolean;
}

export const atMost = (value: number, limit: number): Check => ({ value, limit, holds: value <= limit });
export const atLeast = (value: number, limit: number): Check => ({ value, limit, holds: value >= limit });
