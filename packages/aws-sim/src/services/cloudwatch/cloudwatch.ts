import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { LogEvent } from '../logs/logs.js';
import type { SnsSim } from '../sns/sns.js';
import { type AlarmSettings, type AlarmState, checkAlarmSettings, evaluateAlarm, type SimAlarm } from './alarm.js';
import { emfDatums } from './emf.js';
import { type Datum, MetricStore } from './metrics.js';

/** A dashboard as PutDashboard keeps it. */
export interface SimDashboard {
  account: string;
  region: string;
  name: string;
  body: string;
}

/** One change of an alarm's state, as the alarm history keeps it. */
export interface AlarmStateChange {
  alarm: string;
  account: string;
  region: string;
  from: AlarmState;
  to: AlarmState;
  reason: string;
  at: number;
}

/** "A DashboardBody … can include an array of between 0 and 500 widget objects" (CloudWatch API reference, Dashboard Body Structure and Syntax). */
export const DASHBOARD_WIDGET_LIMIT = 500;

/**
 * Simulated CloudWatch: metrics (PutMetricData, and the embedded metric format in functions' log
 * lines), metric alarms evaluated on simulated time with their state changes published to their
 * SNS actions, and dashboards. Per account and region, as CloudWatch keeps them.
 */
export class CloudWatchSim {
  readonly history: AlarmStateChange[] = [];
  readonly #stores = new Map<string, MetricStore>();
  readonly #alarms = new Map<string, SimAlarm>();
  readonly #dashboards = new Map<string, SimDashboard>();

  constructor(
    private readonly cloud: CloudCore,
    private readonly sns: SnsSim,
  ) {}

  store(account: string, region: string): MetricStore {
    const key = `${account}|${region}`;
    let store = this.#stores.get(key);
    if (!store) {
      store = new MetricStore();
      this.#stores.set(key, store);
    }
    return store;
  }

  putMetricData(account: string, region: string, datums: Datum[]): void {
    for (const datum of datums) {
      if (datum.namespace.startsWith('AWS/'))
        throw new AwsError('InvalidParameterValue', `The value ${datum.namespace} for parameter Namespace is invalid: AWS/ is reserved`);
      this.store(account, region).put(datum);
    }
  }

  /** A function's log line: its embedded-metric-format metrics, if any, are extracted as CloudWatch Logs does. */
  ingestLog(event: LogEvent): void {
    for (const datum of emfDatums(event.message)) this.store(event.account, event.region).put(datum);
  }

  /**
   * Creates or updates an alarm. An update replaces every setting and keeps the state, as
   * PutMetricAlarm does.
   * @throws AwsError ValidationError
   */
  putMetricAlarm(account: string, region: string, settings: AlarmSettings): SimAlarm {
    checkAlarmSettings(settings);
    const arn = `arn:aws:cloudwatch:${region}:${account}:alarm:${settings.AlarmName}`;
    const existing = this.#alarms.get(arn);
    const now = this.cloud.clock.nowMs();
    const alarm: SimAlarm = {
      ...settings,
      account,
      region,
      arn,
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      stateReason: existing?.stateReason ?? 'Unchecked: Initial alarm creation',
      stateUpdatedAt: existing?.stateUpdatedAt ?? now,
      createdAt: existing?.createdAt ?? now,
    };
    this.#alarms.set(arn, alarm);
    return alarm;
  }

  alarms(account?: string, region?: string): SimAlarm[] {
    return [...this.#alarms.values()].filter(
      (a) => (account === undefined || a.account === account) && (region === undefined || a.region === region),
    );
  }

  /** Deletes alarms by name; names that are no alarm are ignored, as DeleteAlarms ignores them. */
  deleteAlarms(account: string, region: string, names: string[]): void {
    for (const name of names) this.#alarms.delete(`arn:aws:cloudwatch:${region}:${account}:alarm:${name}`);
  }

  /**
   * Creates or replaces a dashboard.
   * @throws AwsError InvalidParameterInput for a body that is not JSON with at most 500 widgets
   */
  putDashboard(account: string, region: string, name: string, body: string): SimDashboard {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(name))
      throw new AwsError('InvalidParameterInput', `DashboardName ${name} must be letters, digits, - or _`);
    let parsed: { widgets?: unknown };
    try {
      parsed = JSON.parse(body) as { widgets?: unknown };
    } catch {
      throw new AwsError('InvalidParameterInput', 'The dashboard body is not valid JSON');
    }
    if (!Array.isArray(parsed.widgets)) throw new AwsError('InvalidParameterInput', 'The dashboard body must have a widgets array');
    if (parsed.widgets.length > DASHBOARD_WIDGET_LIMIT)
      throw new AwsError(
        'InvalidParameterInput',
        `The dashboard has ${parsed.widgets.length} widgets; the limit is ${DASHBOARD_WIDGET_LIMIT}`,
      );
    const dashboard = { account, region, name, body };
    this.#dashboards.set(`${account}|${region}|${name}`, dashboard);
    return dashboard;
  }

  dashboards(): SimDashboard[] {
    return [...this.#dashboards.values()];
  }

  /** Evaluates every alarm at the current simulated time; each change of state is kept and published to the state's actions. */
  evaluate(): void {
    const now = this.cloud.clock.nowMs();
    for (const alarm of this.#alarms.values()) {
      const next = evaluateAlarm(alarm, this.store(alarm.account, alarm.region), now);
      if (!next || next.state === alarm.state) continue;
      const change: AlarmStateChange = {
        alarm: alarm.AlarmName,
        account: alarm.account,
        region: alarm.region,
        from: alarm.state,
        to: next.state,
        reason: next.reason,
        at: now,
      };
      alarm.state = next.state;
      alarm.stateReason = next.reason;
      alarm.stateUpdatedAt = now;
      this.history.push(change);
      if (alarm.ActionsEnabled !== false) this.#notify(alarm, change);
    }
  }

  /** The notification CloudWatch sends an SNS action: the alarm, its description, the change and the metric it watches. */
  #notify(alarm: SimAlarm, change: AlarmStateChange): void {
    const actions = { ALARM: alarm.AlarmActions, OK: alarm.OKActions, INSUFFICIENT_DATA: alarm.InsufficientDataActions }[change.to] ?? [];
    const message = JSON.stringify({
      AlarmName: alarm.AlarmName,
      AlarmDescription: alarm.AlarmDescription ?? null,
      AWSAccountId: alarm.account,
      NewStateValue: change.to,
      NewStateReason: change.reason,
      StateChangeTime: new Date(change.at).toISOString(),
      Region: alarm.region,
      AlarmArn: alarm.arn,
      OldStateValue: change.from,
      Trigger: {
        MetricName: alarm.MetricName,
        Namespace: alarm.Namespace,
        Statistic: alarm.Statistic.toUpperCase(),
        Dimensions: alarm.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
        Period: alarm.Period,
        EvaluationPeriods: alarm.EvaluationPeriods,
        ComparisonOperator: alarm.ComparisonOperator,
        Threshold: alarm.Threshold,
        TreatMissingData: alarm.TreatMissingData ?? 'missing',
      },
    });
    for (const topic of actions.filter((a) => a.startsWith('arn:aws:sns:')))
      this.sns.publish(topic, { subject: `${change.to}: "${alarm.AlarmName}" in ${alarm.region}`, message, at: change.at });
  }
}
