import { AssumeRoleCommand, type Credentials } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { describeError } from '../aws/aws-errors.js';
import { AwsClients, stsClient } from '../aws/clients.js';
import type { AccountsConfig } from '../config/accounts.js';
import { DOCTOR_SESSION } from './reader-session.js';
import { type DoctorAccess, VaultRoleUnavailable } from './scope.js';

const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Doctor on AWS: the standard credential chain for every account, or the profile named for it
 * (`--profile source-a=PROFILE`); the vault's roles assumed from the vault's credentials.
 */
export function awsDoctorAccess(accounts: AccountsConfig, profiles: Record<string, string>): DoctorAccess {
  const settings = { retryMode: 'adaptive', maxAttempts: 8 };
  const clients = new Map<string, AwsClients>();
  const clientsOf = (profile: string | undefined) => {
    const key = profile ?? '';
    const found = clients.get(key) ?? new AwsClients({ defaults: profile === undefined ? settings : { ...settings, profile } });
    clients.set(key, found);
    return found;
  };
  const roles = new Map<string, AwsCredentialIdentityProvider>();
  const { vault } = accounts;
  return {
    account: (account) => ({ aws: clientsOf(profiles[account.name]) }),
    vaultRole(roleArn) {
      const found = roles.get(roleArn) ?? assumedVaultRole(clientsOf(profiles[vault.name]), vault.regions[0]!, roleArn);
      roles.set(roleArn, found);
      return found;
    },
  };
}

/**
 * A vault role's credentials, assumed from the operator's when first asked for and again shortly
 * before they expire.
 * @throws VaultRoleUnavailable (from the provider) when the operator may not assume it
 */
export function assumedVaultRole(aws: AwsClients, region: string, roleArn: string): AwsCredentialIdentityProvider {
  let cached: AwsCredentialIdentity | undefined;
  return async () => {
    if (cached && (cached.expiration?.getTime() ?? 0) - REFRESH_MARGIN_MS > Date.now()) return cached;
    let c: Credentials | undefined;
    try {
      ({ Credentials: c } = await stsClient(aws, region).send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: DOCTOR_SESSION }),
      ));
    } catch (error) {
      throw new VaultRoleUnavailable(roleArn, describeError(error));
    }
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
    cached = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
    return cached;
  };
}
