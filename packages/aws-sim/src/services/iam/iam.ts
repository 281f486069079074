import { randomBytes } from 'node:crypto';
import { AwsError } from '../../core/errors.js';
import {
  evaluatePolicy,
  type PolicyDocument,
  type PolicyPrincipal,
  type PolicyStatement,
  parsePolicy,
} from '../../policy/resource-policy.js';
import { wildcardMatch } from '../../policy/wildcard.js';

/** Who is making a call: an account's root (admin) or a session of a role. */
export interface Principal {
  account: string;
  /** `arn:aws:iam::<account>:root` or the role ARN the session belongs to. */
  arn: string;
  /** The STS session ARN for assumed roles. */
  sessionArn?: string;
  role?: RoleDefinition;
  /** The session's source identity: set once when a role is assumed, carried through every role the session assumes after. */
  sourceIdentity?: string;
}

/** A role as IAM keeps it: its documents whole, so that Resource and Condition can be judged as written. */
export interface RoleDefinition {
  account: string;
  name: string;
  arn: string;
  /** The trust policy (`AssumeRolePolicyDocument`): who may assume the role, on which conditions. */
  trustPolicy: PolicyDocument;
  /** Inline identity policies, by policy name. */
  policies: Record<string, PolicyDocument>;
  description?: string;
  /** The longest session AssumeRole may ask for (IAM's default is one hour). */
  maxSessionSeconds: number;
}

export interface PutRoleInput {
  account: string;
  name: string;
  trustPolicy: PolicyDocument;
  policies?: Record<string, PolicyDocument>;
  description?: string;
  maxSessionSeconds?: number;
}

export interface SimCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export const rootArn = (account: string) => `arn:aws:iam::${account}:root`;
export const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

/** "MaxSessionDuration: … from 1 hour to 12 hours" (IAM API reference, CreateRole); 1 hour when unset. */
const SESSION_SECONDS = { default: 3600, min: 3600, max: 43_200 };
/** "Role names … up to 64 characters. Valid characters: upper and lowercase alphanumeric characters, and +=,.@_-" (CreateRole). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * Roles and issued credentials of every account; resolves an access key back to its principal.
 *
 * A role's identity policies are kept whole, but decided on the action alone for now: a call is
 * allowed when an Allow statement of an inline policy names its action (IAM wildcards), whatever
 * the statement's Resource and Condition say. An account's root (no role) may do anything.
 */
export class Iam {
  readonly #roles = new Map<string, RoleDefinition>();
  readonly #keys = new Map<string, { principal: Principal; expiresAt?: number }>();
  /** Decisions per role ARN and action: a soak makes hundreds of thousands of calls with a few dozen distinct pairs. */
  readonly #decisions = new Map<string, Map<string, boolean>>();

  /**
   * Creates or replaces a role.
   * @throws AwsError ValidationError for a malformed name, session length or policy document
   */
  putRole(input: PutRoleInput): RoleDefinition {
    if (!ROLE_NAME.test(input.name))
      throw new AwsError('ValidationError', `Role name ${input.name} must be 1 to 64 characters of [A-Za-z0-9+=,.@_-]`);
    const maxSessionSeconds = input.maxSessionSeconds ?? SESSION_SECONDS.default;
    if (!Number.isInteger(maxSessionSeconds) || maxSessionSeconds < SESSION_SECONDS.min || maxSessionSeconds > SESSION_SECONDS.max) {
      throw new AwsError('ValidationError', `MaxSessionDuration must be between ${SESSION_SECONDS.min} and ${SESSION_SECONDS.max} seconds`);
    }
    const role: RoleDefinition = {
      account: input.account,
      name: input.name,
      arn: roleArn(input.account, input.name),
      trustPolicy: checked(input.trustPolicy, 'trust policy'),
      policies: Object.fromEntries(Object.entries(input.policies ?? {}).map(([name, policy]) => [name, checked(policy, `policy ${name}`)])),
      maxSessionSeconds,
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    this.#roles.set(role.arn, role);
    this.#decisions.delete(role.arn);
    return role;
  }

  role(arn: string): RoleDefinition | undefined {
    return this.#roles.get(arn);
  }

  removeAccount(account: string): void {
    for (const [arn, role] of this.#roles) if (role.account === account) this.#roles.delete(arn);
    for (const [key, entry] of this.#keys) if (entry.principal.account === account) this.#keys.delete(key);
  }

  /**
   * Whether a role's trust policy lets a principal (or an AWS service) assume it, with the
   * request's condition keys (`sts:ExternalId`, `aws:SourceArn`, …).
   */
  trusts(role: RoleDefinition, who: PolicyPrincipal, context: Record<string, string> = {}, action = 'sts:AssumeRole'): boolean {
    return evaluatePolicy(role.trustPolicy, { principal: who, action, resource: role.arn, context }) === 'allow';
  }

  /** Long-lived credentials for a principal (an account admin, or a Lambda function's execution role). */
  credentialsFor(principal: Principal, expiresAt?: number): SimCredentials {
    const accessKeyId = `${expiresAt === undefined ? 'AKIA' : 'ASIA'}${randomBytes(8).toString('hex').toUpperCase()}`;
    this.#keys.set(accessKeyId, { principal, expiresAt });
    return {
      accessKeyId,
      secretAccessKey: randomBytes(20).toString('base64'),
      ...(expiresAt === undefined ? {} : { sessionToken: randomBytes(24).toString('base64'), expiration: new Date(expiresAt) }),
    };
  }

  /** The principal behind an access key, as AWS authenticates a signed request. */
  authenticate(accessKeyId: string, nowMs: number): Principal {
    const entry = this.#keys.get(accessKeyId);
    if (!entry) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (entry.expiresAt !== undefined && entry.expiresAt <= nowMs) {
      throw new AwsError('ExpiredToken', 'The security token included in the request is expired');
    }
    return entry.principal;
  }

  /** Whether the principal's identity policies allow an IAM action (see the class comment). */
  allows(principal: Principal, action: string): boolean {
    const role = principal.role;
    if (!role) return true;
    let decisions = this.#decisions.get(role.arn);
    if (!decisions) {
      decisions = new Map();
      this.#decisions.set(role.arn, decisions);
    }
    let allowed = decisions.get(action);
    if (allowed === undefined) {
      allowed = Object.values(role.policies).some((policy) =>
        statementsOf(policy).some((s) => s.Effect === 'Allow' && asList(s.Action).some((a) => wildcardMatch(a, action, true))),
      );
      decisions.set(action, allowed);
    }
    return allowed;
  }

  /**
   * Denies the call unless the principal's identity policies allow the IAM action.
   * @throws AwsError UnauthorizedOperation (EC2) or AccessDeniedException
   */
  authorize(principal: Principal, action: string): void {
    if (this.allows(principal, action)) return;
    const ec2 = action.startsWith('ec2:');
    throw new AwsError(
      ec2 ? 'UnauthorizedOperation' : 'AccessDeniedException',
      `User: ${principal.sessionArn ?? principal.arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
      ec2 ? 403 : 400,
    );
  }
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : ([] as string[]).concat(value));
const statementsOf = (policy: PolicyDocument): PolicyStatement[] => ([] as PolicyStatement[]).concat(policy.Statement);

function checked(policy: PolicyDocument, what: string): PolicyDocument {
  try {
    return parsePolicy(policy);
  } catch (error) {
    throw new AwsError('MalformedPolicyDocument', `The ${what} is malformed: ${(error as Error).message}`);
  }
}
