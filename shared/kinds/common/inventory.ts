import type { InventoryPage, ListedArtifact, ListedResource } from './artifact-kind.js';
import { TAG } from './provenance-tags.js';

/** One page of one of a kind's listings, with the service's own token of the next. */
export interface ListingPage {
  artifacts?: ListedArtifact[];
  resources?: ListedResource[];
  next?: string;
}

/**
 * A kind's inventory as its listings read one after the other (snapshots, then volumes), under one
 * token: `<listing>:<the service's token>`. An empty service token starts that listing.
 *
 * @example
 * return inventoryPage(token, { snapshots: (t) => listSnapshots(ec2, t), volumes: (t) => listVolumes(ec2, t) });
 */
export async function inventoryPage(
  token: string | undefined,
  listings: Record<string, (token?: string) => Promise<ListingPage>>,
): Promise<InventoryPage> {
  const names = Object.keys(listings);
  const at = token?.indexOf(':') ?? -1;
  const name = token === undefined ? names[0]! : token.slice(0, at);
  const read = listings[name];
  if (!read || (token !== undefined && at < 0))
    throw new Error(`inventory token ${JSON.stringify(token)} names no listing of ${names.join(', ')}`);
  const page = await read(token === undefined || token.slice(at + 1) === '' ? undefined : token.slice(at + 1));
  const following = names[names.indexOf(name) + 1];
  const next = page.next ? `${name}:${page.next}` : following === undefined ? undefined : `${following}:`;
  return { artifacts: page.artifacts ?? [], resources: page.resources ?? [], next };
}

/** Why the sweep leaves an artifact alone, from its tags: the hub's own re-encrypted copy in the source. */
export const hubMadeSkip = (tags: Record<string, string>): string | undefined =>
  tags[TAG.intermediateOf] === undefined ? undefined : `the hub's own re-encrypted copy of ${tags[TAG.intermediateOf]}`;

/** `items` grouped by `key`, each group in the items' order (Map.groupBy, which Node 20 lacks). */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

/** `items` in groups of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
