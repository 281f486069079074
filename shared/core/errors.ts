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
  | 'reader-role-denied';

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

/** AWS answered with an error that retrying will not fix (access denied, unusable key): recorded as failed. */
export class PermanentFailure extends Error {
  /** A class of failure for the failures-by-reason metric (an AWS error name, `CopyTimedOut`). */
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.name = 'PermanentFailure';
    this.code = options?.code ?? (options?.cause instanceof Error ? options.cause.name : 'PermanentFailure');
  }
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
