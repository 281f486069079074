/** The errors the hub's layers throw and the pipeline turns into recorded outcomes: the ground floor every layer may import. */

/**
 * Why an event was not acted upon. A rejection is final and recorded; the message is
 * acknowledged, never retried.
 */
export class Rejection extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'Rejection';
  }
}

export type RejectionCode =
  | 'malformed-event'
  | 'unknown-account'
  | 'region-not-allowed'
  | 'region-mismatch'
  | 'forged-ownership'
  | 'not-found'
  | 'not-copyable'
  | 'reader-role-denied'
  | 'not-opted-in';

/** The work cannot go on now but will later (a source still pending, a point another worker holds): the message comes back with a delay. */
export class Deferral extends Error {
  constructor(
    message: string,
    readonly delaySeconds: number,
  ) {
    super(message);
    this.name = 'Deferral';
  }
}

/**
 * The work cannot succeed, and retrying will not change that (access denied, an unusable key, a copy
 * AWS failed): recorded as failed. `code` opens the recorded reason: the AWS error code of the cause,
 * or the hub's own (`CopyTimedOut`, `CopyFailedInAws`, …) when no AWS error says why. `aboutArtifact` marks a
 * failure that lies in the artifact itself (an unencrypted cluster snapshot, an option group that cannot
 * be shared): a later event for the same artifact does not reopen such a point.
 */
export class PermanentFailure extends Error {
  /** What opens the recorded reason, and the class of failure for the failures-by-reason metric. */
  readonly code: string;
  readonly aboutArtifact: boolean;

  constructor(message: string, options: { cause?: unknown; code?: string; aboutArtifact?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentFailure';
    this.code = options.code ?? codeOf(options.cause) ?? 'PermanentFailure';
    this.aboutArtifact = options.aboutArtifact ?? false;
  }
}

/** The error code of an AWS SDK error (`name`), or undefined for anything else. */
export function awsErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && '$metadata' in error) return error.name;
  return undefined;
}

/** The code of an AWS SDK error or of a PermanentFailure. */
export function codeOf(error: unknown): string | undefined {
  return error instanceof PermanentFailure ? error.code : awsErrorCode(error);
}

/**
 * AWS refused a copy because its concurrent-copy quota (`quota`, a copyQuotaKey) is full. The
 * claimed point waits in the catalog and the reconciler starts it when a slot frees: a burst far
 * beyond the quota would otherwise send every waiting message round the queue every few minutes
 * for hours (SQS delays stop at 15 minutes), each time re-running its AWS calls.
 */
export class CopyQuotaFull extends Error {
  constructor(
    message: string,
    readonly quota: string,
  ) {
    super(message);
    this.name = 'CopyQuotaFull';
  }
}
