import { DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { STACK_TAGS, stackTags } from '../../../accounts/stack/stack-tags.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { cloudformationClient } from '../../aws/clients.js';
import { fail, pass } from '../finding.js';
import { type Check, deployCommand, stackName } from '../scope.js';

/** The stack exists, its last deployment completed, and it was deployed from these account files. */
export const stack: Check = async (scope, target) => {
  const { at } = target;
  const name = stackName(scope.stage);
  const deploy = deployCommand(scope, target);
  const check = `stack ${name}`;
  let found: Stack | undefined;
  try {
    const { Stacks } = await cloudformationClient(target.access.aws, target.region, target.access.credentials).send(
      new DescribeStacksCommand({ StackName: name }),
    );
    found = Stacks?.[0];
  } catch (error) {
    if (isAwsError(error, 'ValidationError')) return [fail(at, `${check}: not deployed`, `deploy it: ${deploy}`)];
    return [fail(at, `${check}: cannot be read (${describeError(error)})`, 'run with credentials that may cloudformation:DescribeStacks')];
  }
  const status = found?.StackStatus ?? 'unknown';
  if (!/^(CREATE|UPDATE)_COMPLETE$/.test(status))
    return [fail(at, `${check}: ${status}`, `look at the stack's events in the CloudFormation console, fix the cause, then: ${deploy}`)];
  const tags = Object.fromEntries((found?.Tags ?? []).map((t) => [t.Key, t.Value]));
  const expected = stackTags(scope.accounts, target.account);
  const stale = Object.values(STACK_TAGS).filter((key) => tags[key] !== expected[key]);
  if (stale.length > 0)
    return [
      fail(
        at,
        `${check}: deployed from other account files (${stale.map((key) => `${key} ${tags[key] ?? 'missing'}, the files give ${expected[key]}`).join('; ')})`,
        `redeploy it from these account files: ${deploy}`,
      ),
    ];
  return [pass(at, `${check}: ${status}, deployed from these account files`)];
};
