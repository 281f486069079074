import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmInput,
} from '@aws-sdk/client-cloudwatch';
import { RECONCILER } from '../../accounts/stack/names.js';
import { cloudwatchClient } from '../aws/clients.js';
import { METRIC, METRIC_NAMESPACE } from '../metrics/hub-metrics.js';
import type { HubContext } from '../runtime/hub-context.js';
import type { RpoSettings } from './rpo-settings.js';

/**
 * The three alarms that page for each source account: "resources over their RPO target", "no event
 * from this source for N hours" and "more points pending than its cap" (a runaway snapshot loop, its
 * excess waiting behind the other sources). The RPO check keeps them through the CloudWatch API rather than the
 * vault template declaring them: three per source would put 900 alarms in the vault stack at 300
 * sources, past CloudFormation's 500 resources per stack (the stack holds about 100 without them),
 * and only the check knows the worst resource to name in the description each notification carries.
 * The template keeps what does not grow with the estate: the hub-wide alarms (any source over its
 * target, the check itself silent or failing) that page even if these could not be written.
 */
export const SOURCE_ALARM_PREFIX = 'backup-hub-source-';

export const sourceAlarmNames = (account: string) => ({
  rpo: `${SOURCE_ALARM_PREFIX}${account}-rpo`,
  silence: `${SOURCE_ALARM_PREFIX}${account}-no-events`,
  overCap: `${SOURCE_ALARM_PREFIX}${account}-over-cap`,
});

/** The worst resource of an account over its target, as the check found it. */
export interface WorstResource {
  kind: string;
  region: string;
  resourceId: string;
  /** When its newest available copy was taken in the source; absent when it never had one. */
  newestAt?: string;
  rpoHours: number;
}

/** Per account the check visited: how many resources are over their target and which is the worst. */
export interface AccountStanding {
  account: string;
  over: number;
  worst?: WorstResource;
}

/** The RPO alarm reads the per-account maximum of two checks (a run that pages through the estate may skip one). */
const RPO_PERIOD_SECONDS = 1800;
/** The over-cap alarm reads the maximum over one reconciler period: each run writes it. */
const OVER_CAP_PERIOD_SECONDS = RECONCILER.everyMinutes * 60;

export function desiredSourceAlarms(
  account: string,
  settings: RpoSettings[string],
  worst: WorstResource | undefined,
  topicArn: string,
): PutMetricAlarmInput[] {
  const names = sourceAlarmNames(account);
  const who = `${account} (${settings.name})`;
  const actions = { AlarmActions: [topicArn], OKActions: [topicArn], ActionsEnabled: true };
  return [
    {
      AlarmName: names.rpo,
      AlarmDescription: worst
        ? `backup-hub: source ${who} has resources over their RPO target; worst: ${worst.kind} ${worst.resourceId} in ${worst.region}, newest copy ${worst.newestAt ? `taken ${worst.newestAt}` : 'none'} (target ${worst.rpoHours} h). List them: backup-hub audit --account ${settings.name}`
        : `backup-hub: source ${who} has resources whose newest vault copy is older than their RPO target. List them: backup-hub audit --account ${settings.name}`,
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC.resourcesOverRpo,
      Dimensions: [{ Name: 'Account', Value: account }],
      Statistic: 'Maximum',
      Period: RPO_PERIOD_SECONDS,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
      ...actions,
    },
    {
      AlarmName: names.silence,
      AlarmDescription: `backup-hub: no event from source ${who} for ${settings.silenceHours} h: its backups stopped, or its forwarding rule, its bus permission or the vault's bus policy no longer lets its events through.`,
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC.eventsHandled,
      Dimensions: [{ Name: 'Account', Value: account }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: settings.silenceHours,
      DatapointsToAlarm: settings.silenceHours,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      // No datapoint is exactly what silence looks like.
      TreatMissingData: 'breaching',
      ...actions,
    },
    {
      AlarmName: names.overCap,
      AlarmDescription: `backup-hub: source ${who} has more than ${settings.pendingCap} recovery points pending (its pendingCap): the excess waits behind every other source's copies, none is dropped. A snapshot loop in that account, or a cap too low for it: backup-hub audit --account ${settings.name}`,
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC.pointsOverCap,
      Dimensions: [{ Name: 'Account', Value: account }],
      Statistic: 'Maximum',
      Period: OVER_CAP_PERIOD_SECONDS,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      // The reconciler writes it every run, zero included; no datapoint means it did not run, which its own alarms watch.
      TreatMissingData: 'notBreaching',
      ...actions,
    },
  ];
}

/** The settings compared to decide whether an alarm must be written again. */
const COMPARED = [
  'AlarmDescription',
  'MetricName',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
] as const;

/**
 * Brings the per-source alarms in line: writes those missing or changed (a description naming a new
 * worst resource, say), and deletes those of accounts no longer allowed. An update keeps the alarm's
 * state (PutMetricAlarm), so rewriting never re-pages. Accounts not visited this run keep theirs.
 * @returns the alarms written and deleted
 */
export async function syncSourceAlarms(
  ctx: HubContext,
  settings: RpoSettings,
  visited: AccountStanding[],
  topicArn: string,
): Promise<{ written: number; deleted: number }> {
  const cloudwatch = cloudwatchClient(ctx.aws, ctx.config.vaultRegion);
  const existing = new Map<string, MetricAlarm>();
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: SOURCE_ALARM_PREFIX, NextToken, MaxRecords: 100 }));
    for (const alarm of page.MetricAlarms ?? []) existing.set(alarm.AlarmName!, alarm);
    NextToken = page.NextToken;
  } while (NextToken);

  let written = 0;
  for (const { account, worst } of visited) {
    const source = settings[account];
    if (!source) continue;
    for (const desired of desiredSourceAlarms(account, source, worst, topicArn)) {
      const current = existing.get(desired.AlarmName!);
      if (current && COMPARED.every((k) => current[k] === desired[k]) && current.AlarmActions?.[0] === topicArn) continue;
      await cloudwatch.send(new PutMetricAlarmCommand(desired));
      written += 1;
    }
  }
  const allowed = new Set(Object.keys(settings).flatMap((account) => Object.values(sourceAlarmNames(account))));
  const stale = [...existing.keys()].filter((name) => !allowed.has(name));
  // DeleteAlarms takes up to 100 names a call.
  for (let i = 0; i < stale.length; i += 100) await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: stale.slice(i, i + 100) }));
  return { written, deleted: stale.length };
}
