import type { ArtifactKindName } from '../catalog/recovery-point.js';
import type { ArtifactKind } from './artifact-kind.js';
import { ebsSnapshot } from './ebs-snapshot.js';

/** Every artifact kind the hub protects; adding a kind means adding its module here. */
export const artifactKinds: Partial<Record<ArtifactKindName, ArtifactKind>> = {
  [ebsSnapshot.name]: ebsSnapshot,
};

export function artifactKind(name: ArtifactKindName): ArtifactKind {
  const kind = artifactKinds[name];
  if (!kind) throw new Error(`no module for artifact kind ${name}`);
  return kind;
}
