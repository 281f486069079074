import { CopySnapshotCommand } from '@aws-sdk/client-ec2';
import { kindRoleName } from '../../../accounts/stack/names.js';
import { describeError, isAwsError } from '../../aws/aws-errors.js';
import { type Credentials, ec2Client } from '../../aws/clients.js';
import { TAG } from '../../kinds/common/provenance-tags.js';
import { PROVENANCE_TAG_KEYS } from '../../kinds/common/statements.js';
import { type Finding, fail, type Place, pass } from '../finding.js';
import { readerSession } from '../reader-session.js';
import { type Check, type DoctorScope, deployCommand, type StackTarget } from '../scope.js';

/** A snapshot id no one has: a DryRun is judged on the permissions, and nothing is copied. */
const NO_SNAPSHOT = 'snap-0000000000000000d';

/**
 * The EBS copies, tried with `DryRun` as the roles that make them: the reader's re-encrypting copy
 * in each region of a source, the vault's copy into the vault. `DryRunOperation` means allowed;
 * `UnauthorizedOperation` names what is missing.
 */
export const dryRun: Check = async (scope, target) => {
  const { account } = target;
  const kind = 'ebs-snapshot';
  if (account.role === 'vault') {
    const source = scope.accounts.sources[0];
    if (!source) return [];
    const tags = PROVENANCE_TAG_KEYS.map((Key) => ({ Key, Value: 'backup-hub-doctor' }));
    return [
      await tryCopy(
        scope,
        target,
        target.at,
        `${kindRoleName(kind)} copies a shared snapshot into the vault (DryRun)`,
        scope.access.vaultRole(`arn:aws:iam::${account.id}:role/${kindRoleName(kind)}`),
        {
          SourceRegion: source.regions[0]!,
          tags,
        },
      ),
    ];
  }
  if (account.role !== 'source') return [];
  let session: Credentials;
  try {
    session = await readerSession(scope, account, kind);
  } catch {
    return []; // The trust check names it.
  }
  return [
    await tryCopy(scope, target, target.at, `backup-hub-reader-${kind} re-encrypts a snapshot as a tagged copy (DryRun)`, session, {
      SourceRegion: target.region,
      tags: [{ Key: TAG.intermediateOf, Value: NO_SNAPSHOT }],
    }),
  ];
};

async function tryCopy(
  scope: DoctorScope,
  target: StackTarget,
  at: Place,
  check: string,
  credentials: Credentials,
  request: { SourceRegion: string; tags: { Key: string; Value: string }[] },
): Promise<Finding> {
  try {
    await ec2Client(target.access.aws, target.region, credentials).send(
      new CopySnapshotCommand({
        SourceRegion: request.SourceRegion,
        SourceSnapshotId: NO_SNAPSHOT,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: request.tags }],
        DryRun: true,
      }),
    );
    return fail(at, `${check}: the DryRun was not refused as a DryRun`, 'report this: EC2 ignored DryRun');
  } catch (error) {
    if (isAwsError(error, 'DryRunOperation')) return pass(at, `${check}: allowed`);
    return fail(
      at,
      `${check}: ${describeError(error)}`,
      isAwsError(error, 'UnauthorizedOperation')
        ? `the role lacks its copy statement: redeploy ${target.account.name}: ${deployCommand(scope, target)}`
        : 'run doctor with credentials that may act as the vault role',
    );
  }
}
