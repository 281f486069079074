import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { kindRoleName, NAMES, readerRoleName, roleArn } from '../../../accounts/stack/names.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { stsClient } from '../../aws/clients.js';
import { ARTIFACT_KINDS } from '../../kinds/index.js';
import { type Finding, fail, pass } from '../finding.js';
import { assumeAs, readerSession } from '../reader-session.js';
import { type Check, type DoctorScope, deployCommand, type StackTarget, VaultRoleUnavailable } from '../scope.js';

/**
 * Each role another account offers the vault admits the vault role that assumes it, with the
 * vault's ExternalId, and the session is the role the account file says (once per account: IAM is
 * global): a source's reader role of each kind, as that kind's vault role; a recovery account's
 * role, as the vault's restore role.
 */
export const trust: Check = async (scope, target) => {
  const { account } = target;
  if (target.region !== account.regions[0]) return [];
  if (account.role === 'source')
    return Promise.all(
      ARTIFACT_KINDS.map((kind) =>
        tryTrust(scope, target, kindRoleName(kind), readerRoleName(kind), () => readerSession(scope, account, kind)),
      ),
    );
  if (account.role === 'recovery')
    return [
      await tryTrust(scope, target, NAMES.restoreRole, NAMES.recoveryRole, () =>
        assumeAs(scope, NAMES.restoreRole, roleArn(account.id, NAMES.recoveryRole)),
      ),
    ];
  return [];
};

async function tryTrust(
  scope: DoctorScope,
  target: StackTarget,
  actingAs: string,
  role: string,
  assume: () => Promise<AwsCredentialIdentity>,
): Promise<Finding> {
  const { account, at } = target;
  const { vault } = scope.accounts;
  const check = `${vault.name}'s ${actingAs} assumes ${role} with the ExternalId`;
  try {
    const { Arn = '' } = await stsClient(target.access.aws, target.region, await assume()).send(new GetCallerIdentityCommand({}));
    const expected = `arn:aws:sts::${account.id}:assumed-role/${role}/`;
    return Arn.startsWith(expected)
      ? pass(at, `${check}: ${Arn}`)
      : fail(
          at,
          `${check}: the session is ${Arn}, not ${expected}…`,
          `check id in ${account.file}, then redeploy: ${deployCommand(scope, target)}`,
        );
  } catch (error) {
    if (error instanceof VaultRoleUnavailable)
      return fail(at, `${check}: not tried, ${error.message}`, `run doctor with vault credentials that may assume ${actingAs}`);
    return fail(
      at,
      `${check}: ${describeError(error)}`,
      isAwsError(error, 'AccessDenied')
        ? `the role's trust must name ${actingAs} of ${vault.id} and the externalId of ${vault.file} (a file that repeats externalId must agree): fix the file, then redeploy ${account.name}: ${deployCommand(scope, target)}`
        : `run doctor with credentials that may act as ${actingAs} in the vault`,
    );
  }
}
