import type { EventPattern, Statement, Value } from '../../../accounts/stack/cloudformation.js';

/**
 * What a kind declares about its deployment: the events it takes, how its handler reads its queue,
 * and the IAM statements each role needs for it. The stack model (accounts/stack) builds every
 * account's CloudFormation from these; nothing else writes them.
 */
export interface KindManifest {
  /** The rule pattern: the source rules forward, and the vault rule queues, exactly these events. */
  readonly pattern: EventPattern;
  /**
   * The events AWS sends in the vault's own account when a vault copy of the kind settles: a rule on
   * the vault's default bus queues them for the kind's handler, which completes the copy's point.
   * None for a kind whose finished copy AWS does not announce (the reconciler completes those).
   */
  readonly completion?: EventPattern;
  readonly queue: QueueSettings;
  /** The kind's handler role in the vault (the reconciler assumes it for the kind's work). */
  vault(scope: VaultScope): Statement[];
  /**
   * The kind's handler role again, for the copies of vault copies into the vault's DR region (when the
   * vault file sets one): from the vault's region into that one, under the DR region's vault key.
   */
  regionCopy(scope: RegionCopyScope): Statement[];
  /** The source's backup-hub-reader-<kind> role, which only the kind's vault role assumes (for the handler, the reconciler and the sweeps); its listing calls included. */
  reader(scope: ReaderScope): Statement[];
  /** The pruner, which deletes vault copies past their retention. */
  prune(scope: VaultScope): Statement[];
  /** The backup-hub-restore role an operator assumes in the vault. */
  restore(scope: RestoreScope): Statement[];
  /**
   * The part of `restore` in the region the restore copy is made in (with none of the vault's own
   * copies there): a vault region's restore role again, for a restore that lands in a recovery
   * account's region that is not one of the vault's.
   */
  restoreLanding(scope: RestoreLandingScope): Statement[];
  /**
   * A vault region's restore role again, for a restore that lands in its region from the vault copies
   * of another vault region: the source side of each copy across regions (the new copy in the landing
   * region is its `restore` statements').
   */
  restoreAcross(scope: RestoreAcrossScope): Statement[];
  /** The recovery account's backup-hub-recovery role, for kinds whose restore writes there. */
  recovery?(scope: RecoveryScope): Statement[];
  /**
   * The reconciler's, while it moves what an earlier release of the kind stored to where the kind
   * keeps it now (SSM parameter versions into the vault's S3 store).
   */
  migration?(scope: VaultScope): Statement[];
  /**
   * The service through which the vault copies what the reader shared under the share key (EC2 or
   * RDS); none for a kind that shares nothing. The share keys' policies admit these kinds' roles.
   */
  readonly sharesThrough?: 'ec2' | 'rds';
}

/** How the kind's handler reads its queue. */
export interface QueueSettings {
  /** Seconds; the queue's visibility timeout is six times this (Lambda's SQS guidance). */
  readonly timeout: number;
  readonly batchSize: number;
  /** Batches in flight at once (Lambda accepts 2 to 1000). */
  readonly maximumConcurrency: number;
  /** The concurrent copies AWS allows into one destination region: batchSize × maximumConcurrency stays within it. */
  readonly copyQuota: number;
}

/** A statement's Condition block. */
export type Condition = NonNullable<Statement['Condition']>;

/**
 * What every role of the vault knows: the vault, and how to keep a statement to resources of the
 * sources. Nothing here lists the sources: a policy's size never depends on how many there are.
 */
export interface VaultScope {
  vaultAccount: string;
  vaultRegion: string;
  /** The vault CMK (a reference to the key the vault stack creates). */
  vaultKeyArn: Value;
  /**
   * Keeps a statement to resources in the sources' organization (`aws:ResourceOrgID`) when the
   * vault file names one; empty otherwise, and then the readers' trust policies and the share keys'
   * policies are the boundary (they admit the vault's roles only), with the handlers' check that
   * an event comes from a source of the account files.
   */
  inSources: Condition;
}

/** A vault role copying vault copies into the DR region: `vaultRegion` and `vaultKeyArn` are the primary region's. */
export interface RegionCopyScope extends VaultScope {
  drRegion: string;
}

/** A source's reader role of one kind: what it reaches is in its own account. */
export interface ReaderScope {
  vaultAccount: string;
  vaultRegion: string;
  /** The source account the reader role is in. */
  account: string;
  /** Its regions (a handful at most: what the account file lists, not the estate). */
  regions: string[];
  /** The keys whose snapshots the reader may re-encrypt: aws/ebs, the share key and the account's customerKeyAliases. */
  keyAliases: string[];
  /** The customer keys the account file lists (customerKeyAliases). */
  customerKeyAliases: string[];
  /** The parameters the account file opts in: path prefixes, and whether tagged ones count. */
  parameters: { paths: string[]; tagged: boolean };
}

/** The operators' restore role: statements name no recovery account (tags and policy variables pair a copy with its account). */
export type RestoreScope = Omit<VaultScope, 'inSources'>;

/** A restore copy made in `vaultRegion`: a vault region, or another region of a recovery account. */
export type RestoreLandingScope = Pick<RestoreScope, 'vaultAccount' | 'vaultRegion'>;

/** A restore landing in `vaultRegion` from the vault copies in `fromRegion`. */
export interface RestoreAcrossScope {
  vaultAccount: string;
  vaultRegion: string;
  fromRegion: string;
}

/** One recovery account's backup-hub-recovery role. */
export interface RecoveryScope {
  vaultRegion: string;
  account: string;
}

/** The strings given, lists flattened, duplicates dropped, in order. */
export function all(...values: (string | readonly string[])[]): string[] {
  return [...new Set(values.flat())];
}

/** Conditions together: their keys merged operator by operator (every one must hold). */
export function allOf(...conditions: Condition[]): Condition {
  const merged: Condition = {};
  for (const condition of conditions)
    for (const [operator, keys] of Object.entries(condition)) merged[operator] = { ...merged[operator], ...keys };
  return merged;
}
