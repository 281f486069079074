/** Simulated time. Nothing in the simulated cloud reads the wall clock. */
export class SimClock {
  #now: number;
  readonly #timers: { at: number; seq: number; run: () => void }[] = [];
  #seq = 0;

  constructor(start = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.#now = start;
  }

  now(): Date {
    return new Date(this.#now);
  }

  nowMs(): number {
    return this.#now;
  }

  /** Runs `run` once simulated time reaches `at` (ms since epoch). */
  at(at: number, run: () => void): void {
    this.#timers.push({ at, seq: this.#seq++, run });
    this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** When the next timer is due, if any. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** Moves time forward to `to`, firing due timers in order. */
  advanceTo(to: number): void {
    while (this.#timers.length > 0 && this.#timers[0]!.at <= to) {
      const timer = this.#timers.shift()!;
      this.#now = Math.max(this.#now, timer.at);
      timer.run();
    }
    this.#now = Math.max(this.#now, to);
  }

  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }
}
