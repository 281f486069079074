import type { RecoveryPoint } from '../catalog/recovery-point.js';

/** The attributes of a catalog item the audit reads: the rest (tags, key ARNs, …) stays in DynamoDB. */
export const AUDITED_ATTRIBUTES = [
  'pk',
  'kind',
  'account',
  'region',
  'sourceId',
  'resourceId',
  'resourcePk',
  'createdAt',
  'recordedAt',
  'completedAt',
  'state',
  'stage',
  'waitingFor',
  'failureReason',
  'vaultCopyId',
  'legalHold',
  'copies',
  'lost',
] as const;

/** A catalog item as the audit reads it; a pruned or lost point shows as such and never as protection. */
export type AuditedPoint = Pick<RecoveryPoint, (typeof AUDITED_ATTRIBUTES)[number]>;

export type PointState = AuditedPoint['state'];

/** Every state, in the order the report shows them. */
export const POINT_STATES: readonly PointState[] = ['available', 'pending', 'failed', 'pruned', 'lost'];

export const hoursBetween = (from: string, to: Date): number => (to.getTime() - Date.parse(from)) / 3_600_000;

/** Plain code-point order (not the locale's), so that ids sort the same everywhere. */
export const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
