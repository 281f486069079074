import type { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeParametersCommand,
  GetParameterCommand,
  type ParameterStringFilter,
  type ParameterTier,
  type ParameterType,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { describeError, isAwsError, isDeterministicAwsError } from '../../aws/aws-errors.js';
import { type AwsClients, type Credentials, s3Client, ssmClient } from '../../aws/clients.js';
import type { RecoveryPoint, SourceEncryption } from '../../catalog/recovery-point.js';
import { PermanentFailure, Rejection } from '../../core/errors.js';
import { parseArn } from '../../events/arn.js';
import { describeIssues, type EventEnvelope } from '../../events/envelope.js';
import {
  type ArtifactKind,
  type ArtifactRef,
  type CopyStatus,
  inSource,
  inVault,
  type KindDeps,
  type ListedArtifact,
  type ProviderLockTerms,
  type RestoreTarget,
  type ShareProgress,
  type SourceArtifact,
  type SourceRegion,
  type SweptSource,
  type Triggers,
  type VaultCopy,
  type Verified,
} from '../common/artifact-kind.js';
import { groupBy, inventoryPage } from '../common/inventory.js';
import { TAG } from '../common/provenance-tags.js';
import { pattern } from './manifest.js';
import {
  type MissedVersions,
  parameterHistory,
  planVersions,
  type RecordedAround,
  type RecordedVersions,
  type VersionMetadata,
  versionsOf,
} from './ssm-history.js';
import {
  deleteStoredVersion,
  findStoredVersion,
  isStored,
  lockStoredVersion,
  parameterPrefix,
  readStoredVersion,
  storedCopyId,
  storedVersionIds,
  storedVersionOf,
  storeKey,
  storeVersion,
} from './ssm-store.js';

/** What a recovery point records about a parameter version, in its tags: everything but the value. */
export const SSM_TAG = {
  type: 'ssm:type',
  tier: 'ssm:tier',
  dataType: 'ssm:data-type',
  description: 'ssm:description',
  version: 'ssm:version',
  labels: 'ssm:labels',
} as const;

/** The SSM kind reads parameters with Systems Manager and keeps their versions in the vault's S3 store. */
export interface SsmClients {
  ssm: SSMClient;
  s3: S3Client;
}

const COPIED_OPERATIONS = new Set(['Create', 'Update', 'LabelParameterVersion']);
/**
 * Parameter Store refuses for good: an invalid name (ValidationException in practice,
 * ParameterPatternMismatchException as documented), a hierarchy or an account quota exceeded, a
 * labelled oldest version. Retrying cannot help.
 */
const REFUSED_WRITES = [
  'ValidationException',
  'ParameterPatternMismatchException',
  'HierarchyLevelLimitExceededException',
  'ParameterLimitExceeded',
  'ParameterMaxVersionLimitExceeded',
];
/** Letters, digits and `_.-`, sub-paths divided by `/`; a path starts with `/`; no `aws` or `ssm` prefix (user guide, parameter names). */
const PARAMETER_NAME = /^(?!\/?aws)(?!\/?ssm)(?:[A-Za-z0-9_.-]+|(?:\/[A-Za-z0-9_.-]+)+)$/i;
/** "The maximum length for a parameter name that you specify is 1011 characters", counted with the ARN prefix (PutParameter). */
const MAX_NAME_WITH_ARN_PREFIX = 1011;
/** A hierarchy has at most 15 levels. */
const MAX_LEVELS = 15;

/** The documented detail: `operation`, `name`, `type`, and `description` when the parameter has one. Never the value. */
const detailSchema = z.object({
  operation: z.string(),
  name: z.string().check(z.minLength(1)),
  type: z.optional(z.string()),
  description: z.optional(z.string()),
});

/**
 * SSM parameters announced by `Parameter Store Change`. The event names a parameter, never which
 * version (and has whole seconds): every event brings the vault up to date with every version the
 * source holds and the vault lacks, oldest first. Each version is a recovery point (`<name>:<version>`
 * of a life, see {@link planVersions}), kept as its own object in the vault's S3 store under the vault
 * key (`<account>/<region><name>/<life>/<version>`), locked and never evicted. Nothing is shared: the
 * vault reads the value through the reader role and writes it itself; the value lives only in the
 * copy call's variables.
 */
export const ssmParameter: ArtifactKind<'ssm-parameter', SsmClients> = {
  name: 'ssm-parameter',
  sdk: ssmClients,
  detailTypes: pattern['detail-type'],
  copiesSynchronously: true,

  triggers(event: EventEnvelope): Triggers {
    const parsed = detailSchema.safeParse(event.detail);
    if (!parsed.success)
      throw new Rejection('malformed-event', `Parameter Store Change detail is malformed: ${describeIssues(parsed.error)}`);
    const { operation, name } = parsed.data;
    if (operation === 'Delete') return { skip: `parameter ${name} deleted in the source; vault copies kept`, deleted: name };
    if (!COPIED_OPERATIONS.has(operation)) return { skip: `${operation} is not a backup trigger` };
    const own = ownName(name, event);
    checkName(own, event);
    return { refs: [{ account: event.account, region: event.region, sourceId: own, announced: { at: event.time, operation } }] };
  },

  async verify(ref: ArtifactRef, deps: KindDeps<SsmClients>): Promise<Verified> {
    const history = await optedInHistory(ref, deps);
    const recorded = await recordedAround(ref, history?.[0], deps);
    const plan = planVersions(ref.sourceId, history, recorded, ref.announced);
    if (!plan)
      throw new Rejection(
        'not-found',
        `parameter ${ref.sourceId} does not exist in ${ref.account}/${ref.region} as seen by that account's reader role, and the vault has never held it (deleted before the vault read it, or a forged event)`,
      );
    const versions: SourceArtifact[] = [];
    for (const version of plan.lacking) versions.push(await sourceVersion(ref, plan.life, version, deps));
    return { found: 'artifacts', artifacts: [...plan.missed.map((missed) => missedVersions(ref, missed)), ...versions] };
  },

  async prepareShare(point: RecoveryPoint): Promise<ShareProgress> {
    return { status: 'ready', sharedId: point.sourceId };
  },

  async findCopy(point: RecoveryPoint, deps: KindDeps<SsmClients>): Promise<VaultCopy | undefined> {
    const stored = await findStoredVersion(inVault(deps).s3, deps.vault, keyOf(point), point.createdAt);
    return stored && { vaultCopyId: storedCopyId(stored), vaultKeyArn: deps.vault.keyArn };
  },

  async copy(point: RecoveryPoint, _sharedId: string, deps: KindDeps<SsmClients>): Promise<VaultCopy> {
    return storeCopy(point, await readValue(point, deps), deps);
  },

  /** Read from the store in `fromRegion` and written into the store of the destination region, under its key. */
  async copyAcross(point: RecoveryPoint, fromRegion: string, deps: KindDeps<SsmClients>): Promise<VaultCopy> {
    const from = { ...deps.vault, region: fromRegion };
    return storeCopy(point, await readStoredVersion(deps.client(fromRegion).s3, from, storedVersionOf(point.vaultCopyId!)), deps);
  },

  async copyStatus(): Promise<CopyStatus> {
    // PutObject is synchronous: the object exists once the call returns.
    return { status: 'available' };
  },

  async cleanup(): Promise<string[]> {
    // Nothing was shared or copied in the source.
    return [];
  },

  // Each stored version is locked in compliance mode like an EBS copy, whether or not the vault file asks for a vault lock (the bucket's default retention).
  async lockVaultCopy(point: RecoveryPoint, terms: ProviderLockTerms, deps: KindDeps<SsmClients>) {
    if (!isStored(point.vaultCopyId!)) return undefined;
    const until = await lockStoredVersion(inVault(deps).s3, deps.vault, storedVersionOf(point.vaultCopyId!), terms.until);
    return { mode: 'compliance' as const, until: until.toISOString() };
  },

  async deleteVaultCopy(point: RecoveryPoint, deps: KindDeps<SsmClients>) {
    // A version only ever kept in a vault parameter of an earlier release stays there: those are deleted whole, by an operator.
    if (!isStored(point.vaultCopyId!)) return { deleted: [] };
    await deleteStoredVersion(inVault(deps).s3, deps.vault, storedVersionOf(point.vaultCopyId!));
    return { deleted: [point.vaultCopyId!] };
  },

  // One listing is both: each parameter is a resource, and its newest version (Version and
  // LastModifiedDate) says whether the vault has it, with no GetParameterHistory per parameter.
  // Only what the account file opts in: DescribeParameters cannot be narrowed by IAM, so the sweep
  // asks for the listed path prefixes and the tagged parameters only (ParameterFilters).
  async inventory(source: SweptSource, token: string | undefined, deps: KindDeps<SsmClients>) {
    const { paths, tagged } = source.parameters;
    if (paths.length === 0 && !tagged) return { artifacts: [], resources: [] };
    const { ssm } = inSource(deps, source.account, source.region);
    const listing = (filter: ParameterStringFilter) => async (NextToken?: string) => {
      const page = await ssm.send(new DescribeParametersCommand({ MaxResults: DESCRIBE_PAGE, NextToken, ParameterFilters: [filter] }));
      const listed = (page.Parameters ?? []).map((p) =>
        listedParameter(source, p.Name!, p.Version ?? 1, p.LastModifiedDate ?? new Date(0)),
      );
      return { artifacts: listed, resources: listed.map((p) => ({ resourceId: p.resourceId, tags: {} })), next: page.NextToken };
    };
    return inventoryPage(token, {
      ...(paths.length ? { paths: listing({ Key: 'Name', Option: 'BeginsWith', Values: paths }) } : {}),
      ...(tagged ? { tagged: listing({ Key: `tag:${TAG.protect}`, Values: ['true'] }) } : {}),
    });
  },

  // One listing per parameter of the versions the store holds under its prefix, however many points.
  // A version still in a vault parameter of an earlier release is checked once the reconciler has moved it.
  async missingCopies(points: RecoveryPoint[], deps: KindDeps<SsmClients>) {
    const stored = points.filter((p) => isStored(p.vaultCopyId!));
    const byParameter = groupBy(stored, (point) => parameterPrefix(storedVersionOf(point.vaultCopyId!).key));
    const missing = new Map<string, string>();
    for (const [prefix, ofParameter] of byParameter) {
      const held = await storedVersionIds(inVault(deps).s3, deps.vault, prefix);
      for (const point of ofParameter)
        if (!held.has(storedVersionOf(point.vaultCopyId!).versionId))
          missing.set(
            point.pk,
            `vault copy ${point.vaultCopyId} no longer exists (the vault store holds no such version of ${point.resourceId})`,
          );
    }
    return missing;
  },

  restoreActions(point: RecoveryPoint, target: RestoreTarget) {
    return [
      { call: 's3:GetObject', what: `read ${point.vaultCopyId} from the vault store, decrypted under the vault key` },
      { call: 'sts:AssumeRole', what: `assume backup-hub-recovery in ${target.account}` },
      {
        call: 'ssm:PutParameter',
        what: `write ${point.resourceId} there as a ${point.tags[SSM_TAG.type] ?? 'String'} (not overwriting one that exists)`,
      },
    ];
  },

  async restore(point: RecoveryPoint, target: RestoreTarget, deps: KindDeps<SsmClients>) {
    const value = await readStoredVersion(inVault(deps).s3, deps.vault, storedVersionOf(point.vaultCopyId!));
    // Read in the vault region of the copy, written where the restore lands (the same region, or another one).
    const written = await writeBack(deps.client(target.region, target.writer).ssm, point, value);
    return {
      status: 'usable' as const,
      restoredId: `${point.resourceId}:${written.version}`,
      detail: `a ${point.tags[SSM_TAG.type] ?? 'String'} ${written.how} in ${target.account} (${target.region}), as its version ${written.version}`,
    };
  },
};

function ssmClients(aws: AwsClients, region: string, credentials?: Credentials): SsmClients {
  return { ssm: ssmClient(aws, region, credentials), s3: s3Client(aws, region, credentials) };
}

/** DescribeParameters returns at most 50 parameters a page. */
const DESCRIBE_PAGE = 50;

/**
 * A parameter as the sweep lists it: its newest version is what an `Update` event at its
 * LastModifiedDate would have announced.
 */
function listedParameter(source: SourceRegion, name: string, version: number, modified: Date): ListedArtifact {
  return {
    ref: { ...source, sourceId: name, announced: { at: modified.toISOString(), operation: 'Update' } },
    sourceId: `${name}:${version}`,
    resourceId: name,
    createdAt: modified.toISOString(),
    // A life is told by the parameter's history, which the listing does not read.
    known: { byResource: true },
  };
}

/** Stores a version's value in the vault's store of the region `deps` is for, under its key: the point's vault copy there. */
async function storeCopy(point: RecoveryPoint, value: string, deps: KindDeps<SsmClients>): Promise<VaultCopy> {
  const stored = await storeVersion(inVault(deps).s3, deps.vault, {
    key: keyOf(point),
    value,
    version: versionsOf(point.sourceId).from,
    sourceModified: point.createdAt,
  });
  return { vaultCopyId: storedCopyId(stored), vaultKeyArn: deps.vault.keyArn };
}

/** A version's object in the store. A point recorded before lives were told apart, and never copied, is a life of its own. */
function keyOf(point: RecoveryPoint): string {
  return storeKey(point, point.life ?? point.createdAt, versionsOf(point.sourceId).from);
}

/**
 * The catalog's points of the parameter from the source's oldest version on, and the newest one
 * before it (newest first, so reading stops there): what the vault holds of the versions the source
 * holds, and where it stands below them.
 */
async function recordedAround(ref: ArtifactRef, oldest: VersionMetadata | undefined, deps: KindDeps<SsmClients>): Promise<RecordedAround> {
  const window: RecordedVersions[] = [];
  const since = oldest?.LastModifiedDate.toISOString();
  for await (const point of deps.recorded(ref.account, ref.region, ref.sourceId)) {
    const recorded = { life: point.life, ...versionsOf(point.sourceId), createdAt: point.createdAt, failed: point.state === 'failed' };
    if (since === undefined || point.createdAt < since) return { window, previous: recorded };
    window.push(recorded);
  }
  return { window };
}

async function sourceVersion(
  ref: ArtifactRef,
  life: string,
  version: VersionMetadata,
  deps: KindDeps<SsmClients>,
): Promise<SourceArtifact> {
  return {
    ref: { account: ref.account, region: ref.region, sourceId: `${ref.sourceId}:${version.Version}` },
    life,
    resourceId: ref.sourceId,
    createdAt: version.LastModifiedDate.toISOString(),
    ...(await encryptionOf(ref, version, deps)),
    tags: recordedTags(version),
  };
}

/** Versions gone from the source before the vault copied them: recorded, never copied (their type and key are unknown). */
function missedVersions(ref: ArtifactRef, missed: MissedVersions): SourceArtifact {
  const versions = `${missed.from}-${missed.to ?? ''}`;
  return {
    ref: { account: ref.account, region: ref.region, sourceId: `${ref.sourceId}:${versions}` },
    life: missed.life,
    missed: missed.why,
    resourceId: ref.sourceId,
    createdAt: missed.before,
    encryption: 'none',
    tags: { [SSM_TAG.version]: versions },
  };
}

/**
 * Writes the value back under the parameter's own name, type and description. One that exists is
 * never overwritten: with the same type and value it is this restore's own earlier write (a re-run);
 * anything else is someone's newer data, and the restore of this point fails instead.
 */
async function writeBack(ssm: SSMClient, point: RecoveryPoint, value: string): Promise<{ version: number; how: string }> {
  const type = (point.tags[SSM_TAG.type] ?? 'String') as ParameterType;
  try {
    const { Version } = await ssm.send(
      new PutParameterCommand({
        Name: point.resourceId,
        Value: value,
        Type: type,
        Description: point.tags[SSM_TAG.description],
        Tier: (point.tags[SSM_TAG.tier] ?? 'Standard') as ParameterTier,
        Overwrite: false,
      }),
    );
    return { version: Version!, how: 'written' };
  } catch (error) {
    if (isAwsError(error, 'ParameterAlreadyExists')) {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: point.resourceId, WithDecryption: true }));
      if (Parameter?.Type === type && Parameter.Value === value)
        return { version: Parameter.Version!, how: 'already there (an earlier restore)' };
      throw new PermanentFailure(
        `${point.resourceId} already exists in the recovery account with another ${Parameter?.Type === type ? 'value' : 'type'}; it was not overwritten`,
      );
    }
    if (isDeterministicAwsError(error) || isAwsError(error, ...REFUSED_WRITES))
      throw new PermanentFailure(`cannot write ${point.resourceId} in the recovery account: ${describeError(error)}`, { cause: error });
    throw error;
  }
}

/**
 * The announced parameter's history, as the source's reader role sees it. A plain name resolves in
 * the reader role's own account: only the sender's own parameter is found. The reader may read only
 * what the account file opts in: a refusal is final, with what to change.
 * @throws Rejection not-opted-in when the reader role may not read it
 */
async function optedInHistory(ref: ArtifactRef, deps: KindDeps<SsmClients>): Promise<VersionMetadata[] | undefined> {
  try {
    return await parameterHistory(inSource(deps, ref.account, ref.region).ssm, ref.sourceId);
  } catch (error) {
    if (!isAwsError(error, 'AccessDeniedException')) throw error;
    throw new Rejection(
      'not-opted-in',
      `the vault may not read parameter ${ref.sourceId} in ${ref.account}/${ref.region} (${describeError(error)}): to protect it, list a path prefix of it under ssmParameters.paths in that account's file (or set ssmParameters.tagged and tag it backup-hub:protect=true), then redeploy that source`,
    );
  }
}

/** A parameter ARN in the event must name the sender's own account; the hub then uses the plain name. */
function ownName(name: string, event: EventEnvelope): string {
  if (!name.startsWith('arn:')) return name;
  const arn = parseArn(name);
  const path = arn?.resource.match(/^parameter(\/.*)$/)?.[1];
  if (!arn || !path) throw new Rejection('malformed-event', `Parameter Store Change names no parameter (got ${JSON.stringify(name)})`);
  if (arn.account !== event.account)
    throw new Rejection('forged-ownership', `parameter ${name} belongs to ${arn.account}, not to ${event.account} that announced it`);
  if (arn.region !== event.region)
    throw new Rejection('region-mismatch', `event from region ${event.region} names parameter ${name} in ${arn.region}`);
  // ARNs drop the leading slash of hierarchical names; a one-level name has none to restore.
  return path.lastIndexOf('/') > 0 ? path : path.slice(1);
}

/** A name Parameter Store could not hold is no parameter: refused before any call, never retried. */
function checkName(name: string, event: EventEnvelope): void {
  const arnLength = `arn:aws:ssm:${event.region}:${event.account}:parameter/${name.replace(/^\//, '')}`.length;
  const problem = !PARAMETER_NAME.test(name)
    ? 'is not a valid parameter name'
    : arnLength > MAX_NAME_WITH_ARN_PREFIX
      ? `is longer than Parameter Store allows (${arnLength} characters with the ARN prefix, at most ${MAX_NAME_WITH_ARN_PREFIX})`
      : name.split('/').filter(Boolean).length > MAX_LEVELS
        ? `is deeper than ${MAX_LEVELS} levels`
        : undefined;
  if (problem)
    throw new Rejection('malformed-event', `Parameter Store Change names ${JSON.stringify(name.slice(0, 80))}, which ${problem}`);
}

async function encryptionOf(
  ref: ArtifactRef,
  version: VersionMetadata,
  deps: KindDeps<SsmClients>,
): Promise<{ encryption: SourceEncryption; keyArn?: string }> {
  if (version.Type !== 'SecureString' || !version.KeyId) return { encryption: 'none' };
  const key = await deps.keys.describe(ref.account, ref.region, version.KeyId);
  await deps.keys.requireListed(ref.account, ref.region, `parameter ${ref.sourceId}`, key);
  return { encryption: key.awsManaged ? 'aws-managed' : 'customer', keyArn: key.arn };
}

function recordedTags(version: VersionMetadata): Record<string, string> {
  const tags: Record<string, string> = {
    [SSM_TAG.type]: version.Type ?? 'String',
    [SSM_TAG.tier]: version.Tier ?? 'Standard',
    [SSM_TAG.dataType]: version.DataType ?? 'text',
    [SSM_TAG.version]: String(version.Version),
  };
  if (version.Description) tags[SSM_TAG.description] = version.Description;
  if (version.Labels?.length) tags[SSM_TAG.labels] = version.Labels.join(',');
  return tags;
}

/**
 * Reads the version with decryption through the reader role. `<name>:<version>` selects a version of
 * the parameter's current life: one written at another time belongs to another life, and the one
 * this point records is gone with the deletion.
 */
async function readValue(point: RecoveryPoint, deps: KindDeps<SsmClients>): Promise<string> {
  const gone = (why: string, cause?: unknown) =>
    new PermanentFailure(`missed: ${point.sourceId} (life ${point.life}) ${why} before the vault copied it`, {
      cause,
      code: 'Missed',
      aboutArtifact: true,
    });
  try {
    const { Parameter } = await inSource(deps, point.account, point.region).ssm.send(
      new GetParameterCommand({ Name: point.sourceId, WithDecryption: true }),
    );
    if (Parameter?.LastModifiedDate?.toISOString() !== point.createdAt)
      throw gone(
        `was deleted with its parameter, which was created again (this version ${point.sourceId} was written at ${Parameter?.LastModifiedDate?.toISOString()})`,
      );
    return Parameter.Value!;
  } catch (error) {
    if (error instanceof PermanentFailure) throw error;
    if (isAwsError(error, 'ParameterNotFound', 'ParameterVersionNotFound'))
      throw gone('left the source (deleted, or pushed out of its 100-version history)', error);
    if (isDeterministicAwsError(error) || isAwsError(error, 'ValidationException', 'ParameterPatternMismatchException'))
      throw new PermanentFailure(`cannot read ${point.sourceId} with decryption: ${describeError(error)}`, { cause: error });
    throw error;
  }
}
