import { AwsError } from '../../core/errors.js';
import { MalformedPolicyError, type PolicyDocument, type PolicyStatement, parsePolicy } from '../../policy/resource-policy.js';
import { rootArn } from '../iam/iam.js';

/** The services whose AWS managed keys (`aws/<service>`) the simulation knows. */
export type AwsManagedService = 'ebs' | 'rds' | 'ssm';

/** A key policy document; AWS's own key policies carry an `Id`. */
export type KeyPolicyDocument = PolicyDocument & { Id?: string };

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

function statementsOf(policy: PolicyDocument): PolicyStatement[] {
  return ([] as PolicyStatement[]).concat(policy.Statement);
}
