import type { VaultAccount } from '../../shared/config/accounts.js';
import { getAtt, policy, type Resource, ref, type Statement, sub, THIS_ACCOUNT_ROOT, type Value } from './cloudformation.js';
import { NAMES } from './names.js';

/**
 * The statement of a key policy that lets the account administer its key: never use it. Which of
 * disabling and scheduling deletion are allowed differs per key: the vault key may do neither (the
 * copies cannot be read without it).
 */
export function keyAdministration(
  sid: string,
  also: { disable?: boolean; scheduleDeletion?: boolean } = {},
  principal: Value = THIS_ACCOUNT_ROOT,
): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: principal },
    Action: [
      'kms:DescribeKey',
      'kms:GetKeyPolicy',
      'kms:PutKeyPolicy',
      'kms:GetKeyRotationStatus',
      'kms:EnableKeyRotation',
      'kms:ListResourceTags',
      'kms:TagResource',
      'kms:UntagResource',
      'kms:UpdateKeyDescription',
      'kms:ListGrants',
      'kms:RevokeGrant',
      'kms:CreateAlias',
      'kms:UpdateAlias',
      'kms:DeleteAlias',
      'kms:EnableKey',
      ...(also.disable ? ['kms:DisableKey'] : []),
      ...(also.scheduleDeletion ? ['kms:ScheduleKeyDeletion'] : []),
      'kms:CancelKeyDeletion',
    ],
    Resource: '*',
  };
}

/** A key statement for principals of this account, narrowed to the given role ARNs. */
export function keyUseBy(
  sid: string,
  roles: Value,
  action: string | string[],
  condition: Record<string, Record<string, Value>>,
  principal: Value = THIS_ACCOUNT_ROOT,
): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: principal },
    Action: action,
    Resource: '*',
    Condition: { ArnEquals: { 'aws:PrincipalArn': roles }, ...condition },
  };
}

/**
 * A role trust for vault roles only: the vault account as principal, narrowed to those roles by
 * aws:PrincipalArn, with the ExternalId (and the organization, when set). The trust survives the
 * vault roles being re-created (a role principal would be pinned to the old role's unique id) and
 * does not fail when the vault is deployed after this account. With `sourceIdentity` (a pattern),
 * the session must carry a source identity matching it, which stays on everything the session does.
 */
export function vaultRoleTrust(vault: VaultAccount, sid: string, principalArns: string | string[], sourceIdentity?: string): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${vault.id}:root` },
    Action: sourceIdentity ? ['sts:AssumeRole', 'sts:SetSourceIdentity'] : 'sts:AssumeRole',
    Condition: {
      StringEquals: { 'sts:ExternalId': vault.externalId, ...(vault.organizationId ? { 'aws:PrincipalOrgID': vault.organizationId } : {}) },
      ArnEquals: { 'aws:PrincipalArn': principalArns },
      ...(sourceIdentity ? { StringLike: { 'sts:SourceIdentity': sourceIdentity } } : {}),
    },
  };
}

/** The source identity the vault's functions set: their own name (`backup-hub-<stage>-<function>`). */
export const VAULT_FUNCTION_IDENTITY = `${NAMES.service}-*`;

/** An IAM role with one inline policy named after the role (none without statements: IAM refuses an empty policy). */
export function role(options: {
  name: string;
  description: string;
  trust: Statement[];
  statements: Statement[];
  maxSessionDuration?: number;
  condition?: string;
}): Resource {
  return {
    Type: 'AWS::IAM::Role',
    ...(options.condition ? { Condition: options.condition } : {}),
    Properties: {
      RoleName: options.name,
      Description: options.description,
      ...(options.maxSessionDuration ? { MaxSessionDuration: options.maxSessionDuration } : {}),
      AssumeRolePolicyDocument: policy(options.trust),
      ...(options.statements.length
        ? { Policies: [{ PolicyName: options.name, PolicyDocument: policy(withoutRepeats(options.statements)) }] }
        : {}),
    },
  };
}

/**
 * The statements less those another one covers (two kinds that need the same grant in one role):
 * a statement whose actions another grants on the same resources and conditions grants nothing more,
 * and no call would need it. Of two alike, the first stays.
 */
export function withoutRepeats(statements: Statement[]): Statement[] {
  const shapes = statements.map(({ Sid: _sid, Reason: _reason, Action, ...body }) => ({
    body: JSON.stringify(body),
    actions: new Set([Action].flat()),
  }));
  const covers = (j: number, i: number) => {
    const [mine, other] = [shapes[i]!, shapes[j]!];
    if (j === i || other.body !== mine.body || ![...mine.actions].every((a) => other.actions.has(a))) return false;
    return other.actions.size > mine.actions.size || j < i;
  };
  return statements.filter((_, i) => !shapes.some((_, j) => covers(j, i)));
}

/** Only Lambda may assume a function's role. */
export const LAMBDA_TRUST: Statement[] = [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }];

/**
 * Only the principals the vault file names for that role (ARN patterns: an IAM Identity Center
 * permission set's role, say) may assume an operator role; with `mfa`, only in a session that
 * signed in with MFA.
 */
export function operatorTrust(principals: string[], mfa: boolean): Statement[] {
  return [
    {
      Sid: 'OnlyTheOperatorsTheVaultFileNames',
      Effect: 'Allow',
      Principal: { AWS: THIS_ACCOUNT_ROOT },
      Action: 'sts:AssumeRole',
      Condition: { ArnLike: { 'aws:PrincipalArn': principals }, ...(mfa ? { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } : {}) },
      Reason:
        "an operator's own credentials assume the role (sts:AssumeRole) before backup-hub restore, hold or retry; the drills act with the role's credentials directly",
    },
  ];
}

/** Several kinds' statements in one policy: Sids must be unique, so each is prefixed with its kind. */
export const prefixSids = (prefix: string, statements: Statement[]): Statement[] =>
  statements.map((statement) => ({ ...statement, Sid: `${prefix}${statement.Sid}` }));

/** `ebs-snapshot` → `EbsSnapshot`: a kind's part of its resources' logical ids. */
export const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_, __: string, c: string) => c.toUpperCase());

/** An alarm on the alarm topic when a metric goes above a threshold (missing data is fine). */
export function alarm(options: {
  name: string;
  description: string;
  namespace: string;
  metric: string;
  dimensions?: { Name: string; Value: Value }[];
  statistic: 'Sum' | 'Maximum';
  period: number;
  evaluationPeriods?: number;
  threshold?: number;
  comparison?: 'GreaterThanThreshold' | 'LessThanThreshold';
  /** notBreaching unless said: most of these metrics exist only when something went wrong. */
  treatMissingData?: 'notBreaching' | 'breaching';
}): Resource {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: options.name,
      AlarmDescription: options.description,
      Namespace: options.namespace,
      MetricName: options.metric,
      ...(options.dimensions ? { Dimensions: options.dimensions } : {}),
      Statistic: options.statistic,
      Period: options.period,
      EvaluationPeriods: options.evaluationPeriods ?? 1,
      Threshold: options.threshold ?? 0,
      ComparisonOperator: options.comparison ?? 'GreaterThanThreshold',
      TreatMissingData: options.treatMissingData ?? 'notBreaching',
      AlarmActions: [ref('AlarmTopic')],
      OKActions: [ref('AlarmTopic')],
    },
  };
}

/**
 * A bucket whose objects no one deletes or overwrites before their retention ends (versioning and
 * Object Lock, compliance mode by default when `lockDays` is set), private, owner-enforced, reached
 * over TLS only, and kept when the stack goes: `<id>` and `<id>Policy`, the policy holding `statements`
 * after the plain-HTTP refusal.
 */
export function objectLockBucket(
  id: string,
  options: { name: string; lockDays: number | undefined; encryptionKey?: Value; statements: Statement[] },
): Record<string, Resource> {
  const { name, lockDays, encryptionKey, statements } = options;
  return {
    [id]: {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketName: name,
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          ...(lockDays ? { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: lockDays } } } : {}),
        },
        VersioningConfiguration: { Status: 'Enabled' },
        ...(encryptionKey
          ? {
              BucketEncryption: {
                ServerSideEncryptionConfiguration: [
                  { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: encryptionKey } },
                ],
              },
            }
          : {}),
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      },
    },
    [`${id}Policy`]: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: ref(id),
        PolicyDocument: policy([
          {
            Sid: 'DenyPlainHttp',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [getAtt(id), sub(`\${${id}.Arn}/*`)],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          ...statements,
        ]),
      },
    },
  };
}
