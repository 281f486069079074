import type { PointTrigger, RecoveryPoint } from '../catalog/recovery-point.js';
import type { ArtifactKindName } from '../kinds/index.js';

/** Every decision the hub takes, as the audit log records it. */
export type AuditDecision =
  | 'copied' // a vault copy was requested
  | 'reencrypting' // the source is re-encrypting under the share key before the copy
  | 'completed' // the vault copy is available
  | 'skipped' // not a backup trigger, or already handled
  | 'rejected' // not acted upon, with the reason
  | 'deferred' // comes back later (quota, pending copy)
  | 'failed' // could not be done; with the reason
  | 'pruned' // a vault copy deleted on policy
  | 'restored' // a vault copy made usable in a recovery account
  | 'held' // a legal hold set on a recovery point
  | 'released' // a legal hold lifted
  | 'retired' // a resource no longer counted against its RPO target (an operator's backup-hub retire)
  | 'unretired' // counted again
  | 'locked' // the vault lock set or raised
  | 'migrated' // a vault copy moved to where the hub now keeps it (SSM parameters into the vault's S3 store)
  | 'lost' // a vault copy found gone by the integrity sweep
  | 'cleaned' // what the hub shared or made in a source, taken back (or named, for an operator, when the source refused)
  | 'reopened'; // a failed recovery point taken up again (a later event, or an operator)

export interface AuditFacts {
  decision: AuditDecision;
  reason?: string;
  eventId?: string;
  /** Set when the inventory sweep, not an event, set this in motion (`eventId` is then the sweep's pass). */
  trigger?: Exclude<PointTrigger, 'event'>;
  kind?: ArtifactKindName;
  account?: string;
  region?: string;
  sourceId?: string;
  /** The life of the resource the artifact belongs to, when the kind tells lives apart. */
  life?: string;
  vaultCopyId?: string;
  /** Set when the decision is about the point's copy in a further vault region (the DR region): `vaultCopyId` is that copy. */
  copyRegion?: string;
}

/** A stored entry: the facts plus its place in the hash chain. */
export interface AuditEntry extends AuditFacts {
  chain: string;
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** The facts that name a recovery point in an entry: its event, kind, source artifact and vault copy. */
export function pointFacts(
  point: RecoveryPoint,
): Pick<AuditFacts, 'eventId' | 'trigger' | 'kind' | 'account' | 'region' | 'sourceId' | 'life' | 'vaultCopyId'> {
  return {
    eventId: point.eventId,
    ...(point.trigger === 'sweep' ? { trigger: 'sweep' as const } : {}),
    kind: point.kind,
    account: point.account,
    region: point.region,
    sourceId: point.sourceId,
    ...(point.life === undefined ? {} : { life: point.life }),
    vaultCopyId: point.vaultCopyId,
  };
}
