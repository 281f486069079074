import { rdsSnapshot } from './rds-snapshot.js';

/** The rds-snapshot kind: its module (what the hub does with one) and, beside it, its deployment facts. */
export const rdsSnapshotKind = { module: rdsSnapshot };
