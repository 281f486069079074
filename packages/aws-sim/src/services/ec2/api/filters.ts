import { AwsError } from '../../../core/errors.js';
import { wildcardMatch } from '../../../policy/wildcard.js';
import type { Ec2Input } from './input.js';

/** One `Filter.N`: a name and the values any of which may match. */
export interface Ec2Filter {
  name: string;
  values: string[];
}

/** The filterable values of a resource, per filter name (besides the `tag:<key>` and `tag-key` filters every tagged resource has). */
export type FilterFields<T> = Record<string, (resource: T) => (string | undefined)[]>;

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function readFilters(input: Ec2Input): Ec2Filter[] {
  return input.list<{ Name?: string; Value?: string[] }>('Filter').map((f) => ({ name: f.Name ?? '', values: f.Value ?? [] }));
}

/**
 * Keeps the resources matching every filter; a filter matches when any of its values matches
 * one of the resource's values. Values may use the `*` and `?` wildcards, as in EC2.
 * @throws AwsError InvalidParameterValue for a filter name the resource type does not have
 */
export function applyFilters<T extends { tags: Map<string, string> }>(resources: T[], filters: Ec2Filter[], fields: FilterFields<T>): T[] {
  const getters = filters.map((f) => ({ filter: f, get: getter(f.name, fields) }));
  return resources.filter((r) =>
    getters.every(({ filter, get }) => get(r).some((value) => value !== undefined && filter.values.some((v) => wildcardMatch(v, value)))),
  );
}

function getter<T extends { tags: Map<string, string> }>(name: string, fields: FilterFields<T>): (resource: T) => (string | undefined)[] {
  if (name.startsWith('tag:')) return (r) => [r.tags.get(name.slice('tag:'.length))];
  if (name === 'tag-key') return (r) => [...r.tags.keys()];
  const field = fields[name];
  if (!field) throw new AwsError('InvalidParameterValue', `The filter '${name}' is invalid`);
  return field;
}
