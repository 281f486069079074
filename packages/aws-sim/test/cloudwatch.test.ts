import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';
import { topicArn } from '../src/services/sns/sns.js';

const ACCOUNT = '999999999999';
const REGION = 'eu-west-1';
const HOUR = 3_600_000;
let cloud: SimCloud;
afterEach(() => cloud?.close());

/** One EMF line as Powertools writes it: two dimension sets sharing the Account key. */
const emf = (at: number, account: string) =>
  JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [
        { Namespace: 'hub', Dimensions: [['Kind', 'Account'], ['Account']], Metrics: [{ Name: 'Events', Unit: 'Count' }] },
      ],
    },
    Kind: 'ebs',
    Account: account,
    Events: 1,
  });

function setUp() {
  cloud = new SimCloud();
  cloud.addAccount({ id: ACCOUNT });
  const topic = cloud.sns.createTopic(ACCOUNT, REGION, { name: 'alarms' }).arn;
  const log = (line: string) =>
    cloud.logs.put({ account: ACCOUNT, region: REGION, group: '/aws/lambda/fn', at: cloud.clock.nowMs(), message: line });
  return { topic, log };
}

describe('CloudWatch', () => {
  it('reads metrics from embedded-metric-format log lines: one metric per dimension set; other lines make none', () => {
    const { log } = setUp();
    log(emf(cloud.clock.nowMs(), '111111111111'));
    log('{"level":"INFO","message":"not EMF"}');
    log('plain text');
    expect(cloud.cloudwatch.store(ACCOUNT, REGION).keys().sort()).toEqual([
      'hub|Events|Account=111111111111',
      'hub|Events|Account=111111111111,Kind=ebs',
    ]);
  });

  it('pages on silence: with missing data breaching, ALARM after N empty hours, published to the topic with the alarm and its reason', async () => {
    const { topic, log } = setUp();
    cloud.cloudwatch.putMetricAlarm(ACCOUNT, REGION, {
      AlarmName: 'silent-111111111111',
      AlarmDescription: 'no event from 111111111111',
      Namespace: 'hub',
      MetricName: 'Events',
      Dimensions: [{ Name: 'Account', Value: '111111111111' }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    log(emf(cloud.clock.nowMs(), '111111111111'));
    await cloud.advance(60_000, { tickMs: 60_000 });
    expect(cloud.cloudwatch.alarms()[0]!.state).toBe('OK');
    // The event's hour counts as not breaching; the first empty hour alone is not enough, the second is.
    await cloud.advance(3 * HOUR - 120_000, { tickMs: 60_000 });
    expect(cloud.cloudwatch.alarms()[0]!.state).toBe('OK');
    await cloud.advance(120_000, { tickMs: 60_000 });
    const [alarm] = cloud.cloudwatch.alarms();
    expect(alarm).toMatchObject({ state: 'ALARM', stateUpdatedAt: Date.UTC(2026, 0, 1, 3) });
    expect(alarm!.stateReason).toMatch(/^Threshold Crossed: 2 out of the last 2 datapoints \[missing \(treated as breaching\)/);
    const page = cloud.sns.published.at(-1)!;
    expect(page.topicArn).toBe(topicArn(REGION, ACCOUNT, 'alarms'));
    expect(JSON.parse(page.message)).toMatchObject({
      AlarmName: 'silent-111111111111',
      AlarmDescription: 'no event from 111111111111',
      OldStateValue: 'OK',
      NewStateValue: 'ALARM',
      Trigger: { Dimensions: [{ name: 'Account', value: '111111111111' }] },
    });
  });

  it('goes to INSUFFICIENT_DATA only when every datapoint is missing and missing data is treated as missing', async () => {
    setUp();
    cloud.cloudwatch.putMetricAlarm(ACCOUNT, REGION, {
      AlarmName: 'over',
      Namespace: 'hub',
      MetricName: 'Events',
      Dimensions: [],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    await cloud.advance(HOUR, { tickMs: 60_000 });
    expect(cloud.cloudwatch.alarms()[0]!.state).toBe('INSUFFICIENT_DATA');
    cloud.cloudwatch.putMetricData(ACCOUNT, REGION, [
      { namespace: 'hub', name: 'Events', dimensions: [], at: cloud.clock.nowMs(), value: 3 },
    ]);
    await cloud.advance(60_000, { tickMs: 60_000 });
    expect(cloud.cloudwatch.alarms()[0]!.state).toBe('ALARM');
  });

  it('keeps an alarm its state when PutMetricAlarm updates it, and refuses settings AWS refuses', async () => {
    setUp();
    const client = new CloudWatchClient(cloud.clientConfig(cloud.adminCredentials(ACCOUNT), REGION));
    const alarm = {
      AlarmName: 'a',
      Namespace: 'hub',
      MetricName: 'Events',
      Statistic: 'Maximum' as const,
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold' as const,
    };
    await client.send(new PutMetricAlarmCommand(alarm));
    cloud.cloudwatch.putMetricData(ACCOUNT, REGION, [
      { namespace: 'hub', name: 'Events', dimensions: [], at: cloud.clock.nowMs(), value: 1 },
    ]);
    await cloud.advance(60_000, { tickMs: 60_000 });
    await client.send(new PutMetricAlarmCommand({ ...alarm, AlarmDescription: 'now with a description' }));
    const { MetricAlarms } = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'a' }));
    expect(MetricAlarms).toMatchObject([{ AlarmName: 'a', StateValue: 'ALARM', AlarmDescription: 'now with a description' }]);
    // "For alarms with a period of less than one hour, the total evaluation period can't be longer than one day" (PutMetricAlarm).
    await expect(client.send(new PutMetricAlarmCommand({ ...alarm, EvaluationPeriods: 289 }))).rejects.toThrow(/limit is 86400 s/);
  });
});
