import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RecoveryPoint } from '../catalog/recovery-point.js';
import type { ArtifactKindName } from '../kinds/index.js';

/** The namespace of every hub metric; the alarms and the dashboard read it. */
export const METRIC_NAMESPACE = 'backup-hub';

/** The hub's metric names, as the stack's alarms and dashboard name them. */
export const METRIC = {
  eventsHandled: 'EventsHandled',
  copiesRequested: 'CopiesRequested',
  copiesCompleted: 'CopiesCompleted',
  timeToProtection: 'TimeToProtection',
  copiesFailed: 'CopiesFailed',
  waitingForSlot: 'PointsWaitingForSlot',
  copySlotsInUse: 'CopySlotsInUse',
  pointsOverCap: 'PointsOverCap',
  throttledEvents: 'ThrottledEvents',
  resourcesOverRpo: 'ResourcesOverRpo',
  resourcesWithinRpo: 'ResourcesWithinRpo',
  newestPointAge: 'NewestRecoveryPointAge',
  rpoChecks: 'RpoChecks',
  rpoCheckUnfinished: 'RpoCheckUnfinished',
} as const;

/** Writes one log line of the function (its stdout in Lambda, which CloudWatch Logs reads EMF from). */
export type LogLine = (line: string) => void;

type Dimensions = Record<string, string>;
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** Where Powertools reports its own warnings (the hub's logger). */
type GenericLogger = NonNullable<NonNullable<ConstructorParameters<typeof Metrics>[0]>['logger']>;

/**
 * The hub's metrics in CloudWatch's embedded metric format: each one is a log line of the
 * function, which CloudWatch Logs turns into metrics. No API call, so none per event. Each metric
 * is written at once with its own dimensions (a batch mixes accounts), at the hub's clock.
 *
 * @example
 * ctx.metrics.eventHandled('ebs-snapshot', '111111111111', 'copied');
 */
export class HubMetrics {
  readonly #metrics: Metrics;

  constructor(
    private readonly now: () => Date,
    private readonly write: LogLine | undefined,
    logger: GenericLogger,
  ) {
    this.#metrics = new Metrics({ namespace: METRIC_NAMESPACE, logger: withoutSharedKeyWarnings(logger) });
    // Powertools adds a `service` dimension to every set; the hub's alarms select by their own.
    this.#metrics.clearDefaultDimensions();
  }

  /** Per kind, account and outcome; and per account alone, for the "no event from this source" alarm. */
  eventHandled(kind: ArtifactKindName, account: string | undefined, outcome: string): void {
    const sets: Dimensions[] = account
      ? [{ Kind: kind, Account: account, Outcome: outcome }, { Account: account }]
      : [{ Kind: kind, Outcome: outcome }];
    this.#emit(sets, { [METRIC.eventsHandled]: [1, MetricUnit.Count] });
  }

  copyRequested(point: RecoveryPoint): void {
    this.#emit([pointDimensions(point)], { [METRIC.copiesRequested]: [1, MetricUnit.Count] });
  }

  /** A vault copy became available: the time from the source artifact's creation to then is its time to protection. */
  copyCompleted(point: RecoveryPoint, completedAt: Date): void {
    const seconds = Math.max(0, (completedAt.getTime() - Date.parse(point.createdAt)) / 1000);
    this.#emit([pointDimensions(point), { Kind: point.kind }], {
      [METRIC.copiesCompleted]: [1, MetricUnit.Count],
      [METRIC.timeToProtection]: [seconds, MetricUnit.Seconds],
    });
  }

  /** `reason` is a class of failure (an AWS error name, `timeout`), never a message: a dimension must stay few-valued. */
  copyFailed(point: RecoveryPoint, reason: string): void {
    this.#emit([pointDimensions(point), { Reason: reason }], { [METRIC.copiesFailed]: [1, MetricUnit.Count] });
  }

  waitingForSlot(point: RecoveryPoint, quota: string): void {
    this.#emit([pointDimensions(point), { Quota: quota }], { [METRIC.waitingForSlot]: [1, MetricUnit.Count] });
  }

  /** Copies in flight per copy quota, as the reconciler counts them on each run. */
  copySlotsInUse(quota: string, inUse: number): void {
    this.#emit([{ Quota: quota }], { [METRIC.copySlotsInUse]: [inUse, MetricUnit.Count] });
  }

  /** A source's pending points beyond its cap (they wait behind every other source's), as the reconciler counts them on each run; its alarm reads it. */
  pointsOverCap(account: string, over: number): void {
    this.#emit([{ Account: account }], { [METRIC.pointsOverCap]: [over, MetricUnit.Count] });
  }

  throttled(kind: ArtifactKindName): void {
    this.#emit([{ Kind: kind }, {}], { [METRIC.throttledEvents]: [1, MetricUnit.Count] });
  }

  /** One account, region and kind's RPO standing; the over-target count also per account and hub-wide, which the alarms read. */
  rpoStanding(group: { account: string; region: string; kind: ArtifactKindName }, standing: RpoStanding): void {
    const { account, region, kind } = group;
    this.#emit([{ Account: account, Region: region, Kind: kind }], {
      [METRIC.resourcesOverRpo]: [standing.over, MetricUnit.Count],
      [METRIC.resourcesWithinRpo]: [standing.within, MetricUnit.Count],
      ...(standing.newestAgeSeconds === undefined ? {} : { [METRIC.newestPointAge]: [standing.newestAgeSeconds, MetricUnit.Seconds] }),
    });
  }

  /** The over-target count of a whole account (the dimension its alarm reads), and of the hub (`{}`). */
  accountRpo(account: string, over: number, within: number): void {
    this.#emit([{ Account: account }], {
      [METRIC.resourcesOverRpo]: [over, MetricUnit.Count],
      [METRIC.resourcesWithinRpo]: [within, MetricUnit.Count],
    });
  }

  /** A check of the estate ran; `unfinished` when its budget ran out before the last account (the next run goes on). */
  rpoCheck(over: number, unfinished: boolean): void {
    this.#emit([{}], {
      [METRIC.rpoChecks]: [1, MetricUnit.Count],
      [METRIC.resourcesOverRpo]: [over, MetricUnit.Count],
      [METRIC.rpoCheckUnfinished]: [unfinished ? 1 : 0, MetricUnit.Count],
    });
  }

  #emit(sets: Dimensions[], values: Record<string, [number, Unit]>): void {
    const metrics = this.#metrics;
    for (const set of sets) metrics.addDimensions(set);
    for (const [name, [value, unit]] of Object.entries(values)) metrics.addMetric(name, unit, value);
    metrics.setTimestamp(this.now());
    if (!this.write) {
      metrics.publishStoredMetrics();
      return;
    }
    this.write(JSON.stringify(metrics.serializeMetrics()));
    metrics.clearMetrics();
    metrics.clearDimensions();
  }
}

export interface RpoStanding {
  /** Resources whose newest available point is older than their target. */
  over: number;
  within: number;
  /** The age of the group's newest available recovery point. */
  newestAgeSeconds?: number;
}

/**
 * Powertools 2.36 warns on every flush when two dimension sets share a key (`Account` in both
 * `[Kind, Account, Outcome]` and `[Account]`), though that is what EMF dimension sets are for: a
 * warning per event would drown the logs.
 */
function withoutSharedKeyWarnings(logger: GenericLogger): GenericLogger {
  return {
    trace: logger.trace?.bind(logger),
    debug: logger.debug.bind(logger),
    info: logger.info.bind(logger),
    error: logger.error.bind(logger),
    warn: (...args: unknown[]) => {
      if (typeof args[0] === 'string' && /defined as both a dimension set and dimension set/.test(args[0])) return;
      logger.warn(...args);
    },
  };
}

const pointDimensions = (point: RecoveryPoint): Dimensions => ({ Kind: point.kind, Account: point.account });
