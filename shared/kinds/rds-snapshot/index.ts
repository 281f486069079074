import { manifest } from './manifest.js';
import { rdsSnapshot } from './rds-snapshot.js';

/** The rds-snapshot kind: its module (what the hub does with one) and its manifest (how it is deployed). */
export const rdsSnapshotKind = { module: rdsSnapshot, manifest };
