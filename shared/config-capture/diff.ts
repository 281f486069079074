import { type ConfigDocument, RESOURCE_LISTS, type ResourceList, resourceKey } from './document.js';

/** One difference between two captures: a resource added, removed, or changed in the fields named. */
export interface ConfigChange {
  list: ResourceList;
  resource: string;
  change: 'added' | 'removed' | 'changed';
  /** For a change: the top-level fields that differ, with their values before and after. */
  fields?: { field: string; before: unknown; after: unknown }[];
}

/** What changed from one capture of a source region to a later one, list by list, resource by resource. */
export function diffCaptures(before: ConfigDocument, after: ConfigDocument): ConfigChange[] {
  if (before.account !== after.account || before.region !== after.region)
    throw new Error(
      `the captures are of different sources (${before.account} ${before.region} and ${after.account} ${after.region}): compare two captures of one account and region`,
    );
  const changes: ConfigChange[] = [];
  for (const list of RESOURCE_LISTS) {
    const old = byKey<{ id?: string; name?: string }>(before[list]);
    const now = byKey<{ id?: string; name?: string }>(after[list]);
    for (const [key, resource] of now) {
      const was = old.get(key);
      if (!was) changes.push({ list, resource: key, change: 'added' });
      else {
        const fields = changedFields(was, resource);
        if (fields.length > 0) changes.push({ list, resource: key, change: 'changed', fields });
      }
    }
    for (const key of old.keys()) if (!now.has(key)) changes.push({ list, resource: key, change: 'removed' });
  }
  return changes;
}

/**
 * Fields whose values differ. A resource's state (`running`, `available`) is how it was found, not
 * how it is configured: it is left out.
 */
function changedFields(before: object, after: object): NonNullable<ConfigChange['fields']> {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => f !== 'state' && f !== 'status').sort();
  return names.filter((f) => canonical(a[f]) !== canonical(b[f])).map((field) => ({ field, before: a[field], after: b[field] }));
}

function byKey<T extends { id?: string; name?: string }>(resources: readonly T[]): Map<string, T> {
  return new Map(resources.map((r) => [resourceKey(r), r]));
}

/** JSON with object keys sorted: two captures of one configuration compare equal whatever order AWS listed tags in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y))) : v,
  );
}

/** The diff as lines an operator reads: one per resource, the fields of a change after it. */
export function formatChanges(changes: ConfigChange[]): string {
  if (changes.length === 0) return 'No configuration changed between the two captures.';
  return changes
    .map((c) => {
      const head = `${c.change.padEnd(8)} ${c.list} ${c.resource}`;
      const fields = (c.fields ?? []).map((f) => `\n           ${f.field}: ${JSON.stringify(f.before)} -> ${JSON.stringify(f.after)}`);
      return head + fields.join('');
    })
    .join('\n');
}
