import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NAMES } from '../../../accounts/stack/names.js';
import { describeError } from '../../aws/aws-errors.js';
import { VaultLock } from '../../retention/vault-lock.js';
import { type Finding, fail, pass } from '../finding.js';
import { type Check, deployCommand } from '../scope.js';

/** The vault's catalog and audit log are reachable, and the vault lock is what its account file asks. */
export const catalog: Check = async (scope, target) => {
  const { account, at } = target;
  if (account.role !== 'vault') return [];
  const client = target.access.aws.client('dynamodb', DynamoDBClient, target.region, target.access.credentials);
  const findings: Finding[] = [];
  for (const table of [NAMES.catalogTable, NAMES.auditTable]) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      findings.push(
        Table?.TableStatus === 'ACTIVE'
          ? pass(at, `table ${table}: ACTIVE`)
          : fail(at, `table ${table}: ${Table?.TableStatus}`, 'wait until DynamoDB reports it ACTIVE, then run doctor again'),
      );
    } catch (error) {
      findings.push(fail(at, `table ${table}: ${describeError(error)}`, `redeploy the vault stack: ${deployCommand(scope, target)}`));
    }
  }
  const asked = account.lock?.minRetentionDays;
  try {
    const inForce = await new VaultLock(DynamoDBDocumentClient.from(client), NAMES.auditTable).inForce();
    if (!inForce)
      findings.push(
        asked === undefined
          ? pass(at, 'vault lock: none asked for in the account file')
          : pass(at, `vault lock: ${asked} days asked for, set by the pruner on its first run`),
      );
    else if (asked !== undefined && asked < inForce.minRetentionDays)
      findings.push(
        fail(
          at,
          `vault lock: ${inForce.minRetentionDays} days in force since ${inForce.since}, the account file asks ${asked}`,
          `a lock only grows: set lock.minRetentionDays in ${account.file} back to ${inForce.minRetentionDays} or more`,
        ),
      );
    else findings.push(pass(at, `vault lock: ${inForce.minRetentionDays} days in force since ${inForce.since}`));
  } catch (error) {
    findings.push(fail(at, `vault lock: cannot be read (${describeError(error)})`, 'run with credentials that may read the catalog table'));
  }
  return findings;
};
