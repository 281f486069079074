import type { ArtifactKindName } from '../kinds/index.js';

/**
 * One protected resource, as the RPO check reads it: kept beside its recovery points in the catalog
 * (`RES#<resourcePk>`), written when one of its points becomes available or fails, so that a
 * resource whose backups stopped is still known. Listed under its account in the sparse
 * `protectedResources` index until it is retired (deleted in the source, or by an operator).
 */
export interface ProtectedResource {
  pk: string;
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  resourcePk: string;
  /** When the hub first recorded a point of it (available or failed). */
  firstSeenAt: string;
  /** When its newest available recovery point was taken in the source; absent while none ever was. */
  newestAvailableAt?: string;
  /** The source artifact of that point. */
  newestSourceId?: string;
  /** The index key: set while the resource counts against its RPO target. */
  protectedAccount?: string;
  retired?: Retirement;
}

/** Why a resource no longer counts against its RPO target. */
export interface Retirement {
  at: string;
  /** `deleted in the source` (its event), or an operator's reason. */
  reason: string;
  by: string;
}

export const protectedResourceKey = (resourcePk: string) => `RES#${resourcePk}`;
