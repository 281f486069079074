import { AwsError } from '../../core/errors.js';
import { type Dimension, type MetricStore, metricKey, type Statistic } from './metrics.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'breaching' | 'notBreaching' | 'ignore' | 'missing';

/** A metric alarm's settings, as PutMetricAlarm and AWS::CloudWatch::Alarm take them (single-metric alarms only). */
export interface AlarmSettings {
  AlarmName: string;
  AlarmDescription?: string;
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
  Statistic: Statistic;
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData?: TreatMissingData;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
  OKActions?: string[];
  InsufficientDataActions?: string[];
  Unit?: string;
}

/** An alarm with its state. */
export interface SimAlarm extends AlarmSettings {
  account: string;
  region: string;
  arn: string;
  state: AlarmState;
  stateReason: string;
  /** When the state last changed (ms). */
  stateUpdatedAt: number;
  /** When the alarm was created (ms): periods that ended before it are not evaluated. */
  createdAt: number;
}

const STATISTICS = new Set(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);
const OPERATORS = new Set(['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold']);
const MISSING = new Set(['breaching', 'notBreaching', 'ignore', 'missing']);

/**
 * Checks an alarm's settings as PutMetricAlarm does.
 * @throws AwsError ValidationError
 */
export function checkAlarmSettings(settings: AlarmSettings): void {
  const invalid = (message: string) => new AwsError('ValidationError', message);
  const { Period, EvaluationPeriods, DatapointsToAlarm } = settings;
  if (!/^.{1,255}$/.test(settings.AlarmName)) throw invalid('AlarmName must be 1 to 255 characters');
  if (!STATISTICS.has(settings.Statistic)) throw invalid(`Statistic ${settings.Statistic} is not one of ${[...STATISTICS].join(', ')}`);
  if (!OPERATORS.has(settings.ComparisonOperator))
    throw invalid(`ComparisonOperator ${settings.ComparisonOperator} is not simulated (static thresholds only)`);
  if (settings.TreatMissingData !== undefined && !MISSING.has(settings.TreatMissingData))
    throw invalid(`TreatMissingData must be one of ${[...MISSING].join(', ')}`);
  // "Valid values are 10, 20, 30, and any multiple of 60" (CloudWatch API reference, PutMetricAlarm, Period).
  if (![10, 20, 30].includes(Period) && !(Period >= 60 && Period % 60 === 0))
    throw invalid(`Period ${Period} must be 10, 20, 30 or a multiple of 60`);
  if (!Number.isInteger(EvaluationPeriods) || EvaluationPeriods < 1) throw invalid('EvaluationPeriods must be at least 1');
  // "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of less than one hour
  // (3,600 seconds), the total evaluation period can't be longer than one day (86,400 seconds)" (PutMetricAlarm, Period).
  const limit = Period < 3600 ? 86_400 : 604_800;
  if (Period * EvaluationPeriods > limit)
    throw invalid(`Period × EvaluationPeriods is ${Period * EvaluationPeriods} s; the limit is ${limit} s for a ${Period} s period`);
  if (DatapointsToAlarm !== undefined && (DatapointsToAlarm < 1 || DatapointsToAlarm > EvaluationPeriods))
    throw invalid('DatapointsToAlarm must be between 1 and EvaluationPeriods');
}

type Verdict = 'breaching' | 'ok' | 'missing';

/**
 * The state an alarm's metric calls for at `now`, or undefined to keep its state. The last
 * EvaluationPeriods periods (aligned to the period) are judged; the period in progress counts once
 * it has a value (until then it is not missing, only not over yet), and periods that ended before
 * the alarm existed are not judged. ALARM when at least DatapointsToAlarm are breaching; OK when too
 * few could be; missing ones are treated as TreatMissingData says (`missing`: INSUFFICIENT_DATA when
 * every one is missing; `ignore`: the state stays).
 */
export function evaluateAlarm(alarm: SimAlarm, store: MetricStore, now: number): { state: AlarmState; reason: string } | undefined {
  const period = alarm.Period * 1000;
  const key = metricKey(alarm.Namespace, alarm.MetricName, alarm.Dimensions);
  const current = Math.floor(now / period) * period;
  const inProgress = store.statistic(key, alarm.Statistic, current, now + 1);
  const newest = inProgress === undefined ? current - period : current;
  const treat = alarm.TreatMissingData ?? 'missing';
  const points: { at: number; value?: number; verdict: Verdict }[] = [];
  for (let i = 0; i < alarm.EvaluationPeriods; i++) {
    const from = newest - i * period;
    if (from + period <= alarm.createdAt) break;
    const value = store.statistic(key, alarm.Statistic, from, from + period);
    const verdict: Verdict =
      value === undefined
        ? treat === 'breaching'
          ? 'breaching'
          : treat === 'notBreaching'
            ? 'ok'
            : 'missing'
        : breaches(alarm, value)
          ? 'breaching'
          : 'ok';
    points.push({ at: from, ...(value === undefined ? {} : { value }), verdict });
  }
  if (points.length === 0) return undefined;
  const needed = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods;
  const breaching = points.filter((p) => p.verdict === 'breaching').length;
  const missing = points.filter((p) => p.verdict === 'missing').length;
  const described = describe(alarm, points, needed, treat);
  if (breaching >= needed) return { state: 'ALARM', reason: `Threshold Crossed: ${described}` };
  if (missing === points.length)
    return treat === 'missing'
      ? { state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: no datapoint in the evaluation range' }
      : undefined;
  if (breaching + missing + (alarm.EvaluationPeriods - points.length) < needed)
    return { state: 'OK', reason: `Threshold Crossed: ${described}` };
  return undefined;
}

function breaches(alarm: AlarmSettings, value: number): boolean {
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.Threshold;
    case 'GreaterThanThreshold':
      return value > alarm.Threshold;
    case 'LessThanThreshold':
      return value < alarm.Threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= alarm.Threshold;
  }
}

const COMPARISON: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** As CloudWatch words a state reason: "2 out of the last 2 datapoints [missing (treated as breaching), 0.0 (…)] were less than the threshold (1.0)". */
function describe(
  alarm: SimAlarm,
  points: { at: number; value?: number; verdict: Verdict }[],
  needed: number,
  treat: TreatMissingData,
): string {
  const breaching = points.filter((p) => p.verdict === 'breaching');
  const shown = (breaching.length >= needed ? breaching : points).map((p) =>
    p.value === undefined ? `missing (treated as ${treat})` : `${p.value.toFixed(1)} (${new Date(p.at).toISOString()})`,
  );
  const count = breaching.length >= needed ? breaching.length : points.length - breaching.length;
  const verb = breaching.length >= needed ? COMPARISON[alarm.ComparisonOperator] : `not ${COMPARISON[alarm.ComparisonOperator]}`;
  return `${count} out of the last ${points.length} datapoints [${shown.join(', ')}] ${count === 1 ? 'was' : 'were'} ${verb} the threshold (${alarm.Threshold.toFixed(1)}) (minimum ${needed} datapoint${needed === 1 ? '' : 's'} for OK -> ALARM transition).`;
}
