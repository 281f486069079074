import { describe, expect, it } from 'vitest';
import { BudgetExhausted, countedClock, Pacer } from '../../shared/sweep/pacer.js';

const START = Date.UTC(2026, 0, 1);
/** What the SDK returns for a call that took `attempts` tries. */
const answered =
  (attempts = 1) =>
  async () => ({ $metadata: { attempts } });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: { attempts: 1 } });

describe('the sweep’s token bucket', () => {
  it('never takes more than its budget: 100 calls at 2 a second take at least 49 seconds after the burst of 2', async () => {
    const clock = countedClock(START);
    const pacer = new Pacer(2, clock, START + 3_600_000);
    for (let i = 0; i < 100; i++) await pacer.call(answered());
    expect(pacer.calls).toBe(100);
    expect(clock.now() - START).toBeGreaterThanOrEqual(49_000);
    expect(clock.now() - START).toBeLessThan(50_000);
  });

  it('counts the SDK’s own retries as calls, and waits them off', async () => {
    const clock = countedClock(START);
    const pacer = new Pacer(1, clock, START + 3_600_000);
    await pacer.call(answered(4)); // three retries inside the SDK: four calls the source counted
    const before = clock.now();
    await pacer.call(answered());
    expect(pacer.calls).toBe(5);
    expect(clock.now() - before).toBeGreaterThanOrEqual(3_000);
  });

  it('halves its rate on throttling, tries the call again after a backoff, and wins the rate back on calls that go through', async () => {
    const clock = countedClock(START);
    const pacer = new Pacer(4, clock, START + 3_600_000);
    let refusals = 2;
    const result = await pacer.call(async () => {
      if (refusals-- > 0) throw throttled();
      return { $metadata: { attempts: 1 }, ok: true };
    });
    expect(result).toMatchObject({ ok: true });
    expect(pacer.throttled).toBe(2);
    expect(pacer.calls).toBe(3);
    expect(pacer.rate).toBeCloseTo(1 + 0.4); // 4 → 2 → 1, then a tenth of the budget back
    for (let i = 0; i < 20; i++) await pacer.call(answered());
    expect(pacer.rate).toBe(4);
  });

  it('gives up on a call throttled five times: its error counts', async () => {
    const pacer = new Pacer(1, countedClock(START), START + 3_600_000);
    await expect(pacer.call(async () => Promise.reject(throttled()))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(pacer.calls).toBe(5);
  });

  it('stops when the next call would wait past the run’s deadline: the run says so and the next one goes on', async () => {
    const pacer = new Pacer(1, countedClock(START), START + 10_000);
    let made = 0;
    await expect(
      (async () => {
        for (;;) await pacer.call(answered()).then(() => made++);
      })(),
    ).rejects.toBeInstanceOf(BudgetExhausted);
    expect(made).toBe(11); // the burst of one, then one a second for ten seconds
  });
});
