import { awsErrorCode, codeOf } from '../core/errors.js';

export { awsErrorCode };

/** Whether the SDK error is one of the given codes. */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && codes.includes(code);
}

/**
 * Runs a cleanup or deletion call that is done already when the resource is gone (a retried cleanup).
 * @returns whether the call did it (false: the resource was gone already)
 */
export async function ignoreNotFound(call: () => Promise<unknown>, ...notFoundCodes: string[]): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (!isAwsError(error, ...notFoundCodes)) throw error;
    return false;
  }
}

/** Errors whose retry would give the same answer: the hub records them instead of retrying. */
const deterministicCodes = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'KMSInvalidStateException',
  'DisabledException',
  'NotFoundException',
  'InvalidSnapshot.NotFound',
  'InvalidSnapshot.InUse',
  'OperationNotPermitted',
  'KMSKeyNotAccessibleFault',
  'DBSnapshotNotFoundFault',
  'DBClusterSnapshotNotFoundFault',
  'InvalidAMIID.NotFound',
  // Credentials AWS no longer knows (the session of an account that is gone): the same credentials get the same answer.
  'UnrecognizedClientException',
  'InvalidClientTokenId',
]);

export function isDeterministicAwsError(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && deterministicCodes.has(code);
}

/** A short, log-safe description of an error: its code first (AWS's, or a PermanentFailure's), then its message, never request payloads. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = codeOf(error);
    if (code === undefined || error.message.startsWith(code)) return error.message;
    return error.message ? `${code}: ${error.message}` : code;
  }
  return String(error);
}

/**
 * What EC2, RDS and KMS answer while a change just made (a share, a re-encrypting copy, a grant) has
 * not yet reached every part of the service. "If you run a command to modify or describe the resource
 * that you just created, its ID might not have propagated throughout the system, and you will get an
 * error responding that the resource does not exist" (Amazon EC2 Developer Guide, "Eventual consistency
 * in the Amazon EC2 API", which advises retrying "with an exponential backoff … up to a few minutes").
 * The same holds for permissions just granted. The hub retries these for a bounded time before they count.
 */
const propagationCodes = new Set([
  'InvalidSnapshot.NotFound',
  'InvalidAMIID.NotFound',
  'UnauthorizedOperation',
  'AuthFailure',
  'AccessDenied',
  'AccessDeniedException',
  'DBSnapshotNotFoundFault',
  'DBClusterSnapshotNotFoundFault',
  'KMSKeyNotAccessibleFault',
  'NotFoundException',
]);

/** Whether an AWS error may only mean that a change the hub made moments before has not propagated yet. */
export function mayBePropagating(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && propagationCodes.has(code);
}
