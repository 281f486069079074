import { runSimulation } from '@cloud-copilot/iam-simulate';
import { resolved } from './resolve.js';
import type { Json, Template } from './stack.js';

/** A request as AWS's authorizer sees it: who, what, on which resource in which account, with the request's condition keys. */
export interface IamRequest {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  context?: Record<string, string | string[]>;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** The inline policies of a role in a template, resolved as CloudFormation deploys them in that account and region. */
export function rolePolicies(template: Template, logicalId: string, where: { account: string; region: string }): Json[] {
  const role = template.Resources[logicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`the template has no role ${logicalId}`);
  const resolve = resolved(template, where);
  return ((role.Properties!.Policies ?? []) as { PolicyDocument: Json }[]).map((p) => resolve(p.PolicyDocument));
}

/** A role's trust policy, resolved: the resource policy of sts:AssumeRole on that role. */
export function trustPolicy(template: Template, logicalId: string, where: { account: string; region: string }): Json {
  return resolved(template, where)(template.Resources[logicalId]!.Properties!.AssumeRolePolicyDocument!);
}

/**
 * AWS's decision on a request, by @cloud-copilot/iam-simulate (AWS's evaluation logic, with the
 * Service Authorization Reference as data: an action, resource type or condition key that does not
 * exist is an error here, not a silent match).
 */
export async function decide(request: IamRequest, policies: { identity: Json[]; resource?: Json }): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: request.context ?? {},
      },
      identityPolicies: policies.identity.map((policy, i) => ({ name: `inline-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(policies.resource ? { resourcePolicy: policies.resource } : {}),
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`the simulation refused the request: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}
