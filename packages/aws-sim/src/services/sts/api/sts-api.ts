import type { CloudCore } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import type { AuthorizationRequest } from '../../../iam/authorizer.js';
import { sessionArnOf } from '../../iam/iam.js';

const SESSION_SECONDS_DEFAULT = 3600;

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
    authorization: (action, input, ctx) => (action === 'AssumeRole' ? [assumeRoleRequest(cloud, input, ctx)] : []),
  };
}

function assumeRoleRequest(cloud: CloudCore, input: Record<string, unknown>, ctx: CallContext): AuthorizationRequest {
  const roleArn = String(input.RoleArn ?? '');
  const role = cloud.iam.role(roleArn);
  return {
    action: 'sts:AssumeRole',
    resource: roleArn,
    resourceAccount: role?.account ?? roleArn.split(':')[4] ?? '',
    ...(role ? { resourcePolicy: { type: 'trust policy' as const, owner: role.arn, document: role.trustPolicy } } : {}),
    context: {
      'sts:ExternalId': typeof input.ExternalId === 'string' ? input.ExternalId : undefined,
      'sts:SourceIdentity': sourceIdentityOf(input, ctx),
      'sts:RoleSessionName': typeof input.RoleSessionName === 'string' ? input.RoleSessionName : undefined,
    },
  };
}

/** A session keeps the source identity it was given; a role chained from it carries it on. */
function sourceIdentityOf(input: Record<string, unknown>, ctx: CallContext): string | undefined {
  return ctx.caller.sourceIdentity ?? (typeof input.SourceIdentity === 'string' ? input.SourceIdentity : undefined);
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
  const given = typeof input.SourceIdentity === 'string' ? input.SourceIdentity : undefined;
  if (given !== undefined && ctx.caller.sourceIdentity !== undefined && given !== ctx.caller.sourceIdentity)
    throw new AwsError('ValidationError', 'The source identity of a role session cannot be changed once set.');
  const seconds = Number(input.DurationSeconds ?? SESSION_SECONDS_DEFAULT);
  if (!(seconds >= 900 && seconds <= role.maxSessionSeconds)) {
    throw new AwsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is under 900 seconds).`,
    );
  }
  const sessionArn = sessionArnOf(role, sessionName);
  const sourceIdentity = sourceIdentityOf(input, ctx);
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
    SourceIdentity: sourceIdentity,
  };
}
