import { amiKind } from './ami/index.js';
import type { ArtifactKind } from './common/artifact-kind.js';
import { ebsSnapshotKind } from './ebs-snapshot/index.js';
import { rdsClusterSnapshotKind } from './rds-cluster-snapshot/index.js';
import { rdsSnapshotKind } from './rds-snapshot/index.js';
import { ssmParameterKind } from './ssm-parameter/index.js';

/**
 * THE list of artifact kinds the hub protects, in the order the hub documents them. Everything
 * else (the kind names, the modules the reconciler and pruner dispatch to, the stacks' rules,
 * queues and IAM statements) derives from it: adding a kind is its folder and one entry here.
 * A handler imports its own kind folder only, so its bundle holds no other kind.
 */
export const KINDS = [ebsSnapshotKind, amiKind, rdsSnapshotKind, rdsClusterSnapshotKind, ssmParameterKind] as const;

export type ArtifactKindName = (typeof KINDS)[number]['module']['name'];

export const ARTIFACT_KINDS: readonly ArtifactKindName[] = KINDS.map((kind) => kind.module.name);

export function isArtifactKindName(name: string): name is ArtifactKindName {
  return (ARTIFACT_KINDS as readonly string[]).includes(name);
}

/** The module of a kind: what the pipeline calls to verify, share, copy, prune and restore one. */
export function artifactKind(name: ArtifactKindName): ArtifactKind {
  return KINDS.find((kind) => kind.module.name === name)!.module;
}
