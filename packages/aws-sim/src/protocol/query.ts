import { XMLBuilder } from 'fast-xml-parser';

type Node = { [key: string]: Node } | Node[] | string;

/**
 * Decodes an AWS query / EC2 query form body into nested objects. Dotted keys nest
 * (`Filter.1.Name`), and a node whose keys are all numbers becomes an array.
 */
export function parseQueryBody(body: string): Record<string, unknown> {
  const root: Record<string, Node> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split('.');
    let node: Record<string, Node> = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) node[segment] = value;
      else {
        node[segment] ??= {};
        node = node[segment] as Record<string, Node>;
      }
    });
  }
  return arrayify(root) as Record<string, unknown>;
}

function arrayify(node: Node): Node {
  if (typeof node === 'string' || Array.isArray(node)) return node;
  const keys = Object.keys(node);
  const entries = keys.map((k) => [k, arrayify(node[k]!)] as const);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v);
  }
  return Object.fromEntries(entries);
}

/** A query-protocol list: `X.1`, `X.member.1` or `X.Tag.1` all decode to an array. */
export function list<T = unknown>(node: unknown): T[] {
  if (node === undefined) return [];
  if (Array.isArray(node)) return node as T[];
  if (typeof node === 'object' && node !== null) {
    const values = Object.values(node);
    if (values.length === 1 && Array.isArray(values[0])) return values[0] as T[];
  }
  return [node as T];
}

const builder = new XMLBuilder({ ignoreAttributes: false, suppressEmptyNode: false, processEntities: true });

/** Serializes a response; arrays become repeated elements (`{ item: [...] }` → `<item/><item/>`). */
export function toXml(root: string, body: Record<string, unknown>, xmlns?: string): string {
  const attrs = xmlns ? { '@_xmlns': xmlns } : {};
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: { ...attrs, ...(stringify(body) as object) } })}`;
}

function stringify(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(stringify);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, stringify(v)]),
    );
  }
  return typeof value === 'boolean' || typeof value === 'number' ? String(value) : value;
}
