import type { EventPattern, Statement, Value } from '../../../accounts/stack/cloudformation.js';

/**
 * What a kind declares about its deployment: the events it takes, how its handler reads its queue,
 * and the IAM statements each role needs for it. The stack model (accounts/stack) builds every
 * account's CloudFormation from these; nothing else writes them.
 */
export interface KindManifest {
  /** The rule pattern: the source rules forward, and the vault rule queues, exactly these events. */
  readonly pattern: EventPattern;
  readonly queue: QueueSettings;
  /** The kind's handler role in the vault (the reconciler holds every kind's too). */
  vault(scope: VaultScope): Statement[];
  /** The source's backup-hub-reader role, which the vault's handlers and its inventory sweep assume. */
  reader(scope: ReaderScope): Statement[];
  /** The pruner, which deletes vault copies past their retention. */
  prune(scope: VaultScope): Statement[];
  /** The integrity sweep, which checks that the vault copies still exist: reads in the vault only. */
  integrity(scope: VaultScope): Statement[];
  /** The backup-hub-restore role an operator assumes in the vault. */
  restore(scope: RestoreScope): Statement[];
  /** The recovery account's backup-hub-recovery role, for kinds whose restore writes there. */
  recovery?(scope: RecoveryScope): Statement[];
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

/** One source account and one of its regions. */
export interface SourceRegion {
  account: string;
  region: string;
}

interface SourceScope {
  vaultAccount: string;
  vaultRegion: string;
  /**
   * One string per source account and region the role reaches (in the vault every allowed source,
   * in a source its own regions), duplicates dropped: a single string when they all agree.
   */
  eachSource(text: (source: SourceRegion) => string): string | string[];
}

export interface VaultScope extends SourceScope {
  /** The vault CMK (a reference to the key the vault stack creates). */
  vaultKeyArn: Value;
}

export interface ReaderScope extends SourceScope {
  /** The keys whose snapshots the reader may re-encrypt: aws/ebs, the share key and the account's customerKeyAliases. */
  keyAliases: string[];
}

/** The statements naming a recovery account, once per recovery account (Sid suffixed `For<id>`). */
type EachRecoveryAccount = (statement: (account: string) => Statement) => Statement[];

export interface RestoreScope extends VaultScope {
  eachRecoveryAccount: EachRecoveryAccount;
}

export interface RecoveryScope {
  vaultRegion: string;
  eachRecoveryAccount: EachRecoveryAccount;
}

/** The strings given, lists flattened, duplicates dropped, in order. */
export function all(...values: (string | readonly string[])[]): string[] {
  return [...new Set(values.flat())];
}

/** A scope's `eachSource` over the given source regions. */
export function eachSourceOf(sources: readonly SourceRegion[]): SourceScope['eachSource'] {
  return (text) => {
    const strings = all(...sources.map(text));
    return strings.length === 1 ? strings[0]! : strings;
  };
}

/**
 * A scope's `eachRecoveryAccount` over the given accounts: the statement once per account, so that
 * its conditions pair each account with itself (a copy tagged for one account is shared with that
 * one only).
 */
export function eachRecoveryAccountOf(accounts: readonly string[]): EachRecoveryAccount {
  return (statement) =>
    accounts.map((account) => {
      const made = statement(account);
      return { ...made, Sid: `${made.Sid}For${account}` };
    });
}
