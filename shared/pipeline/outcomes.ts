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

/** The work cannot go on now but will later (a full copy quota, a copy still pending): the message comes back with a delay. */
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
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}
