import type { CloudCore } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';

const SESSION_SECONDS_DEFAULT = 3600;

/** STS over the cloud's IAM: AssumeRole evaluates the role's trust policy (principals, `sts:ExternalId`, `aws:PrincipalOrgID`, …); GetCallerIdentity. */
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
  const context: Record<string, string> = typeof input.ExternalId === 'string' ? { 'sts:ExternalId': input.ExternalId } : {};
  if (!cloud.iam.trusts(role, principal, context)) throw denied();
  const seconds = Number(input.DurationSeconds ?? SESSION_SECONDS_DEFAULT);
  if (!(seconds >= 900 && seconds <= role.maxSessionSeconds)) {
    throw new AwsError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is under 900 seconds).`,
    );
  }
  const sessionArn = `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;
  const creds = cloud.iam.credentialsFor({ account: role.account, arn: role.arn, sessionArn, role }, cloud.clock.nowMs() + seconds * 1000);
  return {
    Credentials: {
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      SessionToken: creds.sessionToken,
      Expiration: creds.expiration,
    },
    AssumedRoleUser: { Arn: sessionArn, AssumedRoleId: `AROA${role.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}:${sessionName}` },
  };
}
