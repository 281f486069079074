import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { describeError, isAwsError } from '../aws/aws-errors.js';
import { kmsClient } from '../aws/clients.js';
import { SourceSessions } from '../aws/source-sessions.js';
import type { RestoreTarget } from '../kinds/common/artifact-kind.js';
import type { HubContext } from '../runtime/hub-context.js';
import { RestoreRequestError } from './restore-request.js';

/** The names a recovery account's stack and the vault's restore keys carry (accounts/stack/names.ts). */
export interface RecoveryNames {
  /** `backup-hub-recovery`: the role the restore assumes there. */
  recoveryRole: string;
  /** `alias/backup-hub-restore-`: the vault's restore key of an account is this prefix and its id. */
  restoreKeyAliasPrefix: string;
}

/**
 * The recovery account as a restore target: its restore key in the vault (DescribeKey of the alias,
 * so a missing key stops the restore before anything is copied) and its recovery role, assumed with
 * the hub's ExternalId when a parameter is written. In `region`, where the restore lands (see
 * landingRegion): the vault's region by default, its DR region for a restore from there (every call
 * goes to that region, which may be the only one up), or the other vault region of a restore across regions.
 * @throws RestoreRequestError naming what to deploy when the restore key does not exist
 */
export async function restoreTarget(
  account: string,
  names: RecoveryNames,
  ctx: HubContext,
  region = ctx.config.vaultRegion,
): Promise<RestoreTarget> {
  const keyAlias = `${names.restoreKeyAliasPrefix}${account}`;
  let keyArn: string;
  try {
    const { KeyMetadata } = await kmsClient(ctx.aws, region).send(new DescribeKeyCommand({ KeyId: keyAlias }));
    keyArn = KeyMetadata!.Arn!;
  } catch (error) {
    if (!isAwsError(error, 'NotFoundException', 'AccessDeniedException')) throw error;
    throw new RestoreRequestError(
      `the vault has no usable restore key ${keyAlias} in ${region} (${describeError(error)}): add accounts/<name>.yml for ${account} with role: recovery (listing ${region} in its regions unless it is a vault region), deploy it, then redeploy the vault, whose stack in ${region} creates the key`,
    );
  }
  const sessions = new SourceSessions(
    ctx.aws,
    {
      region,
      roleName: names.recoveryRole,
      externalId: ctx.config.externalId,
      sessionName: 'backup-hub-restore',
      deployHint: `deploy the recovery stack in ${account} (accounts/<name>.yml with role: recovery) and restore with the vault's backup-hub-restore role`,
    },
    ctx.now,
  );
  return { account, region, keyArn, keyAlias, writer: sessions.credentials(account) };
}
