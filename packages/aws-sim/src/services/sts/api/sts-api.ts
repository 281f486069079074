import type { CloudCore } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';

const SESSION_SECONDS_DEFAULT = 3600;
/** "upper- and lower-case alphanumeric characters with no spaces … underscores or =,.@-", 2 to 64 characters (AssumeRole, SourceIdentity). */
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;

/**
 * STS over the cloud's IAM: AssumeRole evaluates the role's trust policy (principals, `sts:ExternalId`,
 * `sts:SourceIdentity`, `aws:PrincipalOrgID`, …); GetCallerIdentity.
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
  const principal = { account: ctx.account, arn: ctx.caller.arn, orgId: cloud.account(ctx.account)?.orgId };
  const sourceIdentity = sessionSourceIdentity(input.SourceIdentity, ctx);
  const context: Record<string, string> = {
    ...(typeof input.ExternalId === 'string' ? { 'sts:ExternalId': input.ExternalId } : {}),
    ...(sourceIdentity === undefined ? {} : { 'sts:SourceIdentity': sourceIdentity }),
  };
  if (!cloud.iam.trusts(role, principal, context)) throw denied();
  // "the role trust policy must allow sts:SetSourceIdentity", and so must the caller's own policies,
  // also when the identity comes from a chained session (Monitor and control actions taken with assumed roles).
  if (sourceIdentity !== undefined) {
    if (!cloud.iam.trusts(role, principal, context, 'sts:SetSourceIdentity')) throw denied();
    cloud.iam.authorize(ctx.caller, 'sts:SetSourceIdentity');
  }
  const seconds = Number(input.DurationSeconds ?? SESSION_SECONDS_DEFAULT);
  if (!(seconds >= 900 && seconds <= role.maxSessionSeconds)) {
    throw new AwsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is under 900 seconds).`,
    );
  }
  const sessionArn = `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;
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
