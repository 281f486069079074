/** How long the pipeline waits on AWS, for the vault copy and the copies in further regions alike. */

/**
 * How long a Not-Found or authorization error is retried before it counts: EC2 advises retrying
 * "starting with a couple of seconds of wait time, and increasing gradually up to a few minutes"
 * (Amazon EC2 Developer Guide, "Eventual consistency in the Amazon EC2 API").
 */
export const PROPAGATION_WINDOW_MS = 15 * 60_000;
/**
 * AWS gives no upper bound on a copy ("minutes to hours"); a copy still pending a day after it
 * was requested is stuck, and an operator must look at it rather than the hub wait forever.
 */
export const COPY_PENDING_TIMEOUT_MS = 24 * 3_600_000;
