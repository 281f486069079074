import type { Catalog } from '../catalog/catalog.js';
import { resourceKey } from '../catalog/recovery-point.js';
import type { ListedArtifact, SourceRegion } from '../kinds/common/artifact-kind.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { RetentionPolicy } from '../retention/retention-settings.js';

/**
 * What the sweep protects of a source's unknown artifacts: what the pruner would keep. Within
 * `retentionDays`, always; older, only while fewer than `keepLast` newer points of its resource
 * are protected or being protected (so a password set two years ago, the newest of its parameter,
 * is protected; its hundred older snapshots are not). A kind without a retention keeps everything.
 * The newer points are the catalog's and this run's choices, newest first.
 */
export class RetentionScreen {
  /** Per resource, the creation times of the old artifacts this run chose. */
  readonly #chosen = new Map<string, string[]>();

  constructor(
    private readonly catalog: Catalog,
    private readonly policies: Partial<Record<ArtifactKindName, RetentionPolicy>>,
    private readonly now: Date,
  ) {}

  async select(
    kind: ArtifactKindName,
    source: SourceRegion,
    unknown: ListedArtifact[],
  ): Promise<{ kept: ListedArtifact[]; beyond: number }> {
    const policy = this.policies[kind];
    if (!policy) return { kept: unknown, beyond: 0 };
    const horizon = new Date(this.now.getTime() - policy.retentionDays * 86_400_000).toISOString();
    const kept = unknown.filter((a) => a.createdAt >= horizon);
    const old = unknown.filter((a) => a.createdAt < horizon).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    for (const artifact of policy.keepLast ? old : []) {
      const resourcePk = resourceKey(kind, source.account, source.region, artifact.resourceId);
      if ((await this.#newer(resourcePk, artifact.createdAt, policy.keepLast!)) >= policy.keepLast!) continue;
      kept.push(artifact);
      this.#chosen.set(resourcePk, [...(this.#chosen.get(resourcePk) ?? []), artifact.createdAt]);
    }
    return { kept, beyond: unknown.length - kept.length };
  }

  /** Points of the resource newer than `createdAt` that hold or are getting a vault copy, up to `limit`. */
  async #newer(resourcePk: string, createdAt: string, limit: number): Promise<number> {
    let count = (this.#chosen.get(resourcePk) ?? []).filter((at) => at > createdAt).length;
    for await (const point of this.catalog.byResource(resourcePk)) {
      if (count >= limit || point.createdAt <= createdAt) break;
      if (point.state === 'available' || point.state === 'pending') count += 1;
    }
    return count;
  }
}
