import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { NAMES, roleArn } from '../../../accounts/stack/names.js';
import { describeError } from '../../aws/aws-errors.js';
import { eventsClient, iamClient } from '../../aws/clients.js';
import { KINDS } from '../../kinds/index.js';
import { type Finding, fail, pass } from '../finding.js';
import { type Check, deployCommand } from '../scope.js';

/**
 * The vault bus admits this source's forwarder role for every kind's events: the bus policy as
 * deployed, evaluated by IAM's policy simulation together with the forwarder's own policy (both
 * sides must allow a call into another account). Once per source, in its primary region.
 */
export const busPolicy: Check = async (scope, target) => {
  const { account, at } = target;
  if (account.role !== 'source' || target.region !== account.regions[0]) return [];
  const { vault } = scope.accounts;
  const vaultRegion = vault.regions[0]!;
  const vaultAccess = scope.access.account(vault);
  const busArn = `arn:aws:events:${vaultRegion}:${vault.id}:event-bus/${NAMES.bus}`;
  const check = `the vault bus admits ${account.name}'s forwarder`;
  let policy: string | undefined;
  try {
    ({ Policy: policy } = await eventsClient(vaultAccess.aws, vaultRegion, vaultAccess.credentials).send(
      new DescribeEventBusCommand({ Name: NAMES.bus }),
    ));
  } catch (error) {
    return [
      fail(
        at,
        `${check}: the vault bus cannot be read (${describeError(error)})`,
        `deploy the vault stack: ${deployCommand(scope, { account: vault, region: vaultRegion })}`,
      ),
    ];
  }
  const fix = `add ${account.id} to allowedSources in ${vault.file}, then redeploy the vault stack: ${deployCommand(scope, { account: vault, region: vaultRegion })}`;
  if (policy === undefined) return [fail(at, `${check}: the vault bus has no policy`, fix)];
  const iam = iamClient(target.access.aws, target.region, target.access.credentials);
  const findings: Finding[] = [];
  for (const kind of KINDS) {
    const { pattern } = kind.manifest;
    try {
      const { EvaluationResults = [] } = await iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: roleArn(account.id, NAMES.forwarderRole),
          ActionNames: ['events:PutEvents'],
          ResourceArns: [busArn],
          ResourcePolicy: policy,
          ResourceOwner: `arn:aws:iam::${vault.id}:root`,
          ContextEntries: [
            { ContextKeyName: 'events:source', ContextKeyValues: [...pattern.source], ContextKeyType: 'stringList' },
            { ContextKeyName: 'events:detail-type', ContextKeyValues: [...pattern['detail-type']], ContextKeyType: 'stringList' },
          ],
        }),
      );
      const decision = EvaluationResults[0]?.EvalDecision ?? 'no answer';
      findings.push(
        decision === 'allowed'
          ? pass(at, `${check} (${kind.module.name} events)`)
          : fail(at, `${check} (${kind.module.name} events): ${decision}`, fix),
      );
    } catch (error) {
      findings.push(
        fail(
          at,
          `${check} (${kind.module.name} events): cannot be simulated (${describeError(error)})`,
          `run with credentials of ${account.name} that may iam:SimulatePrincipalPolicy, and deploy its stack: ${deployCommand(scope, target)}`,
        ),
      );
    }
  }
  return findings;
};
