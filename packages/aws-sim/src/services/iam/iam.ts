import { randomBytes } from 'node:crypto';
import { AwsError } from '../../core/errors.js';
import { wildcardMatch } from '../../policy/wildcard.js';

/** Who is making a call: an account's root (admin) or a session of a role. */
export interface Principal {
  account: string;
  /** `arn:aws:iam::<account>:root` or the role ARN the session belongs to. */
  arn: string;
  /** The STS session ARN for assumed roles. */
  sessionArn?: string;
  role?: RoleDefinition;
}

export interface TrustPolicy {
  /** Role ARNs or `arn:aws:iam::<account>:root` entries that may assume the role. */
  principals: string[];
  /** sts:ExternalId the caller must pass. */
  externalId?: string;
  /** aws:PrincipalOrgID the caller's account must belong to. */
  orgId?: string;
}

export interface RoleDefinition {
  account: string;
  name: string;
  arn: string;
  trust: TrustPolicy;
  /** IAM actions (`ec2:DescribeSnapshots`, `kms:ReEncrypt*`) the role may call, wildcards as IAM reads them; all actions when absent. */
  allow?: string[];
}

export interface SimCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export const rootArn = (account: string) => `arn:aws:iam::${account}:root`;
export const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

/** Roles and issued credentials of every account; resolves an access key back to its principal. */
export class Iam {
  readonly #roles = new Map<string, RoleDefinition>();
  readonly #keys = new Map<string, { principal: Principal; expiresAt?: number }>();

  putRole(role: Omit<RoleDefinition, 'arn'>): RoleDefinition {
    const full = { ...role, arn: roleArn(role.account, role.name) };
    this.#roles.set(full.arn, full);
    return full;
  }

  role(arn: string): RoleDefinition | undefined {
    return this.#roles.get(arn);
  }

  removeAccount(account: string): void {
    for (const [arn, role] of this.#roles) if (role.account === account) this.#roles.delete(arn);
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

  /** Denies the call unless the principal's role allows the IAM action. */
  authorize(principal: Principal, action: string): void {
    const allow = principal.role?.allow;
    if (!allow) return;
    const [service] = action.split(':');
    if (allow.some((pattern) => wildcardMatch(pattern, action, true))) return;
    throw new AwsError(
      service === 'ec2' ? 'UnauthorizedOperation' : 'AccessDeniedException',
      `User: ${principal.sessionArn ?? principal.arn} is not authorized to perform: ${action}`,
      service === 'ec2' ? 403 : 400,
    );
  }
}
