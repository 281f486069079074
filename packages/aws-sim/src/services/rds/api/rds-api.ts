import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import { list } from '../../../protocol/query.js';
import type { DatabaseSettings, SimDatabase, SimDbSubnetGroup } from '../database.js';
import type { RdsSim } from '../rds.js';
import {
  checkIdentifier,
  DB_CLUSTER_SNAPSHOT,
  DB_SNAPSHOT,
  parseSnapshotArn,
  type RdsFamily,
  type RdsSnapshotStore,
  type SimRdsSnapshot,
  snapshotArn,
} from '../snapshot.js';
import { rdsAuthorization } from './authorization.js';

type Input = Record<string, unknown>;

/**
 * "By default, you can make up to 300 requests in a burst and a sustained 12 requests per second",
 * one bucket for every RDS API operation of an account in a Region, failing with ThrottlingException
 * "Rate exceeded" (RDS User Guide, "Request throttling for the Amazon RDS API").
 */
const RDS_REQUESTS = {
  name: 'all',
  capacity: 300,
  refillPerSecond: 12,
  error: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
} as const;

/** The RDS API (AWS query protocol) over the simulated RDS. */
export function rdsApi(rds: RdsSim): SimService {
  return {
    name: 'rds',
    protocol: 'query',
    xmlns: 'http://rds.amazonaws.com/doc/2014-10-31/',
    call(action, input, ctx) {
      const run = rdsActions[action];
      if (!run) throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2014-10-31`);
      return run(rds, input, ctx);
    },
    authorization: (action, input, ctx) => rdsAuthorization(rds, action, input, ctx),
    throttle: () => RDS_REQUESTS,
  };
}
type Action = (rds: RdsSim, input: Input, ctx: CallContext) => unknown;

/** "You can share a manual DB snapshot with up to 20 other AWS accounts" (RDS User Guide, "Sharing a DB snapshot"). */
const SHARE_ACCOUNTS_MAX = 20;
/** The Describe calls' MaxRecords: 20 to 100, default 100. */
const PAGE_MIN = 20;
const PAGE_MAX = 100;

/** The snapshot actions of the RDS API for both families, by the names AWS gives them. */
const rdsActions: Record<string, Action> = {
  ...familyActions(DB_SNAPSHOT),
  ...familyActions(DB_CLUSTER_SNAPSHOT),
  DescribeDBInstances: (rds, input, ctx) => describeDatabases(rds, DB_SNAPSHOT, input, ctx),
  DescribeDBClusters: (rds, input, ctx) => describeDatabases(rds, DB_CLUSTER_SNAPSHOT, input, ctx),
  RestoreDBInstanceFromDBSnapshot(rds, input, ctx) {
    const database = rds.restoreFromSnapshot(DB_SNAPSHOT, ctx.account, ctx.region, {
      id: string(input, 'DBInstanceIdentifier'),
      snapshot: string(input, 'DBSnapshotIdentifier'),
      settings: requestedSettings(input, DB_SNAPSHOT),
      tags: readTags(input),
    });
    return { DBInstance: databaseItem(rds, DB_SNAPSHOT, database) };
  },
  RestoreDBClusterFromSnapshot(rds, input, ctx) {
    const settings = requestedSettings(input, DB_CLUSTER_SNAPSHOT);
    string(input, 'Engine');
    const database = rds.restoreFromSnapshot(DB_CLUSTER_SNAPSHOT, ctx.account, ctx.region, {
      id: string(input, 'DBClusterIdentifier'),
      snapshot: string(input, 'SnapshotIdentifier'),
      settings,
      tags: readTags(input),
      kmsKeyId: optionalString(input, 'KmsKeyId'),
    });
    return { DBCluster: databaseItem(rds, DB_CLUSTER_SNAPSHOT, database) };
  },
  CreateDBInstance(rds, input, ctx) {
    const clusterId = optionalString(input, 'DBClusterIdentifier');
    // A DB instance outside a cluster needs storage, credentials and more: the simulation creates only an Aurora cluster's instances.
    if (clusterId === undefined)
      throw new AwsError(
        'InvalidParameterCombination',
        'The simulation creates DB instances of an Aurora cluster only: give DBClusterIdentifier.',
      );
    const instance = rds.createClusterInstance(ctx.account, ctx.region, {
      id: string(input, 'DBInstanceIdentifier'),
      clusterId,
      instanceClass: string(input, 'DBInstanceClass'),
      engine: string(input, 'Engine'),
      tags: readTags(input),
    });
    return { DBInstance: databaseItem(rds, DB_SNAPSHOT, instance) };
  },
  /** The DB instance class only: the other modifications are not simulated. */
  ModifyDBInstance(rds, input, ctx) {
    const instance = rds.modifyDBInstanceClass(ctx.account, ctx.region, {
      id: string(input, 'DBInstanceIdentifier'),
      instanceClass: string(input, 'DBInstanceClass'),
      applyImmediately: flag(input, 'ApplyImmediately'),
    });
    return { DBInstance: databaseItem(rds, DB_SNAPSHOT, instance) };
  },
  CreateDBSubnetGroup(rds, input, ctx) {
    const group = rds.createDBSubnetGroup(ctx.account, ctx.region, {
      name: string(input, 'DBSubnetGroupName'),
      description: string(input, 'DBSubnetGroupDescription'),
      subnetIds: strings(input, 'SubnetIds'),
    });
    return { DBSubnetGroup: subnetGroupItem(group) };
  },
  DescribeDBSubnetGroups: describeSubnetGroups,
  AddTagsToResource(rds, input, ctx) {
    const snapshot = taggedResource(rds, string(input, 'ResourceName'), ctx);
    for (const [key, value] of readTags(input)) snapshot.tags.set(key, value);
    return {};
  },
  ListTagsForResource(rds, input, ctx) {
    return { TagList: tagList(taggedResource(rds, string(input, 'ResourceName'), ctx).tags) };
  },
};

function familyActions(family: RdsFamily): Record<string, Action> {
  const { element } = family;
  return {
    [`Describe${element}s`]: (rds, input, ctx) => describe(rds, family, input, ctx),
    [`Describe${element}Attributes`]: (rds, input, ctx) =>
      attributesResult(family, rds.store(family).owned(ctx.account, ctx.region, string(input, family.idParam))),
    [`Modify${element}Attribute`]: (rds, input, ctx) => modifyAttribute(rds, family, input, ctx),
    [`Copy${element}`]: (rds, input, ctx) => {
      const copy = rds.startCopy(
        family,
        {
          source: string(input, `Source${element}Identifier`),
          target: string(input, `Target${element}Identifier`),
          kmsKeyId: optionalString(input, 'KmsKeyId'),
          optionGroupName: family.family === 'instance' ? optionalString(input, 'OptionGroupName') : undefined,
          tags: readTags(input),
          copyTags: flag(input, 'CopyTags'),
        },
        ctx.caller,
        ctx.region,
      );
      return { [element]: item(family, copy, rds.cloud.clock.nowMs()) };
    },
    [`Delete${element}`]: (rds, input, ctx) => {
      const store = rds.store(family);
      const snapshot = store.owned(ctx.account, ctx.region, string(input, family.idParam));
      if (snapshot.type === 'automated')
        throw new AwsError(
          family.errors.invalidState,
          `Automated snapshot ${snapshot.id} cannot be deleted; only manual snapshots can be deleted.`,
        );
      if (snapshot.status !== 'available')
        throw new AwsError(
          family.errors.invalidState,
          `Snapshot ${snapshot.id} is ${snapshot.status}; only available snapshots can be deleted.`,
        );
      store.delete(snapshot);
      return { [element]: item(family, snapshot, rds.cloud.clock.nowMs()) };
    },
  };
}

/**
 * Describe: one snapshot by identifier (or by ARN, for one shared with the caller), or a list
 * narrowed by resource and SnapshotType (`manual`, `automated`, `shared`, `public`). Without a
 * type, the caller's own snapshots, plus those shared with it when IncludeShared is set.
 */
function describe(rds: RdsSim, family: RdsFamily, input: Input, ctx: CallContext) {
  const store = rds.store(family);
  const named = optionalString(input, family.idParam);
  const resource = optionalString(input, family.resourceParam);
  const type = optionalString(input, 'SnapshotType');
  if (type !== undefined && !['manual', 'automated', 'shared', 'public', 'awsbackup'].includes(type)) throw invalid('SnapshotType', type);
  const candidates = named !== undefined ? [namedSnapshot(store, named, type, ctx)] : store.all().filter((s) => s.region === ctx.region);
  const ids = filterValues(input, family.idFilter);
  const selected = candidates.filter(
    (s) =>
      (resource ?? s.sourceResource) === s.sourceResource &&
      (ids === undefined || ids.has(s.id.toLowerCase())) &&
      matchesType(s, type, flag(input, 'IncludeShared'), flag(input, 'IncludePublic'), ctx.account, named !== undefined),
  );
  const now = rds.cloud.clock.nowMs();
  const { page, marker } = paginate(selected, input);
  return { [`${family.element}s`]: { [family.element]: page.map((s) => item(family, s, now)) }, Marker: marker };
}

/**
 * DescribeDBInstances / DescribeDBClusters: the caller's own databases of that family, one by
 * identifier (an unknown one is the family's not-found fault), paged with MaxRecords and Marker.
 */
function describeDatabases(rds: RdsSim, family: RdsFamily, input: Input, ctx: CallContext) {
  const param = family.resourceParam;
  const named = optionalString(input, param);
  const own = rds.databases.list(family.family, ctx.account, ctx.region);
  const selected = named === undefined ? own : own.filter((d) => d.id.toLowerCase() === named.toLowerCase());
  if (named !== undefined && selected.length === 0)
    throw new AwsError(family.errors.databaseNotFound, `${family.databaseLabel} ${named} not found.`, 404);
  const { page, marker } = paginate(selected, input);
  return { [`${family.databaseElement}s`]: { [family.databaseElement]: page.map((d) => databaseItem(rds, family, d)) }, Marker: marker };
}

function databaseItem(rds: RdsSim, family: RdsFamily, d: SimDatabase): Record<string, unknown> {
  const arn = `arn:aws:rds:${d.region}:${d.account}:${family.databaseArnType}:${d.id}`;
  const s = d.settings;
  const status = rds.status(d);
  const groups = { VpcSecurityGroupMembership: s.securityGroupIds.map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' })) };
  const common = {
    Engine: s.engine,
    EngineVersion: s.engineVersion,
    StorageEncrypted: d.kmsKeyId !== undefined,
    KmsKeyId: d.kmsKeyId,
    MultiAZ: s.multiAZ,
    PreferredBackupWindow: s.backupWindow,
    VpcSecurityGroups: groups,
    TagList: tagList(d.tags),
  };
  const subnetGroup = rds.databases.subnetGroup(d.account, d.region, s.subnetGroup);
  return family.family === 'instance'
    ? {
        DBInstanceIdentifier: d.id,
        DBInstanceArn: arn,
        DBInstanceClass: s.instanceClass,
        DBInstanceStatus: status,
        InstanceCreateTime: d.createdAt,
        AllocatedStorage: s.allocatedStorageGiB,
        StorageType: s.storageType,
        AvailabilityZone: s.availabilityZone,
        DBClusterIdentifier: d.clusterId,
        PendingModifiedValues: d.pendingInstanceClass ? { DBInstanceClass: d.pendingInstanceClass } : undefined,
        DBParameterGroups: { DBParameterGroup: [{ DBParameterGroupName: s.parameterGroup, ParameterApplyStatus: 'in-sync' }] },
        OptionGroupMemberships: s.optionGroup
          ? { OptionGroupMembership: [{ OptionGroupName: s.optionGroup, Status: 'in-sync' }] }
          : undefined,
        DBSubnetGroup: { DBSubnetGroupName: s.subnetGroup, VpcId: subnetGroup?.vpcId, SubnetGroupStatus: 'Complete' },
        ...common,
      }
    : {
        DBClusterIdentifier: d.id,
        DBClusterArn: arn,
        Status: status,
        ClusterCreateTime: d.createdAt,
        DBClusterParameterGroup: s.parameterGroup,
        DBSubnetGroup: s.subnetGroup,
        DBClusterMembers: { DBClusterMember: d.members.map((id, index) => ({ DBInstanceIdentifier: id, IsClusterWriter: index === 0 })) },
        ...common,
      };
}

/** The settings a restore or a create asks for; the engine's defaults fill in the rest. */
function requestedSettings(input: Input, family: RdsFamily): Partial<DatabaseSettings> {
  const instance = family.family === 'instance';
  const storage = optionalString(input, 'AllocatedStorage');
  const multiAZ = optionalString(input, 'MultiAZ');
  const settings: Partial<DatabaseSettings> = {
    engine: optionalString(input, 'Engine'),
    engineVersion: optionalString(input, 'EngineVersion'),
    instanceClass: optionalString(input, 'DBInstanceClass'),
    parameterGroup: optionalString(input, instance ? 'DBParameterGroupName' : 'DBClusterParameterGroupName'),
    optionGroup: optionalString(input, 'OptionGroupName'),
    subnetGroup: optionalString(input, 'DBSubnetGroupName'),
    securityGroupIds: input.VpcSecurityGroupIds === undefined ? undefined : strings(input, 'VpcSecurityGroupIds'),
    allocatedStorageGiB: storage === undefined ? undefined : Number(storage),
    storageType: optionalString(input, 'StorageType'),
    multiAZ: multiAZ === undefined ? undefined : multiAZ === 'true',
    backupWindow: optionalString(input, 'PreferredBackupWindow'),
    availabilityZone: optionalString(input, 'AvailabilityZone'),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
}

function describeSubnetGroups(rds: RdsSim, input: Input, ctx: CallContext) {
  const named = optionalString(input, 'DBSubnetGroupName');
  const own = [...rds.databases.subnetGroups.values()].filter(
    (g) => g.account === ctx.account && g.region === ctx.region && (named === undefined || g.name.toLowerCase() === named.toLowerCase()),
  );
  if (named !== undefined && own.length === 0)
    throw new AwsError('DBSubnetGroupNotFoundFault', `DB subnet group ${named} does not exist.`, 404);
  const { page, marker } = paginate(own, input);
  return { DBSubnetGroups: { DBSubnetGroup: page.map(subnetGroupItem) }, Marker: marker };
}

function subnetGroupItem(group: SimDbSubnetGroup): Record<string, unknown> {
  return {
    DBSubnetGroupName: group.name,
    DBSubnetGroupDescription: group.description,
    VpcId: group.vpcId,
    SubnetGroupStatus: 'Complete',
    Subnets: { Subnet: group.subnetIds.map((SubnetIdentifier) => ({ SubnetIdentifier, SubnetStatus: 'Active' })) },
  };
}

/** One page as `MaxRecords` (20 to 100, default 100) and `Marker` ask. */
function paginate<T>(items: T[], input: Input): { page: T[]; marker?: string } {
  const size = integer(input, 'MaxRecords', PAGE_MIN, PAGE_MAX) ?? PAGE_MAX;
  const start = Number(optionalString(input, 'Marker') ?? '0');
  if (!Number.isInteger(start) || start < 0) throw invalid('Marker', String(start));
  return { page: items.slice(start, start + size), marker: start + size < items.length ? String(start + size) : undefined };
}

/** The values of `Filters.Filter.N` named `name` (lower-cased, as RDS compares identifiers), or undefined when it is not given. */
function filterValues(input: Input, name: string): Set<string> | undefined {
  const filters = list<{ Name?: string; Values?: unknown }>(input.Filters);
  for (const f of filters) if (f.Name !== name && f.Name !== undefined && !KNOWN_FILTERS.has(f.Name)) throw invalid('Filters', f.Name);
  const filter = filters.find((f) => f.Name === name);
  return filter && new Set(list<string>(filter.Values).map((v) => v.toLowerCase()));
}

/** The snapshot filters the simulation reads. */
const KNOWN_FILTERS = new Set<string>([DB_SNAPSHOT.idFilter, DB_CLUSTER_SNAPSHOT.idFilter]);

/**
 * The snapshot a Describe names. "If this identifier is for an automated snapshot, the SnapshotType
 * parameter must also be specified" (DescribeDBSnapshots / DescribeDBClusterSnapshots): without it,
 * RDS does not find the automated snapshot.
 * @throws AwsError the family's "not found" fault
 */
function namedSnapshot(store: RdsSnapshotStore, named: string, type: string | undefined, ctx: CallContext): SimRdsSnapshot {
  const snapshot = store.visible(ctx.account, ctx.region, named);
  if (snapshot.type === 'automated' && type !== 'automated')
    throw new AwsError(
      store.family.errors.notFound,
      `${store.family.label} not found: ${named} (an automated snapshot: give SnapshotType automated)`,
      404,
    );
  return snapshot;
}

function matchesType(
  s: SimRdsSnapshot,
  type: string | undefined,
  includeShared: boolean,
  includePublic: boolean,
  caller: string,
  named: boolean,
): boolean {
  const own = s.owner === caller;
  const shared = !own && s.sharedWith.has(caller);
  const isPublic = !own && s.sharedWith.has('all');
  if (type === 'shared') return shared;
  if (type === 'public') return isPublic;
  if (type !== undefined) return own && s.type === type;
  return own || named || (includeShared && shared) || (includePublic && isPublic);
}

/**
 * Shares or unshares with the `restore` attribute. Automated snapshots are refused by their `rds:`
 * identifier; encrypted snapshots cannot be public; snapshots under the default `aws/rds` key cannot
 * be shared at all (RDS User Guide, "Sharing a DB snapshot": "You can't share a snapshot that has
 * been encrypted using the default AWS KMS key"; the error code is not documented, so the
 * simulation answers InvalidParameterValue).
 */
function modifyAttribute(rds: RdsSim, family: RdsFamily, input: Input, ctx: CallContext) {
  const id = string(input, family.idParam);
  checkIdentifier(family, family.idParam, id);
  const snapshot = rds.store(family).owned(ctx.account, ctx.region, id);
  const name = string(input, 'AttributeName');
  if (name !== 'restore') throw invalid('AttributeName', name);
  const add = strings(input, 'ValuesToAdd');
  const remove = strings(input, 'ValuesToRemove');
  for (const value of [...add, ...remove]) if (value !== 'all' && !/^\d{12}$/.test(value)) throw invalid('ValuesToAdd', value);
  if (add.length > 0) refuseUnshareable(rds, family, snapshot, add);
  const after = new Set([...snapshot.sharedWith, ...add].filter((v) => !remove.includes(v)));
  if ([...after].filter((v) => v !== 'all').length > SHARE_ACCOUNTS_MAX)
    throw new AwsError(
      'SharedSnapshotQuotaExceeded',
      `You have exceeded the maximum number of accounts (${SHARE_ACCOUNTS_MAX}) you can share a snapshot with.`,
    );
  snapshot.sharedWith.clear();
  for (const value of after) snapshot.sharedWith.add(value);
  return attributesResult(family, snapshot);
}

function refuseUnshareable(rds: RdsSim, family: RdsFamily, snapshot: SimRdsSnapshot, added: string[]): void {
  // "You can't share a DB snapshot that uses an option group with permanent or persistent options" (RDS User Guide, "Sharing a DB snapshot").
  if (snapshot.optionGroup?.persistentOptions)
    throw new AwsError(
      'InvalidParameterCombination',
      `${family.label} ${snapshot.id} uses option group ${snapshot.optionGroup.name}, which holds permanent or persistent options: it cannot be shared.`,
    );
  if (!snapshot.encrypted) return;
  if (added.includes('all'))
    throw new AwsError(
      'InvalidParameterValue',
      `Encrypted ${family.label} ${snapshot.id} can be shared with specific accounts only, not made public.`,
    );
  if (rds.kms.key(snapshot.kmsKeyId ?? '')?.keyManager === 'AWS') {
    throw new AwsError(
      'InvalidParameterValue',
      `${family.label} ${snapshot.id} is encrypted with the default KMS key (aws/rds); snapshots encrypted with the default key cannot be shared.`,
    );
  }
}

function attributesResult(family: RdsFamily, snapshot: SimRdsSnapshot) {
  return {
    [family.attributesResult]: {
      [family.idParam]: snapshot.id,
      [`${family.element}Attributes`]: {
        [`${family.element}Attribute`]: [{ AttributeName: 'restore', AttributeValues: { AttributeValue: [...snapshot.sharedWith] } }],
      },
    },
  };
}

/** A DBSnapshot / DBClusterSnapshot element. */
function item(family: RdsFamily, s: SimRdsSnapshot, nowMs: number): Record<string, unknown> {
  const total = s.availableAt - s.createdAt.getTime();
  const progress = s.status === 'available' || total <= 0 ? 100 : Math.min(99, Math.floor(((nowMs - s.createdAt.getTime()) / total) * 100));
  return {
    [family.idParam]: s.id,
    [family.resourceParam]: s.sourceResource,
    SnapshotCreateTime: s.createdAt,
    Engine: family.engine,
    Status: s.status,
    SnapshotType: s.type,
    [family.encryptedField]: s.encrypted,
    KmsKeyId: s.kmsKeyId,
    [family.arnField]: snapshotArn(family, s),
    [family.copiedFromField]: s.copiedFrom,
    ...(family.family === 'instance' ? { OptionGroupName: s.optionGroup?.name ?? `default:${family.engine}` } : {}),
    PercentProgress: progress,
    TagList: tagList(s.tags),
  };
}

/** The snapshot an ARN names, in the caller's own account: only the owner may tag it or list its tags. */
function taggedResource(rds: RdsSim, arn: string, ctx: CallContext): SimRdsSnapshot {
  for (const family of [DB_SNAPSHOT, DB_CLUSTER_SNAPSHOT]) {
    const named = parseSnapshotArn(family, arn);
    if (named) {
      if (named.owner !== ctx.account) throw new AwsError(family.errors.notFound, `${family.label} not found: ${arn}`, 404);
      return rds.store(family).owned(ctx.account, ctx.region, named.id);
    }
  }
  throw invalid('ResourceName', arn);
}

function tagList(tags: Map<string, string>) {
  return { Tag: [...tags].map(([Key, Value]) => ({ Key, Value })) };
}

/** `Tags.Tag.N.Key` / `.Value`. */
function readTags(input: Input): Map<string, string> {
  return new Map(
    list<{ Key?: string; Value?: string }>(input.Tags).map((tag) => {
      if (typeof tag?.Key !== 'string' || tag.Key === '') throw invalid('Tags', JSON.stringify(tag));
      if (tag.Key.toLowerCase().startsWith('aws:')) throw invalid('Tags', tag.Key);
      return [tag.Key, tag.Value ?? ''] as const;
    }),
  );
}

function string(input: Input, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value === '') throw new AwsError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

function optionalString(input: Input, name: string): string | undefined {
  return input[name] === undefined ? undefined : string(input, name);
}

/** A list of strings (`ValuesToAdd.AttributeValue.N`). */
function strings(input: Input, name: string): string[] {
  return list<unknown>(input[name]).map((v) => {
    if (typeof v !== 'string') throw invalid(name, JSON.stringify(v));
    return v;
  });
}

function flag(input: Input, name: string): boolean {
  const value = input[name];
  if (value === undefined) return false;
  if (value !== 'true' && value !== 'false') throw invalid(name, String(value));
  return value === 'true';
}

function integer(input: Input, name: string, min: number, max: number): number | undefined {
  const text = optionalString(input, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(name, text);
  return value;
}

function invalid(name: string, value: string): AwsError {
  return new AwsError('InvalidParameterValue', `Invalid value ${value} for parameter ${name}.`);
}
