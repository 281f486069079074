import type { CloudCore } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';

const SESSION_SECONDS_DEFAULT = 3600;

/** STS over the cloud's IAM: AssumeRole honours the role's trust policy, ExternalId and org condition; GetCallerIdentity. */
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
    new AwsError('AccessDenied', `User: ${ctx.caller.sessionArn ?? ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  const role = cloud.iam.role(roleArn);
  if (!role || !cloud.account(role.account)) throw denied();
  const { trust } = role;
  const callerAccountRoot = `arn:aws:iam::${ctx.account}:root`;
  if (!trust.principals.includes(ctx.caller.arn) && !trust.principals.includes(callerAccountRoot)) throw denied();
  if (trust.externalId !== undefined && input.ExternalId !== trust.externalId) throw denied();
  if (trust.orgId !== undefined && cloud.account(ctx.account)?.orgId !== trust.orgId) throw denied();
  const seconds = Number(input.DurationSeconds ?? SESSION_SECONDS_DEFAULT);
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
