import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { functionName, kindRoleName, readerRoleName, roleArn } from '../../accounts/stack/names.js';
import { stsClient } from '../aws/clients.js';
import type { SourceAccount } from '../config/accounts.js';
import type { DoctorScope } from './scope.js';

/** The session name doctor's sessions carry in CloudTrail, and the source identity (the readers' trust wants `backup-hub-*`). */
export const DOCTOR_SESSION = 'backup-hub-doctor';

/**
 * A session of a source's reader role of one kind, assumed exactly as the vault does: as the kind's
 * vault role, with the ExternalId of the vault's account file and a source identity.
 * @throws the AssumeRole error (AccessDenied when the trust does not admit it)
 */
export async function readerSession(scope: DoctorScope, source: SourceAccount, kind: string): Promise<AwsCredentialIdentity> {
  const { vault } = scope.accounts;
  const region = vault.regions[0]!;
  const vaultAccess = scope.access.account(vault);
  const { Credentials: c } = await stsClient(vaultAccess.aws, region, scope.access.vaultRole(roleArn(vault.id, kindRoleName(kind)))).send(
    new AssumeRoleCommand({
      RoleArn: roleArn(source.id, readerRoleName(kind)),
      RoleSessionName: DOCTOR_SESSION,
      ExternalId: vault.externalId,
      SourceIdentity: functionName(scope.stage, 'doctor'),
    }),
  );
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${readerRoleName(kind)} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}
