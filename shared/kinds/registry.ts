import type { ArtifactKindName } from '../catalog/recovery-point.js';
import type { ArtifactKind } from './artifact-kind.js';
import { ami } from './ami.js';
import { ebsSnapshot } from './ebs-snapshot.js';
import { rdsClusterSnapshot } from './rds-cluster-snapshot.js';
import { rdsSnapshot } from './rds-snapshot.js';
import { ssmParameter } from './ssm-parameter.js';

/** Every artifact kind the hub protects; adding a kind means adding its module here. */
export const artifactKinds: Partial<Record<ArtifactKindName, ArtifactKind>> = {
  [ebsSnapshot.name]: ebsSnapshot,
  [ami.name]: ami,
  [ssmParameter.name]: ssmParameter,
  [rdsSnapshot.name]: rdsSnapshot,
  [rdsClusterSnapshot.name]: rdsClusterSnapshot,
};

export function artifactKind(name: ArtifactKindName): ArtifactKind {
  const kind = artifactKinds[name];
  if (!kind) throw new Error(`no module for artifact kind ${name}`);
  return kind;
}
