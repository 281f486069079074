import * as z from 'zod/mini';

/** How often the inventory sweep runs, and how much of each source's API rate it may take. */
export interface SweepSettings {
  /** The sweep's period: each source account and region is listed once per period. */
  everyMinutes: number;
  /**
   * The default budget: API calls per second the sweep may make in one source account and region,
   * all services together. A source's record may set its own.
   */
  callsPerSecond: number;
}

/**
 * The defaults: every hour, one call a second. EC2's non-mutating calls (Describe*) refill at 20
 * a second per account and region (EC2 Developer Guide, "Request throttling for the Amazon EC2
 * API"): one a second leaves 95 % of that to the account's own tools.
 */
export const SWEEP_DEFAULTS = { everyMinutes: 60, callsPerSecond: 1 } as const;

/** The budget of one source account: its record's own, or the vault's default. */
export const budgetOf = (settings: SweepSettings, source: { sweepCallsPerSecond?: number } | undefined): number =>
  source?.sweepCallsPerSecond ?? settings.callsPerSecond;

const rate = z.number().check(z.positive());
const schema = z.object({
  everyMinutes: z.int().check(z.positive()),
  callsPerSecond: rate,
});

/** The sweep's environment: what {@link sweepSettingsFromEnv} reads. */
export function sweepEnvironment(settings: SweepSettings): { SWEEP: string } {
  return { SWEEP: JSON.stringify(settings) };
}

/** Reads the sweep's settings from its environment; a missing or bad variable is named in the error. */
export function sweepSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SweepSettings {
  let json: unknown;
  try {
    json = JSON.parse(env.SWEEP ?? '');
  } catch {
    throw new Error(
      'backup-hub sweep is misconfigured: SWEEP must be the JSON of the sweep settings (the vault stack builds it from accounts/*.yml)',
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `backup-hub sweep is misconfigured: SWEEP: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
