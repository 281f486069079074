import { rdsClusterSnapshot } from './rds-cluster-snapshot.js';

/** The rds-cluster-snapshot kind: its module (what the hub does with one) and, beside it, its deployment facts. */
export const rdsClusterSnapshotKind = { module: rdsClusterSnapshot };
