import { type AwsError, injectedError } from './errors.js';

export interface FaultSpec {
  service: string;
  /** An operation name, or `*` for every operation of the service (background throttling). */
  operation: string;
  error: string;
  /** How many calls fail; the calls after that succeed. */
  times: number;
  /** Only calls made in this account fail (any account when absent). */
  account?: string;
  /** Each matching call fails with this chance (a soak's background throttling); every call when absent. */
  probability?: number;
}

/** Injected failures: the next `times` calls of an operation fail with the given error code. */
export class FaultInjector {
  readonly #faults: (FaultSpec & { remaining: number })[] = [];
  /** Seeded, so that a run with probabilistic faults is reproducible. */
  readonly #random = seededRandom(0x5eed);
  /** Calls that failed because of an injected fault, for assertions and reports. */
  injected = 0;

  add(spec: FaultSpec): void {
    if (!Number.isInteger(spec.times) || spec.times < 1) throw new Error(`fault.times must be a positive integer, got ${spec.times}`);
    if (spec.probability !== undefined && !(spec.probability > 0 && spec.probability <= 1))
      throw new Error(`fault.probability must be in (0, 1], got ${spec.probability}`);
    this.#faults.push({ ...spec, remaining: spec.times });
  }

  /** Returns the error this call must fail with, consuming one injection, or undefined. */
  take(service: string, operation: string, account: string): AwsError | undefined {
    const fault = this.#faults.find(
      (f) =>
        f.remaining > 0 &&
        f.service === service &&
        (f.operation === operation || f.operation === '*') &&
        (f.account === undefined || f.account === account) &&
        (f.probability === undefined || this.#random() < f.probability),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.injected += 1;
    return injectedError(fault.error, operation);
  }

  clear(): void {
    this.#faults.length = 0;
  }
}

/** mulberry32: a small, fast PRNG; statistical quality is plenty for fault injection. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
