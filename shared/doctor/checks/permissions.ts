import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { Statement } from '../../../accounts/stack/cloudformation.js';
import { describeError } from '../../aws/aws-errors.js';
import { iamClient } from '../../aws/clients.js';
import { type Finding, fail, pass } from '../finding.js';
import { probeOf } from '../probes.js';
import { arnOf, type Check, deployCommand, nameOf, resourcesOf } from '../scope.js';

/**
 * Each role of the stack may still do what the model gives it: every statement the model holds
 * for the role, asked of IAM's policy simulation as the request it allows (its actions, resources
 * and condition values). A statement missing from the deployed role, or narrowed, shows as denied.
 */
export const permissions: Check = async (scope, target) => {
  const { account, at } = target;
  const iam = iamClient(target.access.aws, target.region, target.access.credentials);
  const findings: Finding[] = [];
  for (const [, properties] of resourcesOf(target, 'AWS::IAM::Role')) {
    const name = nameOf(properties, 'RoleName');
    if (name === undefined) continue;
    const arn = `arn:aws:iam::${account.id}:role/${name}`;
    const statements = ((properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    const probes = statements.flatMap((s, i) => probeOf(s, i, (value) => arnOf(target, value)) ?? []);
    const denied: string[] = [];
    try {
      for (const probe of probes) {
        const { EvaluationResults = [] } = await iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: arn,
            ActionNames: probe.actions,
            ResourceArns: probe.resources,
            ContextEntries: probe.context,
          }),
        );
        for (const r of EvaluationResults.filter((r) => r.EvalDecision !== 'allowed'))
          denied.push(`${r.EvalActionName} on ${r.EvalResourceName} (statement ${probe.sid}): ${r.EvalDecision}`);
      }
    } catch (error) {
      findings.push(
        fail(
          at,
          `role ${name}: cannot be simulated (${describeError(error)})`,
          `run with credentials of ${account.name} that may iam:SimulatePrincipalPolicy`,
        ),
      );
      continue;
    }
    const untested = statements.length - probes.length;
    findings.push(
      denied.length === 0
        ? pass(
            at,
            `role ${name}: allowed what ${probes.length} of its ${statements.length} statements give${untested ? ` (the rest: denies, wildcards, or what only the deployment knows)` : ''}`,
          )
        : fail(
            at,
            `role ${name} may not: ${denied.join('; ')}`,
            `the deployed role lacks statements of the model (edited by hand, or deployed from older code): redeploy ${account.name}: ${deployCommand(scope, target)}`,
          ),
    );
  }
  return findings;
};
