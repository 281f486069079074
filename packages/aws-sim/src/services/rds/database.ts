import type { RdsSnapshotFamily } from './snapshot.js';

/** The settings a DB instance or cluster is created or restored with, as DescribeDBInstances / DescribeDBClusters show them. */
export interface DatabaseSettings {
  engine: string;
  engineVersion: string;
  /** A DB instance's class (`db.r6g.large`); a cluster has none, its instances do. */
  instanceClass?: string;
  /** The DB parameter group (DB cluster parameter group for a cluster). */
  parameterGroup: string;
  /** A DB instance's option group. */
  optionGroup?: string;
  /** The DB subnet group, `default` when none is named. */
  subnetGroup: string;
  securityGroupIds: string[];
  /** A DB instance's storage; Aurora storage grows by itself. */
  allocatedStorageGiB?: number;
  storageType?: string;
  multiAZ: boolean;
  /** `hh24:mi-hh24:mi` UTC. */
  backupWindow: string;
  availabilityZone?: string;
}

/** `creating` until it is `available`, `modifying` while a change applied at once takes effect; the other RDS states are not simulated. */
export type DatabaseStatus = 'creating' | 'modifying' | 'available';

/** A DB instance or an Aurora DB cluster: what a family's snapshots are of, as DescribeDBInstances / DescribeDBClusters show it. */
export interface SimDatabase {
  readonly family: RdsSnapshotFamily;
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly createdAt: Date;
  /** The key its storage (and so its snapshots) is encrypted with, when encrypted. */
  readonly kmsKeyId?: string;
  readonly tags: Map<string, string>;
  readonly settings: DatabaseSettings;
  /** When it is available, in simulated ms. */
  readonly availableAt: number;
  /** A cluster member's cluster. */
  readonly clusterId?: string;
  /** A cluster's instances, the writer first. */
  readonly members: string[];
  /** Until when (simulated ms) a ModifyDBInstance applied at once keeps it `modifying`. */
  modifyingUntil?: number;
  /** A class ModifyDBInstance asked for without ApplyImmediately: applied in the next maintenance window, which is not simulated. */
  pendingInstanceClass?: string;
}

export const databaseStatus = (database: SimDatabase, nowMs: number): DatabaseStatus =>
  nowMs < database.availableAt ? 'creating' : nowMs < (database.modifyingUntil ?? 0) ? 'modifying' : 'available';

/** A database the account creates itself (drills, tests). */
export interface CreateDatabaseSpec {
  id: string;
  tags?: Record<string, string>;
  settings?: Partial<DatabaseSettings>;
}

/** A DB subnet group: the subnets of one VPC a database may be placed in. */
export interface SimDbSubnetGroup {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly description: string;
  readonly subnetIds: string[];
  readonly vpcId?: string;
}

/** The DB instances and clusters of every account, by family, account, region and identifier (case-insensitive, as RDS's). */
export class DatabaseStore {
  readonly #databases = new Map<string, SimDatabase>();
  readonly subnetGroups = new Map<string, SimDbSubnetGroup>();

  #key(family: RdsSnapshotFamily, account: string, region: string, id: string): string {
    return `${family}|${account}|${region}|${id.toLowerCase()}`;
  }

  get(family: RdsSnapshotFamily, account: string, region: string, id: string): SimDatabase | undefined {
    return this.#databases.get(this.#key(family, account, region, id));
  }

  add(database: SimDatabase): void {
    this.#databases.set(this.#key(database.family, database.account, database.region, database.id), database);
  }

  /** A family's databases of an account in a region, oldest first. */
  list(family: RdsSnapshotFamily, account: string, region: string): SimDatabase[] {
    return [...this.#databases.values()].filter((d) => d.family === family && d.account === account && d.region === region);
  }

  subnetGroup(account: string, region: string, name: string): SimDbSubnetGroup | undefined {
    return this.subnetGroups.get(`${account}|${region}|${name.toLowerCase()}`);
  }

  addSubnetGroup(group: SimDbSubnetGroup): void {
    this.subnetGroups.set(`${group.account}|${group.region}|${group.name.toLowerCase()}`, group);
  }

  removeAccount(account: string): void {
    for (const [key, database] of this.#databases) if (database.account === account) this.#databases.delete(key);
    for (const [key, group] of this.subnetGroups) if (group.account === account) this.subnetGroups.delete(key);
  }
}
