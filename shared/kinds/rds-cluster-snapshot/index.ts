import { manifest } from './manifest.js';
import { rdsClusterSnapshot } from './rds-cluster-snapshot.js';

/** The rds-cluster-snapshot kind: its module (what the hub does with one) and its manifest (how it is deployed). */
export const rdsClusterSnapshotKind = { module: rdsClusterSnapshot, manifest };
