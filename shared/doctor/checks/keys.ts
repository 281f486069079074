import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, ListAliasesCommand } from '@aws-sdk/client-kms';
import { NAMES, readerRoleName } from '../../../accounts/stack/names.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { type Credentials, ec2Client, kmsClient } from '../../aws/clients.js';
import type { SourceAccount } from '../../config/accounts.js';
import { type Finding, fail, pass } from '../finding.js';
import { readerSession } from '../reader-session.js';
import { type Check, type DoctorScope, deployCommand, nameOf, resourcesOf, type StackTarget } from '../scope.js';

/** The reader that uses the source's customer keys (the EBS copies; the other kinds' readers list the same keys). */
const KEY_USER = 'ebs-snapshot';
/** Snapshots looked at for the keys that protect them: enough to find every key in use in all but the largest estates. */
const SNAPSHOT_PAGES = 5;

/**
 * The stack's keys exist and are enabled (the vault key, the share keys, the restore keys); in a
 * source, each key its account file lists is found by the reader, and no snapshot of the source is
 * under a customer key the file does not list (the hub would reject it).
 */
export const keys: Check = async (scope, target) => {
  const findings = await stackKeys(scope, target);
  if (target.account.role !== 'source') return findings;
  let session: Credentials;
  try {
    session = await readerSession(scope, target.account, KEY_USER);
  } catch {
    return findings; // The trust check names it.
  }
  return [...findings, ...(await listedKeys(scope, target, session)), ...(await keysInUse(scope, target, target.account, session))];
};

async function stackKeys(scope: DoctorScope, target: StackTarget): Promise<Finding[]> {
  const kms = kmsClient(target.access.aws, target.region, target.access.credentials);
  const findings: Finding[] = [];
  for (const [, properties] of resourcesOf(target, 'AWS::KMS::Alias')) {
    const alias = nameOf(properties, 'AliasName');
    if (alias === undefined) continue;
    try {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
      findings.push(
        KeyMetadata?.KeyState === 'Enabled'
          ? pass(target.at, `key ${alias}: enabled`)
          : fail(
              target.at,
              `key ${alias}: ${KeyMetadata?.KeyState}`,
              `enable it (aws kms enable-key --key-id ${KeyMetadata?.KeyId} --region ${target.region}); a key pending deletion: aws kms cancel-key-deletion first`,
            ),
      );
    } catch (error) {
      findings.push(
        isAwsError(error, 'NotFoundException')
          ? fail(target.at, `key ${alias}: missing`, `redeploy the stack: ${deployCommand(scope, target)}`)
          : fail(target.at, `key ${alias}: cannot be read (${describeError(error)})`, 'run with credentials that may kms:DescribeKey'),
      );
    }
  }
  return findings;
}

async function listedKeys(_scope: DoctorScope, target: StackTarget, session: Credentials): Promise<Finding[]> {
  const source = target.account as SourceAccount;
  const kms = kmsClient(target.access.aws, target.region, session);
  const findings: Finding[] = [];
  for (const alias of source.customerKeyAliases) {
    const check = `customer key ${alias}, as ${readerRoleName(KEY_USER)}`;
    try {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
      findings.push(pass(target.at, `${check}: ${KeyMetadata?.KeyState}`));
    } catch (error) {
      // The list scopes what the reader may use: an alias no key has here yet allows nothing, and harms nothing.
      findings.push(
        isAwsError(error, 'NotFoundException')
          ? pass(target.at, `${check}: no key has it in ${target.region}`)
          : fail(
              target.at,
              `${check}: ${describeError(error)}`,
              `the key's policy must let ${source.id}'s IAM use it (the reader's statements do the rest): add the account root as a principal of the key policy`,
            ),
      );
    }
  }
  return findings;
}

async function keysInUse(scope: DoctorScope, target: StackTarget, source: SourceAccount, session: Credentials): Promise<Finding[]> {
  const ec2 = ec2Client(target.access.aws, target.region, session);
  const kms = kmsClient(target.access.aws, target.region, session);
  const inUse = new Map<string, number>();
  let NextToken: string | undefined;
  try {
    for (let page = 0; page < SNAPSHOT_PAGES; page++) {
      const found = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 1000, NextToken }));
      for (const s of found.Snapshots ?? []) if (s.KmsKeyId) inUse.set(s.KmsKeyId, (inUse.get(s.KmsKeyId) ?? 0) + 1);
      NextToken = found.NextToken;
      if (!NextToken) break;
    }
    const accepted = new Set(['alias/aws/ebs', NAMES.shareKeyAlias, ...source.customerKeyAliases]);
    const findings: Finding[] = [];
    for (const [keyArn, count] of inUse) {
      const { Aliases = [] } = await kms.send(new ListAliasesCommand({ KeyId: keyArn }));
      const names = Aliases.map((a) => a.AliasName!);
      if (names.some((n) => accepted.has(n))) continue;
      findings.push(
        fail(
          target.at,
          `${count} snapshot${count === 1 ? '' : 's'} of ${source.name} under key ${keyArn.split('/').pop()} (${names.length ? names.join(', ') : 'no alias'}), which customerKeyAliases does not list`,
          names.length
            ? `the hub rejects them: add ${names[0]} to customerKeyAliases in ${source.file}, then redeploy ${source.name}: ${deployCommand(scope, target)}`
            : `the hub rejects them: give the key an alias (aws kms create-alias), add it to customerKeyAliases in ${source.file}, then redeploy ${source.name}`,
        ),
      );
    }
    return findings.length
      ? findings
      : [pass(target.at, `every key protecting ${source.name}'s snapshots is one the hub may use (${inUse.size} in use)`)];
  } catch (error) {
    return [
      fail(
        target.at,
        `keys in use in ${source.name}: cannot be read (${describeError(error)})`,
        `redeploy ${source.name}: ${deployCommand(scope, target)}`,
      ),
    ];
  }
}
