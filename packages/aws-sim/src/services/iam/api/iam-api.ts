import type { CloudCore } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import type { ResourcePolicy } from '../../../iam/authorizer.js';
import { parsePolicy } from '../../../policy/resource-policy.js';
import { list } from '../../../protocol/query.js';

/** A ContextEntry of SimulatePrincipalPolicy on the query wire. */
interface WireContextEntry {
  ContextKeyName?: string;
  ContextKeyValues?: unknown;
  ContextKeyType?: string;
}

/**
 * The IAM API (query protocol): SimulatePrincipalPolicy, which evaluates a role's identity policies
 * for actions on resources with the context entries given, through the same evaluation logic every
 * simulated call goes through. "The simulation does not automatically retrieve policies for the
 * specified resources" (SimulatePrincipalPolicy): a resource policy takes part only when the request
 * gives it (`ResourcePolicy`, with `ResourceOwner` for a resource of another account).
 */
export function iamApi(cloud: CloudCore): SimService {
  return {
    name: 'iam',
    protocol: 'query',
    xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
    call(action, input, ctx) {
      if (action !== 'SimulatePrincipalPolicy')
        throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
      return simulatePrincipalPolicy(cloud, input, ctx);
    },
    authorization: (action, input, ctx) => [
      { action: `iam:${action}`, resource: String(input.PolicySourceArn ?? '*'), resourceAccount: ctx.account },
    ],
  };
}

function simulatePrincipalPolicy(cloud: CloudCore, input: Record<string, unknown>, ctx: CallContext) {
  const source = String(input.PolicySourceArn ?? '');
  const role = cloud.iam.role(source);
  // The principal must be one of the caller's account (a user, group or role IAM knows there).
  if (!role || role.account !== ctx.account) throw new AwsError('NoSuchEntity', `The role with ARN ${source} cannot be found.`, 404);
  const actions = list<string>(input.ActionNames);
  if (actions.length === 0) throw new AwsError('ValidationError', 'ActionNames must name at least one action.');
  const resources = list<string>(input.ResourceArns);
  const context = Object.fromEntries(
    list<WireContextEntry>(input.ContextEntries).map((entry) => {
      const values = list<string>(entry.ContextKeyValues);
      return [String(entry.ContextKeyName), entry.ContextKeyType?.endsWith('List') ? values : values[0]];
    }),
  );
  const owner = typeof input.ResourceOwner === 'string' ? input.ResourceOwner.split(':')[4] : undefined;
  const resourcePolicy = typeof input.ResourcePolicy === 'string' ? given(input.ResourcePolicy, actions[0]!) : undefined;
  const results = actions.flatMap((action) =>
    (resources.length > 0 ? resources : ['*']).map((resource) => {
      const decision = cloud.authorizer.authorize(
        { account: role.account, arn: role.arn, role },
        {
          action,
          resource,
          resourceAccount: owner ?? role.account,
          context,
          ...(resourcePolicy
            ? { resourcePolicy: { ...resourcePolicy, owner: resource } }
            : action.startsWith('kms:')
              ? { resourcePolicy: { type: 'key policy' as const, owner: resource, document: delegatingToIam(role.account) } }
              : {}),
        },
        ctx.region,
      );
      return {
        EvalActionName: action,
        EvalResourceName: resource,
        EvalDecision: decision.allowed ? 'allowed' : decision.explicitDeny ? 'explicitDeny' : 'implicitDeny',
        MatchedStatements: {
          member: decision.allowedBy.map((s) => ({ SourcePolicyId: `${s.policy}#${s.sid}`, SourcePolicyType: 'IAM Policy' })),
        },
        MissingContextValues: { member: [] },
      };
    }),
  );
  return { EvaluationResults: { member: results }, IsTruncated: false };
}

/** The policy types of the resources whose policies the hub's checks give: by the service of the action. */
const POLICY_TYPES: Record<string, ResourcePolicy['type']> = {
  events: 'bus policy',
  sqs: 'queue policy',
  kms: 'key policy',
  sts: 'trust policy',
  lambda: 'function policy',
};

function given(text: string, action: string): Omit<ResourcePolicy, 'owner'> {
  const type = POLICY_TYPES[action.split(':')[0]!];
  if (!type)
    throw new AwsError('InvalidInput', `The simulation takes a resource policy for ${Object.keys(POLICY_TYPES).join(', ')} actions only.`);
  try {
    return { type, document: parsePolicy(text) };
  } catch (error) {
    throw new AwsError('MalformedPolicyDocument', (error as Error).message);
  }
}

/**
 * Without a key policy given, the identity policies alone decide, as in AWS's simulation; the
 * simulated KMS always asks for a key policy, so the simulation gives it the default one, which
 * leaves the decision to the account's IAM (KMS developer guide, "Default key policy").
 */
const delegatingToIam = (account: string) =>
  parsePolicy({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  });
