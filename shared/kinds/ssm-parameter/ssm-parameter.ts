import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  type ParameterStringFilter,
  type ParameterTier,
  type ParameterType,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { describeError, ignoreNotFound, isAwsError, isDeterministicAwsError } from '../../aws/aws-errors.js';
import { ssmClient } from '../../aws/clients.js';
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
  type RestoreTarget,
  type ShareProgress,
  type SourceArtifact,
  type SourceRegion,
  type SweptSource,
  type Triggers,
  type VaultCopy,
} from '../common/artifact-kind.js';
import { inventoryPage } from '../common/inventory.js';
import { TAG } from '../common/provenance-tags.js';
import { pattern } from './manifest.js';
import { announcedVersion, parameterHistory, type VersionMetadata } from './ssm-history.js';
import { findVaultVersion, vaultParameterName, writeVaultVersion } from './ssm-vault-copy.js';

/** What a recovery point records about a parameter version, in its tags: everything but the value. */
export const SSM_TAG = {
  type: 'ssm:type',
  tier: 'ssm:tier',
  dataType: 'ssm:data-type',
  description: 'ssm:description',
  version: 'ssm:version',
  labels: 'ssm:labels',
} as const;

const COPIED_OPERATIONS = new Set(['Create', 'Update', 'LabelParameterVersion']);
/**
 * The vault refuses the copy for good: the name is too long or too deep under the vault prefix
 * (2048 characters, 15 levels), or the vault account is out of parameters. Retrying cannot help.
 */
const REFUSED_WRITES = [
  'ValidationException',
  'HierarchyLevelLimitExceededException',
  'ParameterLimitExceeded',
  'ParameterMaxVersionLimitExceeded',
];

/** The documented detail: `operation`, `name`, `type`, and `description` when the parameter has one. Never the value. */
const detailSchema = z.object({
  operation: z.string(),
  name: z.string().check(z.minLength(1)),
  type: z.optional(z.string()),
  description: z.optional(z.string()),
});

/**
 * SSM parameters announced by `Parameter Store Change`. Every version is a recovery point
 * (`<name>:<version>`), copied as a new version of a SecureString under the vault CMK at
 * `/backup-hub/<account>/<region>/<name>`. Nothing is shared: the vault reads the value through
 * the reader role and writes it itself. The value lives only in the copy call's variables.
 */
export const ssmParameter: ArtifactKind<'ssm-parameter', SSMClient> = {
  name: 'ssm-parameter',
  sdk: ssmClient,
  detailTypes: pattern['detail-type'],
  copiesSynchronously: true,

  triggers(event: EventEnvelope): Triggers {
    const parsed = detailSchema.safeParse(event.detail);
    if (!parsed.success)
      throw new Rejection('malformed-event', `Parameter Store Change detail is malformed: ${describeIssues(parsed.error)}`);
    const { operation, name } = parsed.data;
    if (operation === 'Delete') return { skip: `parameter ${name} deleted in the source; vault copies kept`, deleted: name };
    if (!COPIED_OPERATIONS.has(operation)) return { skip: `${operation} is not a backup trigger` };
    return {
      refs: [{ account: event.account, region: event.region, sourceId: ownName(name, event), announced: { at: event.time, operation } }],
    };
  },

  async verify(ref: ArtifactRef, deps: KindDeps<SSMClient>): Promise<SourceArtifact> {
    const history = await optedInHistory(ref, deps);
    const version = history && announcedVersion(history, ref.announced);
    if (!version)
      throw new Rejection(
        'not-found',
        `parameter ${ref.sourceId} does not exist in ${ref.account}/${ref.region} as seen by that account's reader role (deleted since, or a forged event)`,
      );
    const encryption = await encryptionOf(ref, version, deps);
    return {
      ref: { account: ref.account, region: ref.region, sourceId: `${ref.sourceId}:${version.Version}` },
      resourceId: ref.sourceId,
      createdAt: (version.LastModifiedDate ?? deps.now()).toISOString(),
      ...encryption,
      tags: recordedTags(version),
    };
  },

  async prepareShare(point: RecoveryPoint): Promise<ShareProgress> {
    return { status: 'ready', sharedId: point.sourceId };
  },

  async findCopy(point: RecoveryPoint, deps: KindDeps<SSMClient>): Promise<VaultCopy | undefined> {
    const name = vaultParameterName(point);
    const written = await findVaultVersion(inVault(deps), name, sourceVersion(point));
    return written === undefined ? undefined : { vaultCopyId: `${name}:${written}`, vaultKeyArn: deps.vault.keyArn };
  },

  async copy(point: RecoveryPoint, _sharedId: string, deps: KindDeps<SSMClient>): Promise<VaultCopy> {
    const name = vaultParameterName(point);
    const written = await copyVersion(point, name, sourceVersion(point), deps);
    return { vaultCopyId: `${name}:${written}`, vaultKeyArn: deps.vault.keyArn };
  },

  async copyStatus(): Promise<CopyStatus> {
    // PutParameter is synchronous: the version exists once the call returns.
    return { status: 'available' };
  },

  async cleanup(): Promise<string[]> {
    // Nothing was shared or copied in the source.
    return [];
  },

  async deleteVaultCopy(point: RecoveryPoint, deps: KindDeps<SSMClient>, scope) {
    const { name, version } = vaultVersion(point);
    // Parameter Store has no call that deletes one version: the history goes with the whole parameter.
    if (await scope.othersRemain()) {
      return {
        deleted: [],
        note: `version ${version} of ${name} stays in that parameter's history until the parameter is deleted with its last recovery point (Parameter Store cannot delete one version)`,
      };
    }
    await ignoreNotFound(() => inVault(deps).send(new DeleteParameterCommand({ Name: name })), 'ParameterNotFound');
    return { deleted: [name] };
  },

  // One listing is both: each parameter is a resource, and its newest version (Version and
  // LastModifiedDate) says whether the vault has it, with no GetParameterHistory per parameter.
  // Only what the account file opts in: DescribeParameters cannot be narrowed by IAM, so the sweep
  // asks for the listed path prefixes and the tagged parameters only (ParameterFilters).
  async inventory(source: SweptSource, token: string | undefined, deps: KindDeps<SSMClient>) {
    const { paths, tagged } = source.parameters;
    if (paths.length === 0 && !tagged) return { artifacts: [], resources: [] };
    const ssm = inSource(deps, source.account, source.region);
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

  async missingCopies(points: RecoveryPoint[], deps: KindDeps<SSMClient>) {
    const vault = inVault(deps);
    const byName = new Map<string, RecoveryPoint[]>();
    for (const point of points) byName.set(vaultVersion(point).name, [...(byName.get(vaultVersion(point).name) ?? []), point]);
    const missing = new Map<string, string>();
    for (const [name, ofName] of byName) {
      const versions = new Set((await parameterHistory(vault, name))?.map((v) => v.Version));
      for (const point of ofName) {
        const { version } = vaultVersion(point);
        if (!versions.has(version))
          missing.set(point.pk, `vault copy ${point.vaultCopyId} no longer exists (version ${version} of ${name} is gone)`);
      }
    }
    return missing;
  },

  restoreActions(point: RecoveryPoint, target: RestoreTarget) {
    const { name, version } = vaultVersion(point);
    return [
      { call: 'ssm:GetParameter', what: `read version ${version} of ${name} in the vault, with decryption` },
      { call: 'sts:AssumeRole', what: `assume backup-hub-recovery in ${target.account}` },
      {
        call: 'ssm:PutParameter',
        what: `write ${point.resourceId} there as a ${point.tags[SSM_TAG.type] ?? 'String'} (not overwriting one that exists)`,
      },
    ];
  },

  async restore(point: RecoveryPoint, target: RestoreTarget, deps: KindDeps<SSMClient>) {
    const value = await vaultValue(inVault(deps), point.vaultCopyId!);
    const written = await writeBack(deps.client(deps.vault.region, target.writer), point, value);
    return {
      status: 'usable' as const,
      restoredId: `${point.resourceId}:${written.version}`,
      detail: `a ${point.tags[SSM_TAG.type] ?? 'String'} ${written.how} in ${target.account}, as its version ${written.version}`,
    };
  },
};

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
  };
}

/** `<vault parameter name>:<vault version>`, as the copy recorded it. */
function vaultVersion(point: RecoveryPoint): { name: string; version: number } {
  const at = point.vaultCopyId!.lastIndexOf(':');
  return { name: point.vaultCopyId!.slice(0, at), version: Number(point.vaultCopyId!.slice(at + 1)) };
}

async function vaultValue(vault: SSMClient, selector: string): Promise<string> {
  try {
    const { Parameter } = await vault.send(new GetParameterCommand({ Name: selector, WithDecryption: true }));
    return Parameter!.Value!;
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound', 'ParameterVersionNotFound'))
      throw new PermanentFailure(`the vault no longer holds ${selector}`, { cause: error });
    if (isDeterministicAwsError(error))
      throw new PermanentFailure(`cannot read ${selector} in the vault: ${describeError(error)}`, { cause: error });
    throw error;
  }
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
async function optedInHistory(ref: ArtifactRef, deps: KindDeps<SSMClient>): Promise<VersionMetadata[] | undefined> {
  try {
    return await parameterHistory(inSource(deps, ref.account, ref.region), ref.sourceId);
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

async function encryptionOf(
  ref: ArtifactRef,
  version: VersionMetadata,
  deps: KindDeps<SSMClient>,
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

/** `<name>:<version>`: names never contain a colon. */
function sourceVersion(point: RecoveryPoint): number {
  return Number(point.sourceId.slice(point.sourceId.lastIndexOf(':') + 1));
}

/** Reads the source version with decryption through the reader role and writes it into the vault. */
async function copyVersion(point: RecoveryPoint, name: string, version: number, deps: KindDeps<SSMClient>): Promise<number> {
  const value = await readValue(point, deps);
  const tier = (point.tags[SSM_TAG.tier] ?? 'Standard') as ParameterTier;
  try {
    return await writeVaultVersion(inVault(deps), name, {
      point,
      version,
      value,
      tier,
      keyArn: deps.vault.keyArn,
    });
  } catch (error) {
    if (isAwsError(error, ...REFUSED_WRITES))
      throw new PermanentFailure(`the vault refused ${name}: ${describeError(error)}`, { cause: error });
    throw error;
  }
}

async function readValue(point: RecoveryPoint, deps: KindDeps<SSMClient>): Promise<string> {
  try {
    const { Parameter } = await inSource(deps, point.account, point.region).send(
      new GetParameterCommand({ Name: point.sourceId, WithDecryption: true }),
    );
    return Parameter!.Value!;
  } catch (error) {
    if (isAwsError(error, 'ParameterNotFound', 'ParameterVersionNotFound')) {
      throw new PermanentFailure(
        `${point.sourceId} is gone from the source (deleted, or pushed out of its 100-version history) before it could be copied`,
        { cause: error },
      );
    }
    if (isDeterministicAwsError(error))
      throw new PermanentFailure(`cannot read ${point.sourceId} with decryption: ${describeError(error)}`, { cause: error });
    throw error;
  }
}
