import { ebsSnapshot } from './ebs-snapshot.js';
import { manifest } from './manifest.js';

/** The ebs-snapshot kind: its module (what the hub does with one) and its manifest (how it is deployed). */
export const ebsSnapshotKind = { module: ebsSnapshot, manifest };
