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
export function readerSession(scope: DoctorScope, source: SourceAccount, kind: string): Promise<AwsCredentialIdentity> {
  return assumeAs(scope, kindRoleName(kind), roleArn(source.id, readerRoleName(kind)), functionName(scope.stage, 'doctor'));
}

/**
 * A session of another account's role, assumed as a role of the vault (`actingAs`) with the vault's
 * ExternalId, as the hub assumes it.
 * @throws the AssumeRole error (AccessDenied when the trust does not admit it)
 */
export async function assumeAs(
  scope: DoctorScope,
  actingAs: string,
  target: string,
  sourceIdentity?: string,
): Promise<AwsCredentialIdentity> {
  const { vault } = scope.accounts;
  const vaultAccess = scope.access.account(vault);
  const { Credentials: c } = await stsClient(vaultAccess.aws, vault.regions[0]!, scope.access.vaultRole(roleArn(vault.id, actingAs))).send(
    new AssumeRoleCommand({
      RoleArn: target,
      RoleSessionName: DOCTOR_SESSION,
      ExternalId: vault.externalId,
      SourceIdentity: sourceIdentity,
    }),
  );
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${target} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}
