import { GetParameterHistoryCommand, type ParameterHistory, type SSMClient } from '@aws-sdk/client-ssm';
import { isAwsError } from '../../aws/aws-errors.js';

/** One version of a parameter without its value: the hub never asks for values it does not copy. */
export type VersionMetadata = Omit<ParameterHistory, 'Value'> & { Version: number; LastModifiedDate: Date };

/**
 * The version history of a parameter (at most 100 versions, paged), oldest first, without
 * decrypting anything; undefined when the parameter does not exist in the caller's account and region.
 */
export async function parameterHistory(ssm: SSMClient, name: string): Promise<VersionMetadata[] | undefined> {
  const versions: VersionMetadata[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const page = await ssm.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: false, NextToken }));
      versions.push(...(page.Parameters ?? []).map(({ Value: _value, ...metadata }) => metadata as VersionMetadata));
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound')) return undefined;
    throw error;
  }
  return versions.sort((a, b) => a.Version - b.Version);
}

/**
 * What the catalog holds of a parameter, as versions: one version (`<name>:7`), a range the vault
 * missed (`<name>:3-30`), or the versions after one that went with a deletion (`<name>:8-`).
 */
export interface RecordedVersions {
  life?: string;
  from: number;
  /** Absent for a range open at its end. */
  to?: number;
  /** When the source wrote the version (for a missed range, an instant just after the range). */
  createdAt: string;
  failed: boolean;
}

/** The versions a point's source id names: `<name>:<from>[-[<to>]]` (names never hold a colon). */
export function versionsOf(sourceId: string): { from: number; to?: number } {
  const [from, dash, to] = /^(\d+)(-?)(\d*)$/.exec(sourceId.slice(sourceId.lastIndexOf(':') + 1))!.slice(1) as [string, string, string];
  return { from: Number(from), ...(dash ? (to ? { to: Number(to) } : {}) : { to: Number(from) }) };
}

/** What the catalog holds of a parameter around the source's history: its points from the oldest version held on, and the newest one before. */
export interface RecordedAround {
  window: RecordedVersions[];
  previous?: RecordedVersions;
}

/** Versions the source no longer holds and the vault never copied. */
export interface MissedVersions {
  life: string;
  from: number;
  to?: number;
  /** An instant just after they were written, for the record's time. */
  before: string;
  why: string;
}

/** What an event for a parameter leads to: its current life, the versions to copy (oldest first), the versions missed. */
export interface VersionPlan {
  life: string;
  lacking: VersionMetadata[];
  missed: MissedVersions[];
}

/** The life of a point recorded before lives were told apart, until the reconciler has migrated it. */
const UNLABELLED_LIFE = 'unlabelled';
/** Event times have whole seconds: a write announced at `t` happened in [t, t + 1 s). */
const EVENT_SECOND_MS = 1000;

const iso = (date: Date) => date.toISOString();
/** The newest version a record covers, or the one before an open range (nothing after it is known). */
const newestOf = (r: RecordedVersions) => r.to ?? r.from - 1;

/**
 * Brings the vault's view of a parameter up to date with the source's history, whatever the events
 * said: every version the source holds and the vault lacks, oldest first; and every version gone
 * from the source that the vault never had, named as missed.
 *
 * A parameter deleted and created again restarts at version 1, so a version number alone does not
 * name a version: each belongs to a life, labelled by the time its first version was written. A life
 * is recognised by a version the catalog holds with the same number and time, or by numbering that
 * goes on from the vault's newest; a life first seen after its first versions were evicted is
 * labelled by its oldest version still held.
 *
 * Gone for good: versions below the oldest the source holds and above the newest the vault has of
 * that life (Parameter Store keeps the newest 100), and, when an event announces a write older than
 * the current life, the versions after the vault's newest of the earlier life (deleted with it).
 *
 * @returns undefined when the parameter does not exist and the vault knows nothing of it
 */
export function planVersions(
  name: string,
  history: VersionMetadata[] | undefined,
  recorded: RecordedAround,
  announced: { at: string; operation: string } | undefined,
): VersionPlan | undefined {
  const writtenAt = announced && announced.operation !== 'LabelParameterVersion' ? Date.parse(announced.at) : undefined;
  const { window, previous } = recorded;
  if (!history?.length) {
    if (!previous) return undefined;
    const life = previous.life ?? UNLABELLED_LIFE;
    const missed = writtenAt !== undefined && Date.parse(previous.createdAt) < writtenAt ? [gone(name, life, previous, announced!.at)] : [];
    return { life, lacking: [], missed };
  }
  const oldest = history[0]!;
  const life = sameLife(history, window) ?? continuedLife(oldest, previous) ?? iso(oldest.LastModifiedDate);
  const held = new Set(window.filter((r) => !r.failed && r.to === r.from).map((r) => `${r.from}@${r.createdAt}`));
  const lacking = history.filter((v) => !held.has(`${v.Version}@${iso(v.LastModifiedDate)}`));
  const missed: MissedVersions[] = [];
  const newestBelow = previous && (previous.life ?? UNLABELLED_LIFE) === life ? newestOf(previous) : 0;
  if (newestBelow + 1 < oldest.Version) {
    const [from, to] = [newestBelow + 1, oldest.Version - 1];
    missed.push({
      life,
      from,
      to,
      before: iso(new Date(oldest.LastModifiedDate.getTime() - 1)),
      why: `${from === to ? `version ${from}` : `versions ${from}–${to}`} of ${name} (life ${life}) left the source's history (Parameter Store keeps the newest 100 versions) before the vault copied ${from === to ? 'it' : 'them'}`,
    });
  }
  const earlierLife = writtenAt !== undefined && oldest.Version === 1 && oldest.LastModifiedDate.getTime() >= writtenAt + EVENT_SECOND_MS;
  if (earlierLife && (!previous || Date.parse(previous.createdAt) < writtenAt)) {
    const before = previous ?? { life: `seen-${announced!.at}`, from: 0, to: 0, createdAt: announced!.at, failed: false };
    missed.push(gone(name, before.life ?? UNLABELLED_LIFE, before, announced!.at, iso(oldest.LastModifiedDate)));
  }
  return { life, lacking, missed };
}

/** The life of the versions the catalog holds with the number and the time of one the source holds. */
function sameLife(history: VersionMetadata[], window: RecordedVersions[]): string | undefined {
  const byVersion = new Map(history.map((v) => [v.Version, iso(v.LastModifiedDate)]));
  return window.find((r) => r.life !== undefined && r.to === r.from && byVersion.get(r.from) === r.createdAt)?.life;
}

/**
 * With no version in common (the vault fell more than 100 versions behind), the life the vault last
 * saw, when the source's numbering goes on from it: a life restarts at 1, so one whose oldest held
 * version is above the vault's newest is taken to be the same. (Were it a new life grown that far
 * since, the versions would only carry the older label: no key would collide.)
 */
function continuedLife(oldest: VersionMetadata, previous: RecordedVersions | undefined): string | undefined {
  if (!previous?.life || previous.to === undefined || oldest.Version === 1) return undefined;
  return oldest.Version > previous.to ? previous.life : undefined;
}

/** The versions written after the vault's newest of a life the parameter's deletion took with it. */
function gone(name: string, life: string, newest: RecordedVersions, at: string, recreatedAt?: string): MissedVersions {
  const from = newestOf(newest) + 1;
  return {
    life,
    from,
    before: at,
    why: `${name} (life ${life}) was deleted${recreatedAt ? ` and created again at ${recreatedAt}` : ''} before the vault read the version written at about ${at}: versions from ${from} on are gone`,
  };
}
