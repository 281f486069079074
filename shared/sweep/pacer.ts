import { setTimeout as sleep } from 'node:timers/promises';
import { isThrottlingError } from '@smithy/core/retry';

/** The time a run is paced by. */
export interface RunClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The wall clock: a function's run takes real time, and so do its waits. */
export const realClock: RunClock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/**
 * A clock for the simulated cloud, where time stands still while a function runs: waits are
 * counted from `start`, not slept, so a paced run takes the simulated time its waits add up to.
 */
export function countedClock(start: number): RunClock {
  let waited = 0;
  return {
    now: () => start + waited,
    sleep: async (ms) => {
      waited += ms;
    },
  };
}

/** The run's time is up before the budget allows another call: the caller stops and resumes on its next run. */
export class BudgetExhausted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetExhausted';
  }
}

/** A throttled call is tried again this often (with the rate halved each time) before its error counts. */
const THROTTLED_TRIES = 5;
/** The rate never drops below this share of the budget: the sweep slows down, it does not stop. */
const FLOOR = 1 / 16;

/**
 * A token bucket of API calls for one source account and region: at most `budget` calls a
 * second on average, in bursts of at most `burst`. Every attempt counts, the SDK's own retries
 * too (`$metadata.attempts`): the bucket goes into debt and the next calls wait it off. On
 * throttling the rate halves (down to a sixteenth of the budget) and the call is tried again after
 * a jittered backoff; every call that goes through untroubled wins back a tenth of the budget.
 *
 * @example
 * const pacer = new Pacer(1, realClock, Date.now() + 600_000);
 * const page = await pacer.call(() => ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] })));
 */
export class Pacer {
  /** Attempts made (each one an API call the source's throttle counts). */
  calls = 0;
  /** Calls the source throttled (after the SDK's retries). */
  throttled = 0;
  #rate: number;
  #tokens: number;
  #at: number;

  constructor(
    readonly budget: number,
    private readonly clock: RunClock,
    /** When the run must stop (ms since the epoch). */
    private readonly deadline: number,
    private readonly burst = Math.max(1, budget),
  ) {
    this.#rate = budget;
    this.#tokens = burst;
    this.#at = clock.now();
  }

  /** The rate the bucket refills at now (calls a second): the budget, or less after throttling. */
  get rate(): number {
    return this.#rate;
  }

  /**
   * Runs one call when the bucket allows it.
   * @throws BudgetExhausted when the run would have to wait past its deadline; the call's own error otherwise
   */
  async call<T>(send: () => Promise<T>): Promise<T> {
    for (let tried = 1; ; tried++) {
      await this.#take();
      try {
        const result = await send();
        const attempts = attemptsOf(result);
        this.#charge(attempts);
        this.#rate = attempts > 1 ? this.#slower() : Math.min(this.budget, this.#rate + this.budget / 10);
        return result;
      } catch (error) {
        this.#charge(attemptsOf(error));
        if (!isThrottlingError(error as Parameters<typeof isThrottlingError>[0]) || tried >= THROTTLED_TRIES) throw error;
        this.throttled += 1;
        this.#rate = this.#slower();
        await this.#wait(Math.random() * Math.min(30_000, 1000 * 2 ** tried));
      }
    }
  }

  #slower(): number {
    return Math.max(this.budget * FLOOR, this.#rate / 2);
  }

  /** Counts a call's attempts; the first was paid for by {@link #take}. */
  #charge(attempts: number): void {
    this.calls += attempts;
    this.#tokens -= attempts - 1;
  }

  async #take(): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) await this.#wait(((1 - this.#tokens) / this.#rate) * 1000);
    this.#refill();
    this.#tokens -= 1;
  }

  async #wait(ms: number): Promise<void> {
    if (this.clock.now() + ms > this.deadline)
      throw new BudgetExhausted(`the run's time is up: the next call would wait ${Math.ceil(ms / 1000)} s at ${round(this.#rate)} calls/s`);
    await this.clock.sleep(ms);
  }

  #refill(): void {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }
}

/** How many attempts the SDK made for a call (its retries included). */
function attemptsOf(outcome: unknown): number {
  const attempts = (outcome as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 0 ? attempts : 1;
}

const round = (n: number) => Math.round(n * 100) / 100;
