import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describeError } from '../../aws/aws-errors.js';
import { stsClient } from '../../aws/clients.js';
import { fail, pass } from '../finding.js';
import type { Check } from '../scope.js';

/** The operator's credentials reach the account the file names (once per account, in its primary region). */
export const access: Check = async (_scope, target) => {
  if (target.region !== target.account.regions[0]) return [];
  const { account, at } = target;
  const check = `credentials for ${account.name} (${account.id})`;
  const profileHint = `pass --profile ${account.name}=PROFILE (a profile of account ${account.id} with read access)`;
  try {
    const { Account, Arn } = await stsClient(target.access.aws, target.region, target.access.credentials).send(
      new GetCallerIdentityCommand({}),
    );
    if (Account !== account.id) return [fail(at, `${check}: they reach account ${Account}`, profileHint)];
    return [pass(at, `${check}: ${Arn}`)];
  } catch (error) {
    return [fail(at, `${check}: ${describeError(error)}`, profileHint)];
  }
};
