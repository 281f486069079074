import { AwsError } from './errors.js';

/** One of a service's request token buckets: its size, how fast it refills, and the error a call finds it empty with. */
export interface ThrottleBucket {
  /** Which bucket of the service (per API for EC2, one for the whole of RDS). */
  name: string;
  capacity: number;
  refillPerSecond: number;
  error: { code: string; status: number; message: string };
}

/**
 * Request rate limiting as AWS documents it, per account and Region: each call takes a token from
 * its bucket, which refills at a fixed rate up to its capacity; a call finding it empty fails. Off
 * unless asked for (`throttling: true`): the simulated clock stands still while a function runs, so
 * a burst that AWS would spread over seconds arrives at once.
 */
export class RequestThrottle {
  /** Calls refused for an empty bucket, per account, Region, service and bucket. */
  readonly refused = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(readonly enabled: boolean) {}

  /** @throws AwsError the bucket's error when it is empty */
  take(key: string, bucket: ThrottleBucket, nowMs: number): void {
    if (!this.enabled) return;
    const id = `${key}|${bucket.name}`;
    const state = this.#buckets.get(id) ?? { tokens: bucket.capacity, at: nowMs };
    state.tokens = Math.min(bucket.capacity, state.tokens + ((nowMs - state.at) / 1000) * bucket.refillPerSecond);
    state.at = nowMs;
    this.#buckets.set(id, state);
    if (state.tokens < 1) {
      this.refused.set(id, (this.refused.get(id) ?? 0) + 1);
      throw new AwsError(bucket.error.code, bucket.error.message, bucket.error.status);
    }
    state.tokens -= 1;
  }

  /** Every refusal so far. */
  refusedTotal(): number {
    return [...this.refused.values()].reduce((a, b) => a + b, 0);
  }
}
