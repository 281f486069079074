import type { S3Client } from '@aws-sdk/client-s3';
import { type ConfigChange, diffCaptures } from './diff.js';
import type { ResourceList } from './document.js';
import { listCaptures, readCapture, type StoreFacts } from './store.js';

/** The last change of one resource: what `config diff` listed for it between the two captures around it. */
export interface LastConfigChange {
  account: string;
  region: string;
  list: ResourceList;
  resource: string;
  change: ConfigChange['change'];
  /** For a change: the fields that differ. */
  fields?: string[];
  /** The captures it fell between: the change was made after the first and before the second. */
  after: string;
  before: string;
}

/**
 * Per resource of each source region, its last change up to `until`: each capture compared with the
 * one before it, as `backup-hub config diff` compares two, from the capture as of `since` on
 * (resources unchanged since then have no row). Each capture is read once.
 */
export async function lastConfigChanges(
  s3: S3Client,
  vault: StoreFacts,
  sources: { account: string; region: string }[],
  range: { since: string; until: string },
): Promise<LastConfigChange[]> {
  const last = new Map<string, LastConfigChange>();
  for (const { account, region } of sources) {
    const captures = (await listCaptures(s3, vault, account, region)).filter((c) => c.capturedAt <= range.until);
    const start = Math.max(0, captures.filter((c) => c.capturedAt <= range.since).length - 1);
    let previous = captures[start] && (await readCapture(s3, vault, captures[start]));
    for (const stored of captures.slice(start + 1)) {
      const current = await readCapture(s3, vault, stored);
      for (const c of diffCaptures(previous!, current))
        last.set(`${account}|${region}|${c.list}|${c.resource}`, {
          account,
          region,
          list: c.list,
          resource: c.resource,
          change: c.change,
          ...(c.fields ? { fields: c.fields.map((f) => f.field) } : {}),
          after: previous!.capturedAt,
          before: current.capturedAt,
        });
      previous = current;
    }
  }
  return [...last.values()];
}
