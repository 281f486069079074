import { GetParameterHistoryCommand, type ParameterHistory, type SSMClient } from '@aws-sdk/client-ssm';
import { isAwsError } from '../../aws/aws-errors.js';

/** One version of a parameter without its value: the hub never asks for values it does not copy. */
export type VersionMetadata = Omit<ParameterHistory, 'Value'> & { Version: number };

/** Event times have whole seconds; a version written within that second still counts as announced. */
const EVENT_TIME_SLACK_MS = 1_000;

/**
 * The version history of a parameter (at most 100 versions, paged), without decrypting anything;
 * undefined when the parameter does not exist in the caller's account and region.
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
  return versions;
}

/**
 * The version an event means. The `Parameter Store Change` event names the parameter, not the
 * version: a Create/Update means the newest version written by the event's time (later updates
 * have their own events); a LabelParameterVersion means the newest labelled version.
 */
export function announcedVersion(
  history: VersionMetadata[],
  announced: { at: string; operation: string } | undefined,
): VersionMetadata | undefined {
  const newestFirst = [...history].sort((a, b) => b.Version - a.Version);
  if (announced?.operation === 'LabelParameterVersion') return newestFirst.find((v) => v.Labels?.length) ?? newestFirst[0];
  const by = announced ? Date.parse(announced.at) + EVENT_TIME_SLACK_MS : Number.POSITIVE_INFINITY;
  return newestFirst.find((v) => (v.LastModifiedDate?.getTime() ?? 0) < by) ?? newestFirst[0];
}
