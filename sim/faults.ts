import { injectedError, type AwsError } from './errors.js';

export interface FaultSpec {
  service: string;
  operation: string;
  error: string;
  /** How many calls fail; the calls after that succeed. */
  times: number;
  /** Only calls made in this account fail (any account when absent). */
  account?: string;
}

/** Injected failures: the next `times` calls of an operation fail with the given error code. */
export class FaultInjector {
  readonly #faults: (FaultSpec & { remaining: number })[] = [];
  /** Calls that failed because of an injected fault, for assertions and reports. */
  injected = 0;

  add(spec: FaultSpec): void {
    if (!Number.isInteger(spec.times) || spec.times < 1) throw new Error(`fault.times must be a positive integer, got ${spec.times}`);
    this.#faults.push({ ...spec, remaining: spec.times });
  }

  /** Returns the error this call must fail with, consuming one injection, or undefined. */
  take(service: string, operation: string, account: string): AwsError | undefined {
    const fault = this.#faults.find(
      (f) => f.remaining > 0 && f.service === service && f.operation === operation && (f.account === undefined || f.account === account),
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
