import type { RecoveryPoint } from '../../catalog/recovery-point.js';

/** Tags the hub puts on what it creates, so a crash never loses track of a copy. */
export const TAG = {
  sourceAccount: 'backup-hub:source-account',
  sourceRegion: 'backup-hub:source-region',
  sourceId: 'backup-hub:source-id',
  /** The life of a reusable source identifier (RecoveryPoint.life), when it has one. */
  sourceLife: 'backup-hub:source-life',
  resourceId: 'backup-hub:resource-id',
  eventId: 'backup-hub:event-id',
  /** On a source-side copy under the share key: the artifact it re-encrypts. */
  intermediateOf: 'backup-hub:intermediate-of',
  /** On a vault-side copy made for a restore: the vault copy it re-encrypts, and the account it is shared with. */
  restoreOf: 'backup-hub:restore-of',
  restoreFor: 'backup-hub:restore-for',
  /** On a source's SSM parameter: opts it in, when its account file says `ssmParameters: { tagged: true }`. */
  protect: 'backup-hub:protect',
} as const;

/**
 * The tags of a restore copy. Never the provenance tags: the hub finds its vault copies by those, and
 * a restore copy must not pass for one.
 */
export function restoreTags(point: RecoveryPoint, account: string): { Key: string; Value: string }[] {
  return [
    { Key: TAG.restoreOf, Value: point.vaultCopyId! },
    { Key: TAG.restoreFor, Value: account },
  ];
}

/** The provenance tags that name a vault copy's source artifact: what finds the copy again (one per source artifact). */
export function sourceIdentityTags(point: Pick<RecoveryPoint, 'account' | 'region' | 'sourceId' | 'life'>): Record<string, string> {
  return {
    [TAG.sourceAccount]: point.account,
    [TAG.sourceRegion]: point.region,
    [TAG.sourceId]: point.sourceId,
    ...(point.life === undefined ? {} : { [TAG.sourceLife]: point.life }),
  };
}

/** The source artifact a vault copy's provenance tags name; undefined for anything else (a restore copy, a copy made outside the hub). */
export const NOT_A_VAULT_COPY = "none of the hub's vault copies (no provenance tags, or gone): nothing to complete";

export function sourceOfCopy(tags: Record<string, string>): Pick<RecoveryPoint, 'account' | 'region' | 'sourceId' | 'life'> | undefined {
  const [account, region, sourceId, life] = [TAG.sourceAccount, TAG.sourceRegion, TAG.sourceId, TAG.sourceLife].map((key) => tags[key]);
  if (account === undefined || region === undefined || sourceId === undefined) return undefined;
  return { account, region, sourceId, ...(life === undefined ? {} : { life }) };
}

/** The provenance tags of a vault copy. */
export function provenanceTags(point: RecoveryPoint): { Key: string; Value: string }[] {
  return [
    ...Object.entries(sourceIdentityTags(point)).map(([Key, Value]) => ({ Key, Value })),
    { Key: TAG.resourceId, Value: point.resourceId },
    { Key: TAG.eventId, Value: point.eventId },
  ];
}

export function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));
}
