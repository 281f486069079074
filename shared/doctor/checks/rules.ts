import { DescribeRuleCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import type { Value } from '../../../accounts/stack/cloudformation.js';
import { NAMES } from '../../../accounts/stack/names.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { eventsClient } from '../../aws/clients.js';
import { type Finding, fail, pass } from '../finding.js';
import { arnOf, type Check, deployCommand, nameOf, resourcesOf } from '../scope.js';

/**
 * Every rule of the stack exists, is enabled, and sends to the targets the model gives it: a
 * source's forwarding rules to the vault bus through the forwarder role, the vault's rules to
 * their kind's queue.
 */
export const rules: Check = async (scope, target) => {
  const events = eventsClient(target.access.aws, target.region, target.access.credentials);
  const findings: Finding[] = [];
  for (const [, properties] of resourcesOf(target, 'AWS::Events::Rule')) {
    const name = nameOf(properties, 'Name');
    if (name === undefined) continue;
    const bus = properties.EventBusName === 'default' ? 'default' : NAMES.bus;
    const check = `rule ${name} on the ${bus} bus`;
    const redeploy = `redeploy the stack: ${deployCommand(scope, target)}`;
    try {
      const rule = await events.send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
      if (rule.State !== 'ENABLED') {
        findings.push(
          fail(
            target.at,
            `${check}: ${rule.State}`,
            `enable it (aws events enable-rule --name ${name} --event-bus-name ${bus} --region ${target.region}), or ${redeploy}`,
          ),
        );
        continue;
      }
      const { Targets = [] } = await events.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: bus }));
      const wrong = ((properties.Targets ?? []) as Record<string, Value>[]).flatMap((expected) => {
        const arn = arnOf(target, expected.Arn);
        const roleArn = arnOf(target, expected.RoleArn);
        const found = Targets.find((t) => t.Arn === arn);
        if (!found) return [`no target ${arn}`];
        return roleArn !== undefined && found.RoleArn !== roleArn
          ? [`its target ${arn} uses ${found.RoleArn ?? 'no role'}, not ${roleArn}`]
          : [];
      });
      findings.push(
        wrong.length === 0
          ? pass(target.at, `${check}: enabled, targets as deployed`)
          : fail(target.at, `${check}: ${wrong.join('; ')}`, redeploy),
      );
    } catch (error) {
      findings.push(
        isAwsError(error, 'ResourceNotFoundException')
          ? fail(target.at, `${check}: missing`, redeploy)
          : fail(target.at, `${check}: cannot be read (${describeError(error)})`, 'run with credentials that may events:DescribeRule'),
      );
    }
  }
  return findings;
};
