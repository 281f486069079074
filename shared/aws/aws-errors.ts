/** The error code of an AWS SDK error (`name`), or undefined for anything else. */
export function awsErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && '$metadata' in error) return error.name;
  return undefined;
}

/** Whether the SDK error is one of the given codes. */
export function isAwsError(error: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && codes.includes(code);
}

/** Runs a cleanup or deletion call that is done already when the resource is gone (a retried cleanup). */
export async function ignoreNotFound(call: () => Promise<unknown>, ...notFoundCodes: string[]): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isAwsError(error, ...notFoundCodes)) throw error;
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
]);

export function isDeterministicAwsError(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && deterministicCodes.has(code);
}

/** A short, log-safe description of an error: its code and message, never request payloads. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = awsErrorCode(error);
    return code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
