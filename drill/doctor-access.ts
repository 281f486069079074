import type { SimCloud, SimCredentials } from '@backup-hub/aws-sim';
import { AwsClients } from '../shared/aws/clients.js';
import { DOCTOR_SESSION } from '../shared/doctor/reader-session.js';
import type { DoctorAccess } from '../shared/doctor/scope.js';

/**
 * Doctor on the simulated cloud: an operator with each account's administrator credentials (what
 * a person with read access everywhere would have; doctor's calls are checked read-only apart), and
 * the vault's roles as Lambda gives them to their functions.
 */
export function simDoctorAccess(cloud: SimCloud): DoctorAccess {
  const { requestHandler, retryStrategy } = cloud.clientConfig(cloud.adminCredentials(cloud.accounts()[0]!.id), 'us-east-1');
  const aws = new AwsClients({ defaults: { requestHandler, retryStrategy } });
  const credentials = new Map<string, SimCredentials>();
  const once = (key: string, make: () => SimCredentials) => {
    const found = credentials.get(key) ?? make();
    credentials.set(key, found);
    return found;
  };
  return {
    account: (account) => ({ aws, credentials: once(account.id, () => cloud.adminCredentials(account.id)) }),
    vaultRole: (roleArn) => once(roleArn, () => cloud.roleCredentials(roleArn, DOCTOR_SESSION)),
  };
}
