import { awsErrorCode, describeError } from '../../shared/aws/aws-errors.js';

/**
 * What to do when reading the vault's tables on AWS failed: the usual causes (no credentials,
 * wrong region or table, missing permission) said in words, with the SDK's own message.
 *
 * @example
 * explainAwsError(error); // 'table backup-hub-catalog was not found: …; check --region and --catalog-table'
 */
export function explainAwsError(error: unknown): string {
  const code = awsErrorCode(error);
  const said = describeError(error);
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    return `no AWS credentials found (${error.message}). The audit uses the standard credential chain: set AWS_PROFILE (and run 'aws sso login' for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for an identity in the vault account`;
  }
  switch (code) {
    case 'ResourceNotFoundException':
      return `a table or index was not found (${said}); check --region (the vault's region) and --catalog-table / --audit-table against the vault stack`;
    case 'AccessDeniedException':
      return `not allowed (${said}); the audit needs dynamodb:Query on the catalog and audit-log tables and their indexes (table/<name>/index/*) in the vault account`;
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return `the AWS credentials were refused (${said}); refresh them (e.g. 'aws sso login') or pick another AWS_PROFILE`;
    default:
      return `reading the vault's tables failed: ${said}`;
  }
}
