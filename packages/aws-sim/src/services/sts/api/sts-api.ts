import type { CloudCore } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import type { AuthorizationRequest } from '../../../iam/authorizer.js';
import { sessionArnOf } from '../../iam/iam.js';

const SESSION_SECONDS_DEFAULT = 3600;
/** "upper- and lower-case alphanumeric characters with no spaces … underscores or =,.@-", 2 to 64 characters (AssumeRole, SourceIdentity). */
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;

/**
 * STS over the cloud's IAM: AssumeRole is authorized on the role against its trust policy (and, for a
 * caller of another account or one the trust names only by account, the caller's IAM), with
 * `sts:ExternalId`, `sts:SourceIdentity` and `sts:RoleSessionName`; GetCallerIdentity needs nothing.
 */
export function stsApi(cloud: CloudCore): SimService {
  return {
    name: 'sts',
    protocol: 'query',
    xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
    call(action, input, ctx) {
      switch (action) {
        case 'AssumeRole':
          return assumeRole(cloud, input, ctx);
        case 'GetCallerIdentity':
          return { Account: ctx.account, Arn: ctx.caller.sessionArn ?? ctx.caller.arn, UserId: ctx.caller.arn };
        default:
          throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
      }
    },
    authorization: (action, input, ctx) => (action === 'AssumeRole' ? assumeRoleRequests(cloud, input, ctx) : []),
  };
}

/**
 * AssumeRole, and with a source identity (asked for, or carried on by a chained session) also
 * `sts:SetSourceIdentity`: "the role trust policy must allow sts:SetSourceIdentity" (Monitor and
 * control actions taken with assumed roles).
 */
function assumeRoleRequests(cloud: CloudCore, input: Record<string, unknown>, ctx: CallContext): AuthorizationRequest[] {
  const assume = assumeRoleRequest(cloud, input, ctx, 'sts:AssumeRole');
  return assume.context?.['sts:SourceIdentity'] === undefined
    ? [assume]
    : [assume, assumeRoleRequest(cloud, input, ctx, 'sts:SetSourceIdentity')];
}

function assumeRoleRequest(cloud: CloudCore, input: Record<string, unknown>, ctx: CallContext, action: string): AuthorizationRequest {
  const roleArn = String(input.RoleArn ?? '');
  const role = cloud.iam.role(roleArn);
  return {
    action,
    resource: roleArn,
    resourceAccount: role?.account ?? roleArn.split(':')[4] ?? '',
    ...(role ? { resourcePolicy: { type: 'trust policy' as const, owner: role.arn, document: role.trustPolicy } } : {}),
    context: {
      'sts:ExternalId': typeof input.ExternalId === 'string' ? input.ExternalId : undefined,
      'sts:SourceIdentity': sessionSourceIdentity(input.SourceIdentity, ctx),
      'sts:RoleSessionName': typeof input.RoleSessionName === 'string' ? input.RoleSessionName : undefined,
    },
  };
}

function assumeRole(cloud: CloudCore, input: Record<string, unknown>, ctx: CallContext) {
  const roleArn = String(input.RoleArn ?? '');
  const sessionName = String(input.RoleSessionName ?? '');
  const denied = () =>
    new AwsError(
      'AccessDenied',
      `User: ${ctx.caller.sessionArn ?? ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
  const role = cloud.iam.role(roleArn);
  if (!role || !cloud.account(role.account)) throw denied();
  const seconds = Number(input.DurationSeconds ?? SESSION_SECONDS_DEFAULT);
  if (!(seconds >= 900 && seconds <= role.maxSessionSeconds)) {
    throw new AwsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is under 900 seconds).`,
    );
  }
  const sessionArn = sessionArnOf(role, sessionName);
  const sourceIdentity = sessionSourceIdentity(input.SourceIdentity, ctx);
  const creds = cloud.iam.credentialsFor(
    { account: role.account, arn: role.arn, sessionArn, role, ...(sourceIdentity === undefined ? {} : { sourceIdentity }) },
    cloud.clock.nowMs() + seconds * 1000,
  );
  return {
    Credentials: {
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      SessionToken: creds.sessionToken,
      Expiration: creds.expiration,
    },
    AssumedRoleUser: { Arn: sessionArn, AssumedRoleId: `AROA${role.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}:${sessionName}` },
    ...(sourceIdentity === undefined ? {} : { SourceIdentity: sourceIdentity }),
  };
}

/**
 * The new session's source identity: the caller's, which a chained session keeps ("cannot be
 * changed"), or the one asked for.
 * @throws AwsError ValidationError for a malformed one; AccessDenied for one that differs from the caller's
 */
function sessionSourceIdentity(asked: unknown, ctx: CallContext): string | undefined {
  if (asked !== undefined && (typeof asked !== 'string' || !SOURCE_IDENTITY.test(asked)))
    throw new AwsError('ValidationError', `SourceIdentity must be 2 to 64 characters of [A-Za-z0-9_+=,.@-]`);
  const inherited = ctx.caller.sourceIdentity;
  if (inherited !== undefined && asked !== undefined && asked !== inherited)
    throw new AwsError('AccessDenied', `the session's source identity ${inherited} cannot be changed to ${asked}`, 403);
  return inherited ?? (asked as string | undefined);
}
