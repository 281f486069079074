import { describe, expect, it } from 'vitest';
import { withProgress } from '../../shared/report/with-progress.js';

async function* numbers(n: number): AsyncGenerator<number> {
  for (let i = 1; i <= n; i++) yield i;
}

describe('withProgress', () => {
  it('passes every item through and tells the count every N items', async () => {
    const told: number[] = [];
    const seen: number[] = [];
    for await (const n of withProgress(numbers(7), 3, (count) => told.push(count))) seen.push(n);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(told).toEqual([3, 6]);
  });
});
