import { randomBytes } from 'node:crypto';
import { checkNumber, checkString } from '../../core/constraints.js';
import { AwsError } from '../../core/errors.js';
import type { QuotaBook } from '../../core/quotas.js';
import { type PolicyDocument, parsePolicy } from '../../policy/resource-policy.js';

/** Who is making a call: an account's root (admin) or a session of a role. */
export interface Principal {
  account: string;
  /** `arn:aws:iam::<account>:root` or the role ARN the session belongs to. */
  arn: string;
  /** The STS session ARN for assumed roles: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  sessionArn?: string;
  role?: RoleDefinition;
  /** The source identity the session was created with (`sts:SourceIdentity`), which every later call carries as `aws:SourceIdentity`. */
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
  /** The ARNs of the customer managed policies attached to it. */
  managedPolicies: string[];
  description?: string;
  /** The longest session AssumeRole may ask for (IAM's default is one hour). */
  maxSessionSeconds: number;
}

export interface PutRoleInput {
  account: string;
  name: string;
  /** The documents as CloudFormation sends them (resolved), or their JSON text. */
  trustPolicy: PolicyDocument | string;
  policies?: Record<string, PolicyDocument | string>;
  /** ARNs of customer managed policies of the account ({@link Iam.createPolicy}). */
  managedPolicies?: string[];
  description?: string;
  maxSessionSeconds?: number;
}

/** A customer managed policy. */
export interface ManagedPolicy {
  account: string;
  name: string;
  arn: string;
  document: PolicyDocument;
  description?: string;
}

export interface SimCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export const rootArn = (account: string) => `arn:aws:iam::${account}:root`;
export const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
/** The ARN of a role session, as STS names the caller of an assumed role. */
export const sessionArnOf = (role: RoleDefinition, sessionName: string) =>
  `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;
export const policyArn = (account: string, name: string) => `arn:aws:iam::${account}:policy/${name}`;

/** "MaxSessionDuration: … from 1 hour to 12 hours" (IAM API reference, CreateRole); 1 hour when unset. */
const SESSION_SECONDS = { default: 3600, min: 3600, max: 43_200 };
/** The request constraints of CreateRole, PutRolePolicy and CreatePolicy (IAM API reference). */
const ROLE_NAME = { min: 1, max: 64, pattern: '[\\w+=,.@-]+' };
const POLICY_NAME = { min: 1, max: 128, pattern: '[\\w+=,.@-]+' };
const ROLE_PATH = { min: 1, max: 512, pattern: '(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)' };
const DESCRIPTION = { max: 1000, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*' };

/**
 * The size of a policy as IAM counts it against its quotas: the JSON CloudFormation sends, without
 * white space ("IAM does not count white space when calculating the size of a policy").
 */
export function policyLength(policy: PolicyDocument | string): number {
  return (typeof policy === 'string' ? policy : JSON.stringify(policy)).replace(/[ \t\r\n]/g, '').length;
}

/** @throws AwsError ValidationError when the path breaks CreateRole's constraints */
export function checkRolePath(path: string): void {
  checkString('ValidationError', 'path', path, ROLE_PATH);
}

/**
 * Roles and issued credentials of every account; resolves an access key back to its principal.
 * A role's documents are kept whole: the cloud's authorizer judges its identity policies and its
 * trust policy as AWS does.
 */
export class Iam {
  readonly #roles = new Map<string, RoleDefinition>();
  readonly #managedPolicies = new Map<string, ManagedPolicy>();
  readonly #keys = new Map<string, { principal: Principal; expiresAt?: number }>();

  constructor(private readonly quotas: QuotaBook) {}

  /**
   * Creates or replaces a role, with its inline policies and attached managed policies, as
   * CreateRole, PutRolePolicy and AttachRolePolicy do.
   * @throws AwsError ValidationError for a name, description or session length outside CreateRole's
   * constraints; MalformedPolicyDocument; LimitExceeded for the trust policy length, the inline
   * policies' size or the managed policies per role; NoSuchEntity for an unknown managed policy
   */
  putRole(input: PutRoleInput): RoleDefinition {
    checkString('ValidationError', 'roleName', input.name, ROLE_NAME);
    if (input.description !== undefined) checkString('ValidationError', 'description', input.description, DESCRIPTION);
    const maxSessionSeconds = input.maxSessionSeconds ?? SESSION_SECONDS.default;
    checkNumber('ValidationError', 'maxSessionDuration', maxSessionSeconds, SESSION_SECONDS.min, SESSION_SECONDS.max);
    const arn = roleArn(input.account, input.name);
    this.quotas.check(
      { quota: 'iam.trustPolicySize', account: input.account, region: GLOBAL, subject: arn, value: policyLength(input.trustPolicy) },
      (limit) => limitExceeded(`Cannot exceed quota for ACLSizePerRole: ${limit}`),
    );
    const role: RoleDefinition = {
      account: input.account,
      name: input.name,
      arn,
      trustPolicy: checked(input.trustPolicy, 'trust policy'),
      policies: {},
      managedPolicies: [],
      maxSessionSeconds,
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    this.#roles.set(role.arn, role);
    for (const [name, policy] of Object.entries(input.policies ?? {})) this.putRolePolicy(role.arn, name, policy);
    for (const policy of input.managedPolicies ?? []) this.attachRolePolicy(role.arn, policy);
    return role;
  }

  /**
   * Adds or replaces an inline policy of a role (PutRolePolicy). All the role's inline policies
   * together count against its quota; over it, the role keeps the policies it had.
   * @throws AwsError ValidationError for the name; MalformedPolicyDocument; LimitExceeded; NoSuchEntity
   */
  putRolePolicy(roleArnValue: string, name: string, policy: PolicyDocument | string): void {
    const role = this.#existingRole(roleArnValue);
    checkString('ValidationError', 'policyName', name, POLICY_NAME);
    const document = checked(policy, `policy ${name}`);
    const others = Object.entries(role.policies).filter(([other]) => other !== name);
    const size = others.reduce((sum, [, other]) => sum + policyLength(other), policyLength(policy));
    this.quotas.check({ quota: 'iam.rolePolicySize', account: role.account, region: GLOBAL, subject: role.arn, value: size }, (limit) =>
      limitExceeded(`Maximum policy size of ${limit} bytes exceeded for role ${role.name}`),
    );
    role.policies = { ...Object.fromEntries(others), [name]: document };
  }

  /**
   * Creates a customer managed policy (CreatePolicy).
   * @throws AwsError ValidationError; MalformedPolicyDocument; LimitExceeded for its size; EntityAlreadyExists
   */
  createPolicy(account: string, input: { name: string; document: PolicyDocument | string; description?: string }): ManagedPolicy {
    checkString('ValidationError', 'policyName', input.name, POLICY_NAME);
    if (input.description !== undefined) checkString('ValidationError', 'description', input.description, DESCRIPTION);
    const arn = policyArn(account, input.name);
    if (this.#managedPolicies.has(arn))
      throw new AwsError('EntityAlreadyExists', `A policy called ${input.name} already exists. Duplicate names are not allowed.`, 409);
    this.quotas.check(
      { quota: 'iam.managedPolicySize', account, region: GLOBAL, subject: arn, value: policyLength(input.document) },
      (limit) => limitExceeded(`Cannot exceed quota for PolicySize: ${limit}`),
    );
    const policy: ManagedPolicy = {
      account,
      name: input.name,
      arn,
      document: checked(input.document, `policy ${input.name}`),
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    this.#managedPolicies.set(arn, policy);
    return policy;
  }

  /**
   * Attaches a customer managed policy of the role's account (AttachRolePolicy).
   * @throws AwsError NoSuchEntity; LimitExceeded for the managed policies per role
   */
  attachRolePolicy(roleArnValue: string, policy: string): void {
    const role = this.#existingRole(roleArnValue);
    const managed = this.#managedPolicies.get(policy);
    if (!managed || managed.account !== role.account)
      throw new AwsError('NoSuchEntity', `Policy ${policy} does not exist or is not attachable.`, 404);
    if (role.managedPolicies.includes(policy)) return;
    this.quotas.check(
      {
        quota: 'iam.managedPoliciesPerRole',
        account: role.account,
        region: GLOBAL,
        subject: role.arn,
        value: role.managedPolicies.length + 1,
      },
      (limit) => limitExceeded(`Cannot exceed quota for PoliciesPerRole: ${limit}`),
    );
    role.managedPolicies = [...role.managedPolicies, policy];
  }

  role(arn: string): RoleDefinition | undefined {
    return this.#roles.get(arn);
  }

  /** A customer managed policy by ARN, if it exists. */
  managedPolicy(arn: string): ManagedPolicy | undefined {
    return this.#managedPolicies.get(arn);
  }

  #existingRole(arn: string): RoleDefinition {
    const role = this.#roles.get(arn);
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${arn.slice(arn.lastIndexOf('/') + 1)} cannot be found.`, 404);
    return role;
  }

  removeAccount(account: string): void {
    for (const [arn, role] of this.#roles) if (role.account === account) this.#roles.delete(arn);
    for (const [arn, policy] of this.#managedPolicies) if (policy.account === account) this.#managedPolicies.delete(arn);
    for (const [key, entry] of this.#keys) if (entry.principal.account === account) this.#keys.delete(key);
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
}

/** IAM is global: its quotas are per account, recorded under this Region name. */
const GLOBAL = 'global';

const limitExceeded = (message: string) => new AwsError('LimitExceeded', message, 409);

function checked(policy: PolicyDocument | string, what: string): PolicyDocument {
  try {
    return parsePolicy(policy);
  } catch (error) {
    throw new AwsError('MalformedPolicyDocument', `The ${what} is malformed: ${(error as Error).message}`);
  }
}
