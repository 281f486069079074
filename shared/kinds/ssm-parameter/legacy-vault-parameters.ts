import { DescribeParametersCommand, GetParameterHistoryCommand, type SSMClient } from '@aws-sdk/client-ssm';

/**
 * Earlier releases kept each source parameter as one vault parameter, `/backup-hub/<account>/<region><name>`
 * (a one-level name got a `/`), every source version a version of it marked in its description. Parameter
 * Store drops the oldest of those at the 101st, which is why the store replaced them; these read them
 * once, for the reconciler to move into the store.
 */
const PREFIX = '/backup-hub/';
/** DescribeParameters pages of 10 by default; the reconciler moves one page per run. */
export const LEGACY_PAGE = 10;

/** A page of the vault's legacy parameters, and where the next one starts. */
export async function legacyVaultParameters(
  ssm: SSMClient,
  nextToken: string | undefined,
): Promise<{ names: string[]; nextToken?: string }> {
  const page = await ssm.send(
    new DescribeParametersCommand({
      ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: [PREFIX] }],
      MaxResults: LEGACY_PAGE,
      NextToken: nextToken,
    }),
  );
  return { names: (page.Parameters ?? []).map((p) => p.Name!), ...(page.NextToken ? { nextToken: page.NextToken } : {}) };
}

/** The source account, region and parameter names a legacy vault parameter may stand for (`x` and `/x` shared one). */
export function legacySource(vaultName: string): { account: string; region: string; names: string[] } | undefined {
  const match = /^\/backup-hub\/(\d{12})\/([a-z0-9-]+)\/(.+)$/.exec(vaultName);
  if (!match) return undefined;
  const [, account, region, rest] = match as unknown as [string, string, string, string];
  return { account, region, names: rest.includes('/') ? [`/${rest}`] : [rest, `/${rest}`] };
}

/** The values a legacy vault parameter still holds, by vault version, decrypted under the vault key. */
export async function legacyValues(ssm: SSMClient, vaultName: string): Promise<Map<number, string>> {
  const values = new Map<number, string>();
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new GetParameterHistoryCommand({ Name: vaultName, WithDecryption: true, NextToken }));
    for (const version of page.Parameters ?? []) values.set(version.Version!, version.Value!);
    NextToken = page.NextToken;
  } while (NextToken);
  return values;
}

/** The vault version a legacy vault copy id names: `<vault parameter name>:<vault version>`. */
export function legacyVaultVersion(vaultCopyId: string): { name: string; version: number } | undefined {
  const match = /^(\/backup-hub\/.+):(\d+)$/.exec(vaultCopyId);
  return match ? { name: match[1]!, version: Number(match[2]) } : undefined;
}
