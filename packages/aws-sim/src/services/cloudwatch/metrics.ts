/** A dimension of a metric, as the CloudWatch API names it. */
export interface Dimension {
  Name: string;
  Value: string;
}

/** One value of one metric at one time. */
export interface Datum {
  namespace: string;
  name: string;
  dimensions: Dimension[];
  at: number;
  value: number;
  unit?: string;
}

export type Statistic = 'SampleCount' | 'Average' | 'Sum' | 'Minimum' | 'Maximum';

/** A metric is its namespace, name and exact set of dimensions (order aside): another set is another metric. */
export const metricKey = (namespace: string, name: string, dimensions: readonly Dimension[]) =>
  `${namespace}|${name}|${[...dimensions]
    .map((d) => `${d.Name}=${d.Value}`)
    .sort()
    .join(',')}`;

/** The metrics of one account and region: their values by time. */
export class MetricStore {
  readonly #series = new Map<string, Datum[]>();

  put(datum: Datum): void {
    const key = metricKey(datum.namespace, datum.name, datum.dimensions);
    const series = this.#series.get(key) ?? [];
    series.push(datum);
    this.#series.set(key, series);
  }

  /** The statistic of the values in [from, to), or undefined when there is none. */
  statistic(key: string, statistic: Statistic, from: number, to: number): number | undefined {
    const values = (this.#series.get(key) ?? []).filter((d) => d.at >= from && d.at < to).map((d) => d.value);
    if (values.length === 0) return undefined;
    switch (statistic) {
      case 'SampleCount':
        return values.length;
      case 'Sum':
        return values.reduce((a, b) => a + b, 0);
      case 'Average':
        return values.reduce((a, b) => a + b, 0) / values.length;
      case 'Minimum':
        return Math.min(...values);
      case 'Maximum':
        return Math.max(...values);
    }
  }

  /** Every metric with values, by key. */
  keys(): string[] {
    return [...this.#series.keys()];
  }
}
