import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import type { AlarmSettings, SimAlarm } from '../alarm.js';
import type { CloudWatchSim } from '../cloudwatch.js';
import type { Dimension } from '../metrics.js';

type Action = (cloudwatch: CloudWatchSim, input: Record<string, unknown>, ctx: CallContext) => unknown;

interface WireDatum {
  MetricName?: string;
  Dimensions?: Dimension[];
  Timestamp?: number;
  Value?: number;
  Values?: number[];
  Unit?: string;
}

/** DescribeAlarms returns at most 100 alarms a page. */
const PAGE = 100;

const actions: Record<string, Action> = {
  PutMetricData(cloudwatch, input, ctx) {
    const namespace = String(input.Namespace ?? '');
    const data = (input.MetricData ?? []) as WireDatum[];
    if (!namespace || data.length === 0) throw new AwsError('MissingParameter', 'Namespace and MetricData are required');
    const now = Date.now();
    cloudwatch.putMetricData(
      ctx.account,
      ctx.region,
      data.flatMap((d) =>
        (d.Values ?? [d.Value ?? 0]).map((value) => ({
          namespace,
          name: String(d.MetricName),
          dimensions: d.Dimensions ?? [],
          // The JSON protocol sends timestamps in epoch seconds.
          at: d.Timestamp === undefined ? now : d.Timestamp * 1000,
          value,
          ...(d.Unit ? { unit: d.Unit } : {}),
        })),
      ),
    );
    return {};
  },
  PutMetricAlarm(cloudwatch, input, ctx) {
    if (input.Metrics !== undefined) throw new AwsError('ValidationError', 'Metric math alarms (Metrics) are not simulated');
    cloudwatch.putMetricAlarm(ctx.account, ctx.region, { Dimensions: [], ...input } as unknown as AlarmSettings);
    return {};
  },
  DescribeAlarms(cloudwatch, input, ctx) {
    const names = input.AlarmNames as string[] | undefined;
    const prefix = input.AlarmNamePrefix as string | undefined;
    const matching = cloudwatch
      .alarms(ctx.account, ctx.region)
      .filter((a) => (!names || names.includes(a.AlarmName)) && (!prefix || a.AlarmName.startsWith(prefix)))
      .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName));
    const start = Number(input.NextToken ?? 0);
    const size = Math.min(Number(input.MaxRecords ?? PAGE), PAGE);
    const page = matching.slice(start, start + size);
    return { MetricAlarms: page.map(wireAlarm), ...(start + size < matching.length ? { NextToken: String(start + size) } : {}) };
  },
  DeleteAlarms(cloudwatch, input, ctx) {
    cloudwatch.deleteAlarms(ctx.account, ctx.region, (input.AlarmNames ?? []) as string[]);
    return {};
  },
  PutDashboard(cloudwatch, input, ctx) {
    cloudwatch.putDashboard(ctx.account, ctx.region, String(input.DashboardName), String(input.DashboardBody));
    return { DashboardValidationMessages: [] };
  },
};

function wireAlarm(alarm: SimAlarm): Record<string, unknown> {
  const { account: _account, region: _region, arn, state, stateReason, stateUpdatedAt, createdAt: _createdAt, ...settings } = alarm;
  return {
    ...settings,
    AlarmArn: arn,
    StateValue: state,
    StateReason: stateReason,
    StateUpdatedTimestamp: stateUpdatedAt / 1000,
    ActionsEnabled: alarm.ActionsEnabled ?? true,
  };
}

/** The CloudWatch API (JSON 1.0, as the SDK speaks it since the query protocol was retired; signing name `monitoring`, IAM prefix `cloudwatch`). */
export function cloudwatchApi(cloudwatch: CloudWatchSim): SimService {
  return {
    name: 'monitoring',
    iamPrefix: 'cloudwatch',
    protocol: 'json1.0',
    call(action, input, ctx) {
      const run = actions[action];
      if (!run) throw new AwsError('InvalidAction', `The simulated CloudWatch does not implement ${action}`);
      return run(cloudwatch, input, ctx);
    },
  };
}
