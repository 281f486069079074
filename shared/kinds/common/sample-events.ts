import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ArtifactKindName } from '../index.js';

/**
 * AWS's own documented sample events of a kind, in `shared/kinds/<kind>/events/*.json`: what its
 * rule must route, and documented events it must not. Copied from the page each names, with the
 * placeholders the pages show filled in and their quirks kept (the EBS samples put the region in
 * the account slot of their ARNs). Where a page documents only a neighbouring event, the sample is
 * derived from it by changing only the field AWS's event table documents, and says so.
 * For tests: no handler imports this.
 */
export interface SampleEvent {
  description: string;
  /** The AWS documentation page the event is copied from. */
  documentation: string;
  /** How the sample differs from the documented one, when it does. */
  derivedFrom?: string;
  /** Whether the kind's rule routes it. */
  matches: boolean;
  event: Record<string, unknown>;
}

export function sampleEvents(kind: ArtifactKindName): SampleEvent[] {
  const dir = fileURLToPath(new URL(`../${kind}/events/`, import.meta.url));
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as SampleEvent);
}
