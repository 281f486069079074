import type { CopyStage } from '../catalog/recovery-point.js';
import type { ArtifactKindName } from '../kinds/index.js';
import { type AuditedPoint, hoursBetween } from './audited-point.js';

/** A recovery point whose vault copy is not done yet. */
export interface PendingCopy {
  kind: ArtifactKindName;
  account: string;
  region: string;
  sourceId: string;
  resourceId: string;
  stage: CopyStage;
  /** The full copy quota it waits on, when it waits for a slot. */
  waitingFor?: string;
  /** When the hub first recorded it. */
  recordedAt: string;
  /** Hours since then, at the report's as-of time. */
  pendingHours: number;
}

/**
 * The pending copy a point stands for, if it is one.
 *
 * @example
 * pendingCopy(point, asOf); // { sourceId: 'snap-0…', stage: 'reencrypting', pendingHours: 0.3, … } or undefined
 */
export function pendingCopy(point: AuditedPoint, asOf: Date): PendingCopy | undefined {
  if (point.state !== 'pending') return undefined;
  const { kind, account, region, sourceId, resourceId, stage, waitingFor, recordedAt } = point;
  return {
    kind,
    account,
    region,
    sourceId,
    resourceId,
    stage,
    ...(waitingFor ? { waitingFor } : {}),
    recordedAt,
    pendingHours: hoursBetween(recordedAt, asOf),
  };
}
