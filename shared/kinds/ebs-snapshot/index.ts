import { ebsSnapshot } from './ebs-snapshot.js';

/** The ebs-snapshot kind: its module (what the hub does with one) and, beside it, its deployment facts. */
export const ebsSnapshotKind = { module: ebsSnapshot };
