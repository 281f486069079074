import type { ArtifactKindName } from '../kinds/index.js';
import { type AuditedPoint, compare } from './audited-point.js';

/** A recovery point whose vault copy the integrity sweep found gone: it protects nothing. */
export interface LostCopy {
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  sourceId: string;
  vaultCopyId?: string;
  lostAt: string;
  reason: string;
}

/**
 * The lost copy a point stands for, if it is one.
 *
 * @example
 * lostCopy(point); // { sourceId: 'snap-0…', vaultCopyId: 'snap-1…', reason: 'vault copy snap-1… no longer exists', … } or undefined
 */
export function lostCopy(point: AuditedPoint): LostCopy | undefined {
  if (point.state !== 'lost') return undefined;
  const { kind, account, region, resourceId, sourceId, vaultCopyId } = point;
  return {
    kind,
    account,
    region,
    resourceId,
    sourceId,
    ...(vaultCopyId ? { vaultCopyId } : {}),
    lostAt: point.lost?.at ?? '',
    reason: point.lost?.reason ?? 'the vault copy is gone',
  };
}

/** Newest loss first. */
export const byLossTime = (a: LostCopy, b: LostCopy) => compare(b.lostAt, a.lostAt);
