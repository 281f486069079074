import { ARTIFACT_KINDS } from '../../shared/kinds/index.js';
import { METRIC, METRIC_NAMESPACE } from '../../shared/metrics/hub-metrics.js';
import { SOURCE_ALARM_PREFIX } from '../../shared/monitoring/source-alarms.js';
import type { Resource, Statement } from './cloudformation.js';
import { functionName, NAMES, RPO_CHECK } from './names.js';
import { alarm } from './policies.js';

/** What the RPO check may do with CloudWatch: keep the per-source alarms, by their name prefix, and nothing else. */
export function sourceAlarmStatements(vault: string, region: string): Statement[] {
  return [
    {
      Sid: 'KeepThePerSourceAlarms',
      Effect: 'Allow',
      Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
      Resource: `arn:aws:cloudwatch:${region}:${vault}:alarm:${SOURCE_ALARM_PREFIX}*`,
    },
  ];
}

/**
 * The hub-wide alarms that back the per-source ones (which the RPO check writes: see
 * shared/monitoring/source-alarms.ts): any source over its target, the check silent, the check
 * failing. Their number does not grow with the estate.
 */
export function rpoAlarms(stage: string): Record<string, Resource> {
  return {
    RpoBreachedAlarm: alarm({
      name: 'backup-hub-rpo-breached',
      description:
        "Some source has resources whose newest vault copy is older than their RPO target. Each source's own alarm (backup-hub-source-<account>-rpo) names it and its worst resource; backup-hub audit lists them.",
      namespace: METRIC_NAMESPACE,
      metric: METRIC.resourcesOverRpo,
      statistic: 'Maximum',
      period: 1800,
    }),
    RpoCheckSilentAlarm: alarm({
      name: 'backup-hub-rpo-check-silent',
      description: `The backup-hub RPO check has not run for an hour: nothing watches the sources' RPO (see the ${functionName(stage, 'rpo-check')} function's logs).`,
      namespace: METRIC_NAMESPACE,
      metric: METRIC.rpoChecks,
      statistic: 'Sum',
      period: 3600,
      threshold: 1,
      comparison: 'LessThanThreshold',
      treatMissingData: 'breaching',
    }),
    RpoCheckErrorsAlarm: alarm({
      name: 'backup-hub-rpo-check-errors',
      description: 'The backup-hub RPO check failed; the per-source RPO metrics and alarms are not being updated.',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functionName(stage, 'rpo-check') }],
      statistic: 'Sum',
      period: 300,
    }),
  };
}

type Widget = Record<string, unknown>;

/**
 * The hub's dashboard. Per-account and per-quota lines come from SEARCH expressions, so the body
 * is the same size for 3 sources as for 300 (CloudWatch allows 500 widgets, and SEARCH returns up
 * to 500 lines a graph).
 */
export function dashboard(region: string): Resource {
  const search = (dimensions: string, metric: string, statistic: string, period: number, label: string) => ({
    expression: `SEARCH('{${METRIC_NAMESPACE},${dimensions}} MetricName="${metric}"', '${statistic}', ${period})`,
    id: label,
  });
  const graph = (title: string, metrics: unknown[], extra: Record<string, unknown> = {}): Widget => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region, view: 'timeSeries', stat: 'Maximum', period: 300, metrics, ...extra },
  });
  const widgets: Widget[] = [
    {
      type: 'text',
      width: 24,
      height: 2,
      properties: {
        markdown: `# backup-hub\nRPO per source account (the RPO check, every ${RPO_CHECK.everyMinutes} minutes), copies and their time to protection, copy slots, throttling, dead letters and failures. The per-source alarms are named ${SOURCE_ALARM_PREFIX}<account>-rpo and -no-events.`,
      },
    },
    graph('Resources over their RPO target, per account', [[search('Account', METRIC.resourcesOverRpo, 'Maximum', 900, 'over')]]),
    graph('Resources within their RPO target, per account', [[search('Account', METRIC.resourcesWithinRpo, 'Maximum', 900, 'within')]]),
    graph('Time to protection (source artifact created → vault copy available), per kind', [
      [search('Kind', METRIC.timeToProtection, 'Maximum', 3600, 'worst')],
      [search('Kind', METRIC.timeToProtection, 'Average', 3600, 'mean')],
    ]),
    graph('Copy slots in use, per copy quota', [[search('Quota', METRIC.copySlotsInUse, 'Maximum', 300, 'slots')]]),
    graph('Points waiting for a copy slot, per quota', [[search('Quota', METRIC.waitingForSlot, 'Sum', 300, 'waiting')]]),
    graph('Throttled events (requeued after the SDK retries), per kind', [
      [search('Kind', METRIC.throttledEvents, 'Sum', 300, 'throttled')],
    ]),
    graph(
      'Dead-letter queue depth, per kind',
      ARTIFACT_KINDS.map((kind) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `${NAMES.service}-${kind}-dlq`]),
    ),
    graph('Copies failed, by reason', [[search('Reason', METRIC.copiesFailed, 'Sum', 3600, 'failed')]]),
    graph('Events handled, per kind and outcome', [[search('Kind,Account,Outcome', METRIC.eventsHandled, 'Sum', 3600, 'events')]]),
    graph('Copies requested and completed, per kind and account', [
      [search('Kind,Account', METRIC.copiesRequested, 'Sum', 3600, 'requested')],
      [search('Kind,Account', METRIC.copiesCompleted, 'Sum', 3600, 'completed')],
    ]),
  ];
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: NAMES.dashboard, DashboardBody: JSON.stringify({ widgets }) },
  };
}
