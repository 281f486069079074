import { AwsError } from '../../../core/errors.js';
import type { SimService } from '../../../core/service.js';
import type { CloudFormationSim, DeployedStack } from '../cloudformation.js';

/** The CloudFormation API (query protocol): DescribeStacks of the stacks the simulation deployed (created, never updated). */
export function cloudformationApi(cloudformation: CloudFormationSim): SimService {
  return {
    name: 'cloudformation',
    protocol: 'query',
    xmlns: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
    call(action, input, ctx) {
      if (action !== 'DescribeStacks') throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2010-05-15`);
      const name = typeof input.StackName === 'string' ? input.StackName : undefined;
      const stacks =
        name === undefined
          ? cloudformation.stacks().filter((s) => s.account === ctx.account && s.region === ctx.region)
          : [cloudformation.stack(ctx.account, ctx.region, name)];
      // "ValidationError: Stack with id <name> does not exist", as CloudFormation answers for a missing stack.
      if (stacks[0] === undefined && name !== undefined) throw new AwsError('ValidationError', `Stack with id ${name} does not exist`);
      return { Stacks: { member: (stacks as DeployedStack[]).map(wireStack) } };
    },
  };
}

function wireStack(stack: DeployedStack) {
  return {
    StackName: stack.name,
    StackId: stack.stackId,
    CreationTime: new Date(stack.createdAt),
    StackStatus: 'CREATE_COMPLETE',
    Outputs: { member: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) },
    Tags: { member: Object.entries(stack.tags).map(([Key, Value]) => ({ Key, Value })) },
  };
}
