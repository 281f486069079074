import type { Datum } from './metrics.js';

interface EmfDirective {
  Namespace?: unknown;
  Dimensions?: unknown;
  Metrics?: unknown;
}

/**
 * The metrics a log line in CloudWatch's embedded metric format declares (CloudWatch User Guide,
 * "Specification: Embedded metric format"): `_aws.CloudWatchMetrics` directives, each with a
 * namespace, dimension sets and metric definitions whose values (a number or an array of numbers)
 * and dimension values sit at the root. Each dimension set makes its own metric. A line that is not
 * JSON, or not EMF, makes none; a directive that breaks the specification is skipped, as CloudWatch
 * skips it.
 */
export function emfDatums(line: string): Datum[] {
  if (!line.trimStart().startsWith('{')) return [];
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = root._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!aws || typeof aws.Timestamp !== 'number' || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const at = aws.Timestamp;
  return (aws.CloudWatchMetrics as EmfDirective[]).flatMap((directive) => {
    const { Namespace, Dimensions, Metrics } = directive;
    if (typeof Namespace !== 'string' || !Array.isArray(Dimensions) || !Array.isArray(Metrics)) return [];
    const sets = Dimensions.filter((set): set is string[] => Array.isArray(set) && set.every((d) => typeof root[d] === 'string'));
    return Metrics.flatMap((metric: { Name?: unknown; Unit?: unknown }) => {
      if (typeof metric?.Name !== 'string') return [];
      const raw = root[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      return sets.flatMap((set) =>
        values.map((value) => ({
          namespace: Namespace,
          name: metric.Name as string,
          dimensions: set.map((Name) => ({ Name, Value: root[Name] as string })),
          at,
          value,
          ...(typeof metric.Unit === 'string' ? { unit: metric.Unit } : {}),
        })),
      );
    });
  });
}
