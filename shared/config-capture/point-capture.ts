import type { S3Client } from '@aws-sdk/client-s3';
import { CONFIG_CAPTURE_HOURS } from '../../accounts/stack/names.js';
import type { VaultFacts } from '../kinds/common/artifact-kind.js';
import type { ConfigDocument, ResourceList, Tags } from './document.js';
import { listCaptures, readCapture, type StoredCapture } from './store.js';

/** An AMI is recorded under its name, or its instance's id: it is of the captured instance of that id or Name tag. */
export const isImageOf = (resourceId: string, instance: { id: string; tags: Tags }) =>
  resourceId === instance.id || resourceId === instance.tags.Name;

/** The resource a recovery point was taken from, found in a capture; none for what no capture covers (SSM parameters). */
export function capturedResource(
  doc: ConfigDocument,
  point: { kind: string; resourceId: string },
): { list: ResourceList; id: string } | undefined {
  const { kind, resourceId } = point;
  const found = (list: ResourceList, present: boolean) => (present ? { list, id: resourceId } : undefined);
  switch (kind) {
    case 'ami': {
      const instance = doc.instances.find((i) => isImageOf(resourceId, i));
      return instance && { list: 'instances', id: instance.id };
    }
    case 'ebs-snapshot':
      return found(
        'volumes',
        doc.volumes.some((v) => v.id === resourceId),
      );
    case 'rds-snapshot':
      return found(
        'dbInstances',
        doc.dbInstances.some((d) => d.id === resourceId),
      );
    case 'rds-cluster-snapshot':
      return found(
        'dbClusters',
        doc.dbClusters.some((c) => c.id === resourceId),
      );
    default:
      return undefined;
  }
}

/** How far after a point's creation its resource's first capture is looked for: a day's schedule (the default) and an hour's slack. */
const LOOK_AHEAD_MS = (CONFIG_CAPTURE_HOURS + 1) * 3_600_000;

/** What a recovery point links to: the capture (key and version in the vault store) that holds its resource's configuration. */
export interface CaptureLink extends StoredCapture {
  /** The resource in it: its list and id. */
  list: ResourceList;
  id: string;
}

/** A recovery point, as far as the link needs it. */
interface LinkedPoint {
  kind: string;
  account: string;
  region: string;
  resourceId: string;
  createdAt: string;
}

/**
 * Links recovery points to the captures of their resources: the newest capture of the point's
 * account and region as of the point's creation, when it holds the resource; else the first capture
 * within a day after it that does (a new resource is first captured when its first AMI or snapshot
 * is announced, or by the daily schedule). Captures are kept once under Object Lock, so a link,
 * once found, never changes. Each source region's listing and each capture are read once.
 */
export class CaptureLinker {
  readonly #lists = new Map<string, Promise<StoredCapture[]>>();
  readonly #docs = new Map<string, Promise<ConfigDocument>>();

  constructor(
    private readonly s3: S3Client,
    private readonly vault: VaultFacts,
  ) {}

  async linkOf(point: LinkedPoint): Promise<CaptureLink | undefined> {
    const key = `${point.account}/${point.region}`;
    const listing = this.#lists.get(key) ?? listCaptures(this.s3, this.vault, point.account, point.region);
    this.#lists.set(key, listing);
    const captures = await listing;
    const asOf = captures.filter((c) => c.capturedAt <= point.createdAt).pop();
    const until = new Date(Date.parse(point.createdAt) + LOOK_AHEAD_MS).toISOString();
    const after = captures.filter((c) => c.capturedAt > point.createdAt && c.capturedAt <= until);
    for (const stored of [...(asOf ? [asOf] : []), ...after]) {
      const found = capturedResource(await this.#read(stored), point);
      if (found) return { ...stored, ...found };
    }
    return undefined;
  }

  #read(stored: StoredCapture): Promise<ConfigDocument> {
    const cached = this.#docs.get(stored.key) ?? readCapture(this.s3, this.vault, stored);
    this.#docs.set(stored.key, cached);
    return cached;
  }
}
