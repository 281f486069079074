import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { describeError } from '../../aws/aws-errors.js';
import { cloudwatchClient } from '../../aws/clients.js';
import { type Finding, fail, pass } from '../finding.js';
import { type Check, deployCommand, nameOf, resourcesOf } from '../scope.js';

/** DescribeAlarms takes at most 100 names a request. */
const NAMES_PER_REQUEST = 100;

/** The stack's alarms exist, and none is in ALARM (its description says what it means). */
export const alarms: Check = async (scope, target) => {
  const names = resourcesOf(target, 'AWS::CloudWatch::Alarm').flatMap(([, p]) => nameOf(p, 'AlarmName') ?? []);
  if (names.length === 0) return [];
  const cloudwatch = cloudwatchClient(target.access.aws, target.region, target.access.credentials);
  const found = new Map<string, MetricAlarm>();
  try {
    for (let i = 0; i < names.length; i += NAMES_PER_REQUEST) {
      const { MetricAlarms = [] } = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + NAMES_PER_REQUEST) }));
      for (const alarm of MetricAlarms) found.set(alarm.AlarmName!, alarm);
    }
  } catch (error) {
    return [fail(target.at, `alarms: cannot be read (${describeError(error)})`, 'run with credentials that may cloudwatch:DescribeAlarms')];
  }
  const findings: Finding[] = [];
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0)
    findings.push(fail(target.at, `alarms missing: ${missing.join(', ')}`, `redeploy the stack: ${deployCommand(scope, target)}`));
  const firing = [...found.values()].filter((a) => a.StateValue === 'ALARM');
  for (const alarm of firing)
    findings.push(
      fail(
        target.at,
        `alarm ${alarm.AlarmName} in ALARM since ${alarm.StateUpdatedTimestamp?.toISOString() ?? '?'}`,
        `${alarm.AlarmDescription ?? ''} (${alarm.StateReason ?? 'no reason given'})`.trim(),
      ),
    );
  if (missing.length === 0 && firing.length === 0) findings.push(pass(target.at, `${names.length} alarms, none in ALARM`));
  return findings;
};
