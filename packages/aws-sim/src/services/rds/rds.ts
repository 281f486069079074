import { randomBytes } from 'node:crypto';
import type { CloudCore, ServiceEvent } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { Principal } from '../iam/iam.js';
import type { KmsSim } from '../kms/kms.js';
import { planRdsCopy, type RdsCopyRequest } from './copy.js';
import {
  type CreateDatabaseSpec,
  type DatabaseSettings,
  DatabaseStore,
  databaseStatus,
  type SimDatabase,
  type SimDbSubnetGroup,
} from './database.js';
import { snapshotCopiedEvent, snapshotCreatedEvent } from './events.js';
import {
  checkIdentifier,
  DB_CLUSTER_SNAPSHOT,
  DB_SNAPSHOT,
  type RdsFamily,
  type RdsOptionGroup,
  RdsSnapshotStore,
  type RdsSnapshotType,
  type SimRdsSnapshot,
  snapshotArn,
} from './snapshot.js';

export interface RdsSimOptions {
  /** Manual snapshots per account and region, per family; AWS's default is {@link RDS_MANUAL_SNAPSHOT_QUOTA}. */
  manualSnapshotQuota?: number;
  /** How long a new snapshot stays `creating`. */
  snapshotDurationMs?: number;
  /** How long a copy stays `copying`. */
  copyDurationMs?: number;
  /** DB snapshot copies in progress into an account's region; AWS's default is {@link RDS_CONCURRENT_COPY_QUOTA}. */
  copyQuota?: number;
  /** DB cluster snapshot copies in progress into an account's region; AWS's default is {@link AURORA_CONCURRENT_COPY_QUOTA}. */
  clusterCopyQuota?: number;
  /** How long a database restored from a snapshot, or a new DB instance, stays `creating`. */
  restoreDurationMs?: number;
  /** How long a DB instance whose class changed at once stays `modifying`. */
  modifyDurationMs?: number;
  /** A `cmk` database without a key uses the account's key by this alias (made on first use); without it, a new unnamed key per database. */
  customerKeyAlias?: string;
}

export type RdsEncryption = 'none' | 'aws-managed' | 'cmk';

/** A snapshot taken by the account itself (its backup window, or a person), outside the API. */
export interface CreateRdsSnapshotSpec {
  type: RdsSnapshotType;
  encryption?: RdsEncryption;
  /** The customer managed key for `cmk` (one made for the database when absent). */
  kmsKeyArn?: string;
  /** An explicit identifier; automated ones default to AWS's `rds:<resource>-<yyyy-mm-dd-hh-mm>`. */
  id?: string;
  /** Emit the "snapshot created" event when it becomes available (default true). */
  emit?: boolean;
  /** A DB instance's option group, when not the engine's default. */
  optionGroup?: RdsOptionGroup;
}

/** "Manual DB instance snapshots: 100" and "Manual DB cluster snapshots: 100" per Region (RDS User Guide, "Quotas in Amazon RDS"). */
export const RDS_MANUAL_SNAPSHOT_QUOTA = 100;

/** "You can have up to 20 snapshot copy requests in progress to a single destination Region per account" (RDS User Guide, "Copying a DB snapshot", Limitations). */
export const RDS_CONCURRENT_COPY_QUOTA = 20;

/** "You can have up to five snapshot copy requests in progress to a single destination Region per account" (Aurora User Guide, "DB cluster snapshot copying", Limitations). */
export const AURORA_CONCURRENT_COPY_QUOTA = 5;

/** AWS publishes no durations; these keep simulated runs realistic in shape. */
const DEFAULTS: Required<Omit<RdsSimOptions, 'customerKeyAlias'>> & Pick<RdsSimOptions, 'customerKeyAlias'> = {
  manualSnapshotQuota: RDS_MANUAL_SNAPSHOT_QUOTA,
  copyQuota: RDS_CONCURRENT_COPY_QUOTA,
  clusterCopyQuota: AURORA_CONCURRENT_COPY_QUOTA,
  snapshotDurationMs: 5 * 60_000,
  copyDurationMs: 15 * 60_000,
  restoreDurationMs: 15 * 60_000,
  modifyDurationMs: 10 * 60_000,
};

/**
 * Simulated RDS, DB snapshot and DB cluster snapshot part (its state). Control-plane
 * methods create snapshots as a source account's own activity would; the API (api/rds-api.ts) answers
 * the SDK. Snapshots become available on the simulated clock and then emit AWS's "snapshot created"
 * event on the owner's default bus. A finished DB snapshot copy announces itself with RDS's "finished
 * copy" event instead (RDS-EVENT-0197, or 0060 across Regions); a DB cluster snapshot copy with none.
 */
export class RdsSim {
  readonly cloud: CloudCore;
  readonly instanceSnapshots = new RdsSnapshotStore(DB_SNAPSHOT);
  readonly clusterSnapshots = new RdsSnapshotStore(DB_CLUSTER_SNAPSHOT);
  /** The DB instances and clusters: made explicitly, or by the first snapshot of one the simulation did not know. */
  readonly databases = new DatabaseStore();
  readonly options: typeof DEFAULTS;
  /** The customer managed key of each database (`cmk` encryption), made on first use. */
  readonly #resourceKeys = new Map<string, string>();

  constructor(
    readonly kms: KmsSim,
    options: RdsSimOptions = {},
    /** The VPC subnets of an account (EC2's), by id. */
    private readonly subnetOf: (
      account: string,
      region: string,
      id: string,
    ) => { vpcId: string; availabilityZone: string } | undefined = () => undefined,
  ) {
    this.cloud = kms.cloud;
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * Starts a snapshot of a DB instance (the account's own activity, not through the API).
   * @throws AwsError InvalidParameterValue, DBSnapshotAlreadyExists, SnapshotQuotaExceeded
   */
  createDBSnapshot(account: string, region: string, spec: CreateRdsSnapshotSpec & { db: string }): SimRdsSnapshot {
    return this.#create(this.instanceSnapshots, account, region, spec.db, spec);
  }

  /**
   * Starts a snapshot of an Aurora DB cluster (the account's own activity, not through the API).
   * @throws AwsError InvalidParameterValue, DBClusterSnapshotAlreadyExistsFault, SnapshotQuotaExceeded
   */
  createDBClusterSnapshot(account: string, region: string, spec: CreateRdsSnapshotSpec & { cluster: string }): SimRdsSnapshot {
    return this.#create(this.clusterSnapshots, account, region, spec.cluster, spec);
  }

  /** Creates a DB instance (the account's own activity); its snapshots are encrypted like it. */
  createDBInstance(account: string, region: string, spec: CreateDatabaseSpec & { encryption?: RdsEncryption }): SimDatabase {
    return this.#database(DB_SNAPSHOT, account, region, spec);
  }

  /** Creates an Aurora DB cluster (the account's own activity). */
  createDBCluster(
    account: string,
    region: string,
    spec: CreateDatabaseSpec & { encryption?: RdsEncryption; instances?: { id: string; instanceClass: string }[] },
  ): SimDatabase {
    const cluster = this.#database(DB_CLUSTER_SNAPSHOT, account, region, spec);
    for (const member of spec.instances ?? []) {
      const settings = { ...cluster.settings, instanceClass: member.instanceClass, storageType: 'aurora' };
      this.#database(DB_SNAPSHOT, account, region, {
        id: member.id,
        settings,
        kmsKeyId: cluster.kmsKeyId,
        encryption: cluster.kmsKeyId ? undefined : 'none',
        clusterId: cluster.id,
      });
      cluster.members.push(member.id);
    }
    return cluster;
  }

  store(family: RdsFamily): RdsSnapshotStore {
    return family.family === 'instance' ? this.instanceSnapshots : this.clusterSnapshots;
  }

  /** Every snapshot of a family, optionally narrowed to an owner. */
  snapshots(family: RdsFamily, account?: string): SimRdsSnapshot[] {
    return this.store(family)
      .all()
      .filter((s) => (account ?? s.owner) === s.owner);
  }

  /**
   * Starts a CopyDB(Cluster)Snapshot for `caller` into `region`.
   * @throws AwsError see {@link planRdsCopy}
   */
  startCopy(family: RdsFamily, request: RdsCopyRequest, caller: Principal, region: string): SimRdsSnapshot {
    checkIdentifier(family, `Target${family.element}Identifier`, request.target);
    const store = this.store(family);
    const plan = planRdsCopy(family, store, this.kms, request, caller, region, {
      manualSnapshots: this.options.manualSnapshotQuota,
      concurrentCopies: family.family === 'instance' ? this.options.copyQuota : this.options.clusterCopyQuota,
    });
    const now = this.cloud.clock.nowMs();
    const copy: SimRdsSnapshot = {
      family: family.family,
      id: request.target,
      owner: caller.account,
      region,
      sourceResource: plan.source.sourceResource,
      type: 'manual',
      createdAt: new Date(now),
      encrypted: plan.encrypted,
      kmsKeyId: plan.kmsKeyId,
      copiedFrom: snapshotArn(family, plan.source),
      optionGroup: plan.optionGroup,
      status: 'copying',
      availableAt: now + this.options.copyDurationMs,
      sharedWith: new Set(),
      tags: plan.tags,
    };
    store.add(copy);
    const sourceRegion = plan.source.region;
    const announce = family.announcesCopies ? () => snapshotCopiedEvent(family, copy, sourceRegion, new Date(copy.availableAt)) : undefined;
    this.cloud.clock.at(copy.availableAt, () => this.#settle(store, copy, announce));
    return copy;
  }

  /** Forgets an account's databases, DB and cluster snapshots (disaster drills); pending ones never become available. */
  removeAccount(account: string): void {
    this.databases.removeAccount(account);
    this.instanceSnapshots.removeAccount(account);
    this.clusterSnapshots.removeAccount(account);
  }

  #create(store: RdsSnapshotStore, account: string, region: string, resource: string, spec: CreateRdsSnapshotSpec): SimRdsSnapshot {
    const { family } = store;
    const now = this.cloud.clock.now();
    const id =
      spec.id ??
      (spec.type === 'automated'
        ? `rds:${resource}-${now.toISOString().slice(0, 16).replace(/[T:]/g, '-')}`
        : `${resource}-${randomBytes(4).toString('hex')}`);
    if (spec.type === 'manual') {
      checkIdentifier(family, family.idParam, id);
      if (store.manualCount(account, region) >= this.options.manualSnapshotQuota)
        throw new AwsError(
          'SnapshotQuotaExceeded',
          `Cannot create ${id}: the allowed number of manual snapshots in ${region} would be exceeded.`,
        );
    }
    const database =
      this.databases.get(family.family, account, region, resource) ??
      this.#database(family, account, region, { id: resource, encryption: spec.encryption });
    const kmsKeyId =
      spec.encryption === 'cmk' && spec.kmsKeyArn
        ? spec.kmsKeyArn
        : spec.encryption === undefined
          ? database.kmsKeyId
          : this.#key(account, region, resource, spec.encryption);
    const snapshot: SimRdsSnapshot = {
      family: family.family,
      id,
      owner: account,
      region,
      sourceResource: resource,
      type: spec.type,
      createdAt: now,
      encrypted: kmsKeyId !== undefined,
      kmsKeyId,
      optionGroup: spec.optionGroup,
      status: 'creating',
      availableAt: now.getTime() + this.options.snapshotDurationMs,
      sharedWith: new Set(),
      tags: new Map(),
    };
    store.add(snapshot);
    const announce = () => snapshotCreatedEvent(family, snapshot, new Date(snapshot.availableAt));
    this.cloud.clock.at(snapshot.availableAt, () => this.#settle(store, snapshot, (spec.emit ?? true) ? announce : undefined));
    return snapshot;
  }

  #database(
    family: RdsFamily,
    account: string,
    region: string,
    spec: CreateDatabaseSpec & { encryption?: RdsEncryption; kmsKeyId?: string; clusterId?: string; availableAt?: number },
  ): SimDatabase {
    checkIdentifier(family, family.resourceParam, spec.id);
    if (this.databases.get(family.family, account, region, spec.id))
      throw new AwsError(family.errors.databaseExists, `${family.databaseLabel} ${spec.id} already exists.`);
    const database: SimDatabase = {
      family: family.family,
      id: spec.id,
      account,
      region,
      createdAt: this.cloud.clock.now(),
      kmsKeyId: spec.kmsKeyId ?? this.#key(account, region, spec.id, spec.encryption ?? 'aws-managed'),
      tags: new Map(Object.entries(spec.tags ?? {})),
      settings: { ...defaultSettings(family, region), ...spec.settings },
      availableAt: spec.availableAt ?? this.cloud.clock.nowMs(),
      clusterId: spec.clusterId,
      members: [],
    };
    this.databases.add(database);
    return database;
  }

  /**
   * RestoreDBInstanceFromDBSnapshot / RestoreDBClusterFromSnapshot: a new database from an available
   * snapshot the caller owns or that is shared with it (by ARN), encrypted with the snapshot's key,
   * with the settings asked for over the engine's defaults. It is `creating` for
   * {@link RdsSimOptions.restoreDurationMs}. A restored cluster has no instances: CreateDBInstance
   * adds them ("the DB cluster is created without any DB instances", Aurora User Guide, Restoring from a DB cluster snapshot).
   * @throws AwsError the family's not-found and invalid-state faults, DBInstanceAlreadyExists / DBClusterAlreadyExistsFault, DBSubnetGroupNotFoundFault
   */
  restoreFromSnapshot(
    family: RdsFamily,
    caller: string,
    region: string,
    spec: { id: string; snapshot: string; settings: Partial<DatabaseSettings>; tags: Map<string, string>; kmsKeyId?: string },
  ): SimDatabase {
    const snapshot = this.store(family).visible(caller, region, spec.snapshot);
    if (snapshot.status !== 'available')
      throw new AwsError(family.errors.invalidState, `${family.label} ${snapshot.id} is ${snapshot.status}, not available.`);
    this.#checkSubnetGroup(caller, region, spec.settings.subnetGroup);
    return this.#database(family, caller, region, {
      id: spec.id,
      tags: Object.fromEntries(spec.tags),
      settings: spec.settings,
      kmsKeyId: spec.kmsKeyId ?? snapshot.kmsKeyId,
      encryption: snapshot.encrypted ? undefined : 'none',
      availableAt: this.cloud.clock.nowMs() + this.options.restoreDurationMs,
    });
  }

  /**
   * CreateDBInstance of an Aurora cluster's instance: the cluster's engine and settings, the class
   * asked for; the first is the writer. `creating` for {@link RdsSimOptions.restoreDurationMs}.
   * @throws AwsError DBClusterNotFoundFault, DBInstanceAlreadyExists, InvalidParameterCombination (another engine)
   */
  createClusterInstance(
    account: string,
    region: string,
    spec: { id: string; clusterId: string; instanceClass: string; engine: string; tags: Map<string, string> },
  ): SimDatabase {
    const cluster = this.databases.get('cluster', account, region, spec.clusterId);
    if (!cluster) throw new AwsError(DB_CLUSTER_SNAPSHOT.errors.databaseNotFound, `DBCluster ${spec.clusterId} not found.`, 404);
    if (spec.engine !== cluster.settings.engine)
      throw new AwsError(
        'InvalidParameterCombination',
        `The engine ${spec.engine} does not match the cluster's engine ${cluster.settings.engine}.`,
      );
    const instance = this.#database(DB_SNAPSHOT, account, region, {
      id: spec.id,
      tags: Object.fromEntries(spec.tags),
      settings: { ...cluster.settings, instanceClass: spec.instanceClass, allocatedStorageGiB: 1, storageType: 'aurora' },
      kmsKeyId: cluster.kmsKeyId,
      encryption: cluster.kmsKeyId ? undefined : 'none',
      clusterId: cluster.id,
      availableAt: Math.max(cluster.availableAt, this.cloud.clock.nowMs()) + this.options.restoreDurationMs,
    });
    cluster.members.push(instance.id);
    return instance;
  }

  /**
   * ModifyDBInstance of the DB instance class. With ApplyImmediately the class changes at once and the
   * instance is `modifying` for {@link RdsSimOptions.modifyDurationMs}; without it the change waits
   * for the next maintenance window (RDS User Guide, "Modifying an Amazon RDS DB instance"), shown
   * as pending and not simulated further.
   * @throws AwsError DBInstanceNotFound, InvalidDBInstanceState (not available)
   */
  modifyDBInstanceClass(
    account: string,
    region: string,
    spec: { id: string; instanceClass: string; applyImmediately: boolean },
  ): SimDatabase {
    const database = this.databases.get('instance', account, region, spec.id);
    if (!database) throw new AwsError(DB_SNAPSHOT.errors.databaseNotFound, `DBInstance ${spec.id} not found.`, 404);
    const status = this.status(database);
    if (status !== 'available') throw new AwsError('InvalidDBInstanceState', `DB instance ${spec.id} is ${status}, not available.`);
    if (!spec.applyImmediately) {
      database.pendingInstanceClass = spec.instanceClass;
      return database;
    }
    database.settings.instanceClass = spec.instanceClass;
    database.pendingInstanceClass = undefined;
    database.modifyingUntil = this.cloud.clock.nowMs() + this.options.modifyDurationMs;
    return database;
  }

  /** The status of a database at the simulated time. */
  status(database: SimDatabase): string {
    return databaseStatus(database, this.cloud.clock.nowMs());
  }

  /**
   * CreateDBSubnetGroup (or the account's own activity): a named set of subnets.
   * @throws AwsError DBSubnetGroupAlreadyExists
   */
  createDBSubnetGroup(account: string, region: string, spec: Omit<SimDbSubnetGroup, 'account' | 'region' | 'vpcId'>): SimDbSubnetGroup {
    if (this.databases.subnetGroup(account, region, spec.name))
      throw new AwsError('DBSubnetGroupAlreadyExists', `The DB subnet group '${spec.name}' already exists.`);
    const subnets = spec.subnetIds.map((id) => {
      const subnet = this.subnetOf(account, region, id);
      if (!subnet) throw new AwsError('InvalidSubnet', `The subnet ${id} does not exist.`);
      return subnet;
    });
    const vpcs = new Set(subnets.map((s) => s.vpcId));
    if (vpcs.size !== 1) throw new AwsError('InvalidParameterValue', 'The subnets of a DB subnet group must all be in one VPC.');
    // "A DB subnet group must have subnets in at least two Availability Zones" (RDS User Guide, Working with DB subnet groups).
    if (new Set(subnets.map((s) => s.availabilityZone)).size < 2)
      throw new AwsError(
        'DBSubnetGroupDoesNotCoverEnoughAZs',
        "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: 1. Add subnets to cover at least 2 AZs.",
      );
    const group: SimDbSubnetGroup = { ...spec, account, region, vpcId: [...vpcs][0] };
    this.databases.addSubnetGroup(group);
    return group;
  }

  #checkSubnetGroup(account: string, region: string, name: string | undefined): void {
    if (name !== undefined && name !== 'default' && !this.databases.subnetGroup(account, region, name))
      throw new AwsError('DBSubnetGroupNotFoundFault', `DB subnet group ${name} does not exist.`, 404);
  }

  #key(account: string, region: string, resource: string, encryption: RdsEncryption): string | undefined {
    if (encryption === 'none') return undefined;
    if (encryption === 'aws-managed') return this.kms.awsManagedKey(account, region, 'rds').arn;
    const alias = this.options.customerKeyAlias;
    if (alias) return this.kms.aliasedKey(account, region, alias, `Customer managed key ${alias}`).arn;
    const name = `${account}|${region}|${resource}`;
    let arn = this.#resourceKeys.get(name);
    if (!arn) {
      arn = this.kms.createKey(account, region, { description: `Customer managed key for RDS ${resource}` }).arn;
      this.#resourceKeys.set(name, arn);
    }
    return arn;
  }

  #settle(store: RdsSnapshotStore, snapshot: SimRdsSnapshot, announce: (() => ServiceEvent) | undefined): void {
    // Deleted while pending: nothing left to complete.
    if (!store.holds(snapshot)) return;
    snapshot.status = 'available';
    if (announce) this.cloud.emitServiceEvent(announce());
  }
}

/** The engine's defaults, what a database created without settings has (PostgreSQL 16 and Aurora PostgreSQL 16). */
function defaultSettings(family: RdsFamily, region: string): DatabaseSettings {
  const instance = family.family === 'instance';
  return {
    engine: family.engine,
    engineVersion: instance ? '16.3' : '16.2',
    instanceClass: instance ? 'db.t3.micro' : undefined,
    parameterGroup: instance ? 'default.postgres16' : 'default.aurora-postgresql16',
    optionGroup: instance ? 'default:postgres-16' : undefined,
    subnetGroup: 'default',
    securityGroupIds: [],
    allocatedStorageGiB: instance ? 20 : undefined,
    storageType: instance ? 'gp3' : undefined,
    multiAZ: false,
    backupWindow: '03:00-03:30',
    availabilityZone: instance ? `${region}a` : undefined,
  };
}
