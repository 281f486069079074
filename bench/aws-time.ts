import { performance } from 'node:perf_hooks';

/** Something with an SDK request handler's `handle` (the simulated cloud's). */
interface Handles {
  handle(...args: unknown[]): Promise<unknown>;
}

/**
 * Wall time spent waiting on "AWS": inside a request handler's `handle`, i.e. from the signed
 * request leaving the SDK until its response (headers) is back. On the simulated cloud that is
 * the simulated service (decode, IAM, the service itself, encode; for DynamoDB, dynalite's own
 * work). Serialization, signing, retries and
 * parsing the response stay on the handler's side: the SDK does them in the Lambda too.
 * The process's CPU time inside those windows is kept as well: in a sequential run it is the
 * simulated AWS's and dynalite's CPU, which a busy machine does not inflate.
 */
export class AwsTime {
  #ms = 0;
  #cpuMs = 0;
  #calls = 0;
  #totalCpuMs = 0;
  readonly #patched = new Set<object>();

  /** Times every call of `target.handle` from now on (once per object) whose request `counts`. */
  watch(target: unknown, counts: (request: unknown) => boolean = () => true): void {
    const handler = target as Handles | undefined;
    if (!handler || typeof handler.handle !== 'function') throw new Error('AwsTime.watch: not a request handler (no handle method)');
    if (this.#patched.has(handler)) return;
    this.#patched.add(handler);
    const original = handler.handle.bind(handler);
    handler.handle = async (...args: unknown[]) => {
      if (!counts(args[0])) return original(...args);
      const start = performance.now();
      const cpu = process.cpuUsage();
      this.#calls++;
      try {
        return await original(...args);
      } finally {
        const spent = cpuMs(process.cpuUsage(cpu));
        this.#ms += performance.now() - start;
        this.#cpuMs += spent;
        this.#totalCpuMs += spent;
      }
    };
  }

  /** CPU milliseconds inside the watched handlers since the first `watch`; `take` leaves it alone. */
  get totalCpuMs(): number {
    return this.#totalCpuMs;
  }

  /** Wall and CPU milliseconds and calls since the last `take`, then resets. */
  take(): { ms: number; cpuMs: number; calls: number } {
    const out = { ms: this.#ms, cpuMs: this.#cpuMs, calls: this.#calls };
    this.#ms = 0;
    this.#cpuMs = 0;
    this.#calls = 0;
    return out;
  }
}

/** The process's CPU time (user + system) of a `process.cpuUsage(previous)` difference, in ms. */
export const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;
