import type { Tags } from '../document.js';

/**
 * Template names for a capture's resources: a prefix and the resource's Name tag (or its id) in
 * letters and digits, unique within the template (`VpcProd`, `SubnetProdA`, `InstanceWeb1`).
 */
export class LogicalIds {
  readonly #taken = new Set<string>();
  readonly #bySource = new Map<string, string>();

  /** The name of a source resource, made on first asking. */
  of(prefix: string, source: { id?: string; name?: string; tags?: Tags }): string {
    const key = `${prefix}|${source.id ?? source.name}`;
    const known = this.#bySource.get(key);
    if (known) return known;
    const label = source.tags?.Name ?? source.name ?? source.id ?? '';
    const base = `${prefix}${pascal(label)}`;
    let name = base;
    for (let n = 2; this.#taken.has(name); n++) name = `${base}${n}`;
    this.#taken.add(name);
    this.#bySource.set(key, name);
    return name;
  }

  /** The name a source resource was given, if it is in the template. */
  known(prefix: string, id: string): string | undefined {
    return this.#bySource.get(`${prefix}|${id}`);
  }
}

/** `web-1.prod` → `Web1Prod`: letters and digits only, as CloudFormation's logical ids and Terraform's names allow. */
export function pascal(label: string): string {
  return label
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
