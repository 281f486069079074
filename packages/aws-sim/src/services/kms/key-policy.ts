import { AwsError } from '../../core/errors.js';
import { MalformedPolicyError, type PolicyDocument, type PolicyStatement, parsePolicy } from '../../policy/resource-policy.js';
import { wildcardMatch } from '../../policy/wildcard.js';
import { rootArn } from '../iam/iam.js';

/** The services whose AWS managed keys (`aws/<service>`) the simulation knows. */
export type AwsManagedService = 'ebs' | 'rds' | 'ssm';

/** A key policy document; AWS's own key policies carry an `Id`. */
export type KeyPolicyDocument = PolicyDocument & { Id?: string };

/** A key policy request: who asks, for which `kms:` action, on which key, with which condition keys. */
export interface KeyPolicyRequest {
  principal: { account: string; arn: string };
  /** `kms:Decrypt`, `kms:CreateGrant`, … */
  action: string;
  keyArn: string;
  /** Condition keys of the request, by lower-case name (`kms:calleraccount`, `kms:viaservice`, …). */
  context: Record<string, string>;
}

/**
 * How a key policy answers. `allow-principal`: a statement names the principal itself (or `*`), which
 * suffices in the key's own account. `allow-account`: a statement names the principal's account
 * (its root or id), which delegates the decision to that account's IAM.
 */
export type KeyPolicyDecision = 'deny' | 'allow-principal' | 'allow-account' | 'none';

type PrincipalMatch = 'principal' | 'account';

/** Condition keys the simulation evaluates; any other key fails closed (see {@link evaluateKeyPolicy}). */
const SUPPORTED_KEYS = new Set([
  'kms:calleraccount',
  'kms:viaservice',
  'kms:grantisforawsresource',
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:principalarn',
]);

const operators: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringNotEquals: (e, a) => e !== a,
  StringLike: (e, a) => wildcardMatch(e, a),
  StringNotLike: (e, a) => !wildcardMatch(e, a),
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => wildcardMatch(e, a),
};

/** AWS's default key policy (CreateKey without a policy): the account root gets `kms:*`, delegating to IAM. */
export function defaultKeyPolicy(account: string): KeyPolicyDocument {
  return {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: rootArn(account) }, Action: 'kms:*', Resource: '*' },
    ],
  };
}

const managed: Record<AwsManagedService, { endpoint: string; label: string; protects: string; actions: string[] }> = {
  ebs: {
    endpoint: 'ec2',
    label: 'EBS',
    protects: 'EBS volumes',
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
  },
  rds: {
    endpoint: 'rds',
    label: 'RDS',
    protects: 'RDS database volumes',
    actions: [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncrypt*',
      'kms:GenerateDataKey*',
      'kms:CreateGrant',
      'kms:ListGrants',
      'kms:DescribeKey',
    ],
  },
  ssm: {
    endpoint: 'ssm',
    label: 'SSM',
    protects: 'SSM parameters',
    actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
  },
};

/**
 * The policy AWS attaches to `aws/<service>` (the `auto-ebs-2` document for EBS; RDS and SSM follow
 * the same template): use only through the service (`kms:ViaService`) by principals of the owning
 * account (`kms:CallerAccount`), plus read-only metadata access for the account. Nobody can change it.
 */
export function awsManagedKeyPolicy(account: string, region: string, service: AwsManagedService): KeyPolicyDocument {
  const { endpoint, label, actions } = managed[service];
  return {
    Version: '2012-10-17',
    Id: `auto-${service}-2`,
    Statement: [
      {
        Sid: `Allow access through ${label} for all principals in the account that are authorized to use ${label}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: actions,
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': account, 'kms:ViaService': `${endpoint}.${region}.amazonaws.com` } },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: rootArn(account) },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
        Resource: '*',
      },
    ],
  };
}

/** The description AWS gives an AWS managed key. */
export function awsManagedKeyDescription(service: AwsManagedService): string {
  return `Default key that protects my ${managed[service].protects} when no other key is defined`;
}

/**
 * Parses a key policy (JSON text or document). Key policies need a Principal in every statement.
 * @throws AwsError MalformedPolicyDocumentException
 */
export function parseKeyPolicy(policy: string | PolicyDocument): PolicyDocument {
  try {
    const document = parsePolicy(policy);
    if (statementsOf(document).some((s) => s.Principal === undefined))
      throw new MalformedPolicyError('Every key policy statement needs a Principal');
    return document;
  } catch (error) {
    if (error instanceof MalformedPolicyError) throw new AwsError('MalformedPolicyDocumentException', error.message);
    throw error;
  }
}

/**
 * Evaluates a key policy. An explicit Deny wins; otherwise the strongest matching Allow decides.
 * A statement whose conditions the simulation cannot evaluate (unknown operator or key, `NotAction`,
 * `NotPrincipal`, `NotResource`) fails closed: such an Allow never applies, such a Deny always does.
 */
export function evaluateKeyPolicy(policy: PolicyDocument, request: KeyPolicyRequest): KeyPolicyDecision {
  const matches = statementsOf(policy).map((s) => ({ effect: s.Effect, match: statementMatch(s, request) }));
  if (matches.some((m) => m.effect === 'Deny' && m.match)) return 'deny';
  const allows = matches.filter((m) => m.effect === 'Allow').map((m) => m.match);
  if (allows.includes('principal')) return 'allow-principal';
  return allows.includes('account') ? 'allow-account' : 'none';
}

function statementsOf(policy: PolicyDocument): PolicyStatement[] {
  return ([] as PolicyStatement[]).concat(policy.Statement);
}

const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : ([] as T[]).concat(value));

/** How a statement names the requester, when it applies to the request. */
function statementMatch(statement: PolicyStatement, request: KeyPolicyRequest): PrincipalMatch | undefined {
  // Fail closed on what cannot be evaluated: such an Allow never applies, such a Deny applies wherever it might.
  if (['NotAction', 'NotPrincipal', 'NotResource'].some((k) => k in statement))
    return statement.Effect === 'Deny' ? 'principal' : undefined;
  const who = principalMatch(statement.Principal, request.principal);
  const targeted =
    who !== undefined &&
    asList(statement.Action).some((a) => wildcardMatch(a, request.action, true)) &&
    (statement.Resource === undefined || asList(statement.Resource).some((r) => wildcardMatch(r, request.keyArn)));
  if (!targeted) return undefined;
  const holds = conditionsSupported(statement.Condition)
    ? conditionsHold(statement.Condition, request.context)
    : statement.Effect === 'Deny';
  return holds ? who : undefined;
}

/** `*` and the principal's own ARN name it directly; the account root or bare account id name its account. */
function principalMatch(principal: PolicyStatement['Principal'], who: { account: string; arn: string }): PrincipalMatch | undefined {
  if (principal === '*') return 'principal';
  const entries = asList(principal?.AWS);
  if (entries.some((e) => e === '*' || e === who.arn)) return 'principal';
  return entries.some((e) => e === who.account || e === rootArn(who.account)) ? 'account' : undefined;
}

function conditionsSupported(condition: PolicyStatement['Condition']): boolean {
  return Object.entries(condition ?? {}).every(
    ([operator, keys]) => operators[operator] !== undefined && Object.keys(keys).every((k) => SUPPORTED_KEYS.has(k.toLowerCase())),
  );
}

/** Every operator and key must hold; a key absent from the request holds only for the negated operators, as in IAM. */
function conditionsHold(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key.toLowerCase()];
      if (actual === undefined) return operator.includes('Not');
      const values = asList(expected).map(String);
      return operator.includes('Not')
        ? values.every((v) => operators[operator]!(v, actual))
        : values.some((v) => operators[operator]!(v, actual));
    }),
  );
}
