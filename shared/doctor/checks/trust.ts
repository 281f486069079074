import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { kindRoleName, readerRoleName } from '../../../accounts/stack/names.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { stsClient } from '../../aws/clients.js';
import { ARTIFACT_KINDS } from '../../kinds/index.js';
import { type Finding, fail, pass } from '../finding.js';
import { readerSession } from '../reader-session.js';
import { type Check, deployCommand } from '../scope.js';

/**
 * Each reader role of a source admits the vault's role of its kind with the vault's ExternalId, and
 * the session is the role the account file says (once per source: IAM is global).
 */
export const trust: Check = async (scope, target) => {
  const { account, at } = target;
  if (account.role !== 'source' || target.region !== account.regions[0]) return [];
  const { vault } = scope.accounts;
  const findings: Finding[] = [];
  for (const kind of ARTIFACT_KINDS) {
    const reader = readerRoleName(kind);
    const check = `${vault.name}'s ${kindRoleName(kind)} assumes ${reader} with the ExternalId`;
    try {
      const session = await readerSession(scope, account, kind);
      const { Arn = '' } = await stsClient(target.access.aws, target.region, session).send(new GetCallerIdentityCommand({}));
      const expected = `arn:aws:sts::${account.id}:assumed-role/${reader}/`;
      findings.push(
        Arn.startsWith(expected)
          ? pass(at, `${check}: ${Arn}`)
          : fail(
              at,
              `${check}: the session is ${Arn}, not ${expected}…`,
              `check id in ${account.file}, then redeploy: ${deployCommand(scope, target)}`,
            ),
      );
    } catch (error) {
      findings.push(
        fail(
          at,
          `${check}: ${describeError(error)}`,
          isAwsError(error, 'AccessDenied')
            ? `the reader's trust must name ${kindRoleName(kind)} of ${vault.id} and the externalId of ${vault.file} (a source file that repeats externalId must agree): fix the file, then redeploy ${account.name}: ${deployCommand(scope, target)}`
            : `run doctor with credentials that may act as ${kindRoleName(kind)} in the vault`,
        ),
      );
    }
  }
  return findings;
};
