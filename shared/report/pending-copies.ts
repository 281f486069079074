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
  /** Set for a copy in a further vault region (the DR region), whose vault copy is available: `recordedAt` is when it last moved. */
  copyRegion?: string;
}

/**
 * The pending copy a point stands for, if it is one.
 *
 * @example
 * pendingCopy(point, asOf); // { sourceId: 'snap-0…', stage: 'reencrypting', pendingHours: 0.3, … } or undefined
 */
export function pendingCopy(point: AuditedPoint, asOf: Date): PendingCopy | undefined {
  const { kind, account, region, sourceId, resourceId, stage, waitingFor, recordedAt } = point;
  const open = point.state === 'available' ? point.copies?.find((c) => c.state === 'pending' || c.state === 'waiting') : undefined;
  if (open)
    return {
      kind,
      account,
      region,
      sourceId,
      resourceId,
      stage: 'copying',
      ...(open.waitingFor ? { waitingFor: open.waitingFor } : {}),
      recordedAt: open.updatedAt,
      pendingHours: hoursBetween(open.updatedAt, asOf),
      copyRegion: open.region,
    };
  if (point.state !== 'pending') return undefined;
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
