import { type ParameterTier, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { isAwsError } from '../../aws/aws-errors.js';
import type { RecoveryPoint } from '../../catalog/recovery-point.js';
import { TAG } from '../common/provenance-tags.js';
import { parameterHistory } from './ssm-history.js';

/** A source parameter version, as the vault copy needs it. The value is passed through, never kept. */
export interface ParameterCopy {
  point: RecoveryPoint;
  version: number;
  value: string;
  tier: ParameterTier;
  keyArn: string;
}

/**
 * Where the vault keeps a source parameter: `/backup-hub/<account>/<region>/<name>`, so that the
 * same name in two accounts or regions never meets. Hierarchical names already start with `/`.
 */
export function vaultParameterName(point: Pick<RecoveryPoint, 'account' | 'region' | 'resourceId'>): string {
  const name = point.resourceId.startsWith('/') ? point.resourceId : `/${point.resourceId}`;
  return `/backup-hub/${point.account}/${point.region}${name}`;
}

/**
 * Each vault version says which source version it holds, in its description: the one field
 * Parameter Store keeps per version and writes atomically with the value, so a crash between the
 * write and the catalog update is found on retry instead of writing the version twice.
 */
export const sourceVersionDescription = (version: number) => `backup-hub: source version ${version}`;

/** The vault version already holding a source version, if an earlier attempt wrote it. */
export async function findVaultVersion(vault: SSMClient, name: string, sourceVersion: number): Promise<number | undefined> {
  const history = await parameterHistory(vault, name);
  return history?.find((v) => v.Description === sourceVersionDescription(sourceVersion))?.Version;
}

/**
 * Writes one source version as a new version of the vault parameter, a SecureString under the
 * vault CMK. PutParameter refuses tags together with Overwrite, so the provenance tags go on
 * with the first version only (they describe the parameter, not a version).
 * @returns the vault version number
 */
export async function writeVaultVersion(vault: SSMClient, name: string, copy: ParameterCopy): Promise<number> {
  const common = {
    Name: name,
    Value: copy.value,
    Type: 'SecureString' as const,
    KeyId: copy.keyArn,
    Tier: copy.tier,
    Description: sourceVersionDescription(copy.version),
  };
  try {
    const { Version } = await vault.send(new PutParameterCommand({ ...common, Overwrite: false, Tags: parameterTags(copy.point) }));
    return Version!;
  } catch (error) {
    if (!isAwsError(error, 'ParameterAlreadyExists')) throw error;
    const { Version } = await vault.send(new PutParameterCommand({ ...common, Overwrite: true }));
    return Version!;
  }
}

/** Not the name: tag values stop at 256 characters, parameter names at 2048 (the vault path keeps it). */
function parameterTags(point: RecoveryPoint): { Key: string; Value: string }[] {
  return [
    { Key: TAG.sourceAccount, Value: point.account },
    { Key: TAG.sourceRegion, Value: point.region },
  ];
}
