/**
 * Resource-based policies (event bus policies, SQS queue policies): the subset of the IAM
 * policy language those documents use. An explicit Deny wins, otherwise an Allow is needed.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  /** `{ Operator: { key: value | values } }`, e.g. `{ ArnEquals: { 'aws:SourceArn': ruleArn } }`. */
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** Who is asking: a principal of an account (root or role session), or an AWS service. */
export type PolicyPrincipal = { account: string; arn: string; orgId?: string } | { service: string };

export interface PolicyRequest {
  principal: PolicyPrincipal;
  action: string;
  resource: string;
  /** Extra condition keys, e.g. `aws:SourceArn` for a service acting for a rule. */
  context?: Record<string, string>;
}

export type PolicyDecision = 'allow' | 'deny' | 'implicit-deny';

/** A resource without a policy: it allows nobody else (a bus or queue of another account refuses every sender). */
export const NO_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [] };

/** A policy that is not a JSON policy document. */
export class MalformedPolicyError extends Error {
  override readonly name = 'MalformedPolicyError';
}

/**
 * Parses a policy document from its JSON text (or checks an already parsed one).
 * @throws MalformedPolicyError
 */
export function parsePolicy(policy: string | PolicyDocument): PolicyDocument {
  let document: unknown = policy;
  if (typeof policy === 'string') {
    try {
      document = JSON.parse(policy);
    } catch {
      throw new MalformedPolicyError('The policy is not valid JSON');
    }
  }
  const statements = (document as PolicyDocument | null)?.Statement;
  const list = Array.isArray(statements) ? statements : [statements];
  if (statements === undefined || list.some((s) => !s || (s.Effect !== 'Allow' && s.Effect !== 'Deny') || s.Action === undefined)) {
    throw new MalformedPolicyError('Every statement needs an Effect of Allow or Deny and an Action');
  }
  return document as PolicyDocument;
}

/** Evaluates a request against a resource policy. */
export function evaluatePolicy(policy: PolicyDocument, request: PolicyRequest): PolicyDecision {
  const statements = ([] as PolicyStatement[]).concat(policy.Statement);
  const applicable = statements.filter((s) => statementApplies(s, request));
  if (applicable.some((s) => s.Effect === 'Deny')) return 'deny';
  return applicable.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : ([] as string[]).concat(value));

function statementApplies(statement: PolicyStatement, request: PolicyRequest): boolean {
  return (
    principalMatches(statement.Principal, request.principal) &&
    asList(statement.Action).some((action) => globMatches(action, request.action, true)) &&
    (statement.Resource === undefined || asList(statement.Resource).some((resource) => globMatches(resource, request.resource, false))) &&
    conditionsHold(statement.Condition, conditionContext(request))
  );
}

/** `*` (anyone, services included), account ids, account root ARNs (anyone in the account), role ARNs, service names. */
function principalMatches(principal: PolicyStatement['Principal'], who: PolicyPrincipal): boolean {
  if (principal === '*') return true;
  if (!principal) return false;
  if ('service' in who) return asList(principal.Service).includes(who.service) || asList(principal.AWS).includes('*');
  return asList(principal.AWS).some(
    (entry) => entry === '*' || entry === who.account || entry === `arn:aws:iam::${who.account}:root` || entry === who.arn,
  );
}

/** The global condition keys AWS fills in from the request, plus the request's own. */
function conditionContext(request: PolicyRequest): Record<string, string> {
  const who = request.principal;
  const fromPrincipal: Record<string, string> =
    'service' in who
      ? { 'aws:PrincipalServiceName': who.service }
      : { 'aws:PrincipalAccount': who.account, 'aws:PrincipalArn': who.arn, ...(who.orgId ? { 'aws:PrincipalOrgID': who.orgId } : {}) };
  return { ...fromPrincipal, ...request.context };
}

type Operator = (expected: string, actual: string) => boolean;
const operators: Record<string, Operator> = {
  StringEquals: (e, a) => e === a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringLike: (e, a) => globMatches(e, a, false),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => globMatches(e, a, false),
};

/**
 * Every operator and key must hold. `...IfExists` holds when the key is absent; `...Not...`
 * operators negate and hold when the key is absent, as IAM evaluates them. Unknown operators never hold.
 */
function conditionsHold(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  return Object.entries(condition ?? {}).every(([rawOperator, keys]) => {
    const ifExists = rawOperator.endsWith('IfExists');
    const name = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const negated = /^(String|Arn)Not/.test(name);
    const operator = operators[name.replace(/^(String|Arn)Not/, '$1')];
    if (!operator) return false;
    return Object.entries(keys).every(([key, expected]) => {
      const actual = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
      if (actual === undefined) return ifExists || negated;
      const any = asList(expected).some((value) => operator(value, actual));
      return negated ? !any : any;
    });
  });
}

/** IAM wildcards: `*` any run of characters, `?` one character. Actions compare case-insensitively. */
function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}
