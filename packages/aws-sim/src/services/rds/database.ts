import type { RdsSnapshotFamily } from './snapshot.js';

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
}

/** A database the account creates itself (drills, tests). */
export interface CreateDatabaseSpec {
  id: string;
  tags?: Record<string, string>;
}

/** The DB instances and clusters of every account, by family, account, region and identifier (case-insensitive, as RDS's). */
export class DatabaseStore {
  readonly #databases = new Map<string, SimDatabase>();

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

  removeAccount(account: string): void {
    for (const [key, database] of this.#databases) if (database.account === account) this.#databases.delete(key);
  }
}
