/** Small statistics for the bench: medians and nearest-rank percentiles. */

export function median(values: number[]): number {
  return percentile(values, 50);
}

export const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** The nearest-rank percentile (p in 0..100) of `values`; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Rounds to `digits` decimals (for a readable JSON report). */
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
