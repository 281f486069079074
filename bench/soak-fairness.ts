import { runSoak, type SoakOptions, type SoakReport, type TimeToProtection } from './soak-run.js';
import { SOURCES } from './soak-scenario.js';
import { round } from './stats.js';
import { type Target, targetAtMost } from './targets.js';

/** Issue 16: the other sources' time to protection with a runaway source, against the same run without it (p50 and p95, the worst source). */
export const FAIRNESS_TARGET = { othersTimeToProtectionRatio: 1.1 } as const;

/** The same soak twice, without and with a runaway source; what the other sources felt of it. */
export interface FairnessReport {
  runawaySource: string;
  runawayEvents: number;
  events: number;
  /** Per other source: its time to protection without the runaway, with it, and the ratios. */
  others: Record<string, { without: TimeToProtection; with: TimeToProtection; p50Ratio: number; p95Ratio: number }>;
  /** The runaway's own: its excess waits, so it takes longer; none of it is lost. */
  runaway: { without: TimeToProtection; with: TimeToProtection };
  /** Both runs' accounting: nothing lost, nothing copied twice, the quota held. */
  runs: { without: RunCheck; with: RunCheck };
  targets: { othersTimeToProtectionRatio: Target };
}

type RunCheck = Pick<
  SoakReport,
  'events' | 'copied' | 'lost' | 'failed' | 'duplicateCopies' | 'peakConcurrentCopies' | 'quota' | 'drainSeconds' | 'wallSeconds'
>;

/**
 * Runs the soak without, then with, `runawayEvents` more backups of `runawaySource` announced ahead
 * of everyone's, and compares the other sources' time to protection: the worst p50 or p95 ratio of
 * any other source is the figure, at most {@link FAIRNESS_TARGET}.
 */
export async function runFairnessSoak(
  options: Omit<SoakOptions, 'runaway'> & { runawaySource: string; runawayEvents: number },
): Promise<FairnessReport> {
  const { runawaySource, runawayEvents, ...soak } = options;
  if (!(SOURCES as readonly string[]).includes(runawaySource))
    throw new Error(`the runaway source must be one of the soak's sources (${SOURCES.join(', ')}), not ${runawaySource}`);
  const without = await runSoak(soak);
  const withRunaway = await runSoak({ ...soak, runaway: { account: runawaySource, events: runawayEvents } });
  const others = Object.fromEntries(
    SOURCES.filter((s) => s !== runawaySource).map((account) => {
      const [a, b] = [without.timeToProtection[account]!, withRunaway.timeToProtection[account]!];
      return [
        account,
        { without: a, with: b, p50Ratio: round(b.p50Seconds / a.p50Seconds, 3), p95Ratio: round(b.p95Seconds / a.p95Seconds, 3) },
      ];
    }),
  );
  const worst = Math.max(...Object.values(others).flatMap((o) => [o.p50Ratio, o.p95Ratio]));
  return {
    runawaySource,
    runawayEvents,
    events: soak.events,
    others,
    runaway: { without: without.timeToProtection[runawaySource]!, with: withRunaway.timeToProtection[runawaySource]! },
    runs: { without: check(without), with: check(withRunaway) },
    targets: { othersTimeToProtectionRatio: targetAtMost(worst, FAIRNESS_TARGET.othersTimeToProtectionRatio) },
  };
}

function check(report: SoakReport): RunCheck {
  const { events, copied, lost, failed, duplicateCopies, peakConcurrentCopies, quota, drainSeconds, wallSeconds } = report;
  return { events, copied, lost, failed, duplicateCopies, peakConcurrentCopies, quota, drainSeconds, wallSeconds };
}
