import { AwsError } from '../../core/errors.js';

/** RDS has two snapshot families with the same rules and different names: DB instance and Aurora DB cluster snapshots. */
export type RdsSnapshotFamily = 'instance' | 'cluster';
export type RdsSnapshotType = 'manual' | 'automated';
/** `creating` for a new snapshot, `copying` for a copy, then `available`. */
export type RdsSnapshotStatus = 'creating' | 'copying' | 'available';

/** A DB snapshot's option group; Aurora cluster snapshots have none. */
export interface RdsOptionGroup {
  readonly name: string;
  /** Whether it holds permanent or persistent options (Oracle TDE, SQL Server TDE, …). */
  readonly persistentOptions: boolean;
}

/** One DB (cluster) snapshot in the account and region it lives in. */
export interface SimRdsSnapshot {
  readonly family: RdsSnapshotFamily;
  /** The identifier; automated snapshots carry AWS's `rds:` prefix. */
  readonly id: string;
  readonly owner: string;
  readonly region: string;
  /** The DB instance or DB cluster it protects. */
  readonly sourceResource: string;
  readonly type: RdsSnapshotType;
  readonly createdAt: Date;
  readonly encrypted: boolean;
  readonly kmsKeyId?: string;
  /** For a copy, the ARN of the snapshot it copies. */
  readonly copiedFrom?: string;
  /** A DB snapshot's option group, when not the engine's default. */
  readonly optionGroup?: RdsOptionGroup;
  status: RdsSnapshotStatus;
  /** When it becomes available, in simulated ms. */
  availableAt: number;
  /** Accounts in the `restore` attribute (`all` makes it public). */
  readonly sharedWith: Set<string>;
  readonly tags: Map<string, string>;
}

/** Everything that differs between the two families: wire names, error codes, events, limits. */
export interface RdsFamily {
  readonly family: RdsSnapshotFamily;
  /** What AWS calls it in messages. */
  readonly label: string;
  /** The ARN resource type: `arn:aws:rds:<region>:<account>:<arnType>:<id>`. */
  readonly arnType: 'snapshot' | 'cluster-snapshot';
  readonly element: 'DBSnapshot' | 'DBClusterSnapshot';
  readonly idParam: 'DBSnapshotIdentifier' | 'DBClusterSnapshotIdentifier';
  readonly resourceParam: 'DBInstanceIdentifier' | 'DBClusterIdentifier';
  readonly arnField: 'DBSnapshotArn' | 'DBClusterSnapshotArn';
  readonly encryptedField: 'Encrypted' | 'StorageEncrypted';
  /** Where a copy names its source: DB snapshots by identifier (an ARN across accounts), cluster snapshots by ARN. */
  readonly copiedFromField: 'SourceDBSnapshotIdentifier' | 'SourceDBClusterSnapshotArn';
  readonly attributesResult: 'DBSnapshotAttributesResult' | 'DBClusterSnapshotAttributesResult';
  readonly engine: string;
  /**
   * Whether a copy with KmsKeyId may encrypt an unencrypted snapshot: CopyDBSnapshot does ("If you
   * specify this parameter when you copy an unencrypted snapshot, the copy is encrypted"),
   * CopyDBClusterSnapshot refuses ("If you copy an unencrypted DB cluster snapshot and specify a
   * value for the KmsKeyId parameter, an error is returned").
   */
  readonly encryptsOnCopy: boolean;
  /** Identifier length limit (DB snapshots 255, cluster snapshots 63). */
  readonly maxIdLength: number;
  /** The wire codes (the awsQueryError codes of the RDS API model). */
  readonly errors: { notFound: string; alreadyExists: string; invalidState: string; databaseExists: string; databaseNotFound: string };
  /** What AWS calls the database a snapshot is of, and its Describe call's element (`DBInstance`, `DBCluster`). */
  readonly databaseLabel: string;
  readonly databaseElement: 'DBInstance' | 'DBCluster';
  /** The database ARN's resource type: `arn:aws:rds:<region>:<account>:<type>:<id>`. */
  readonly databaseArnType: 'db' | 'cluster';
  /** The Describe filter naming a snapshot by identifier. */
  readonly idFilter: 'db-snapshot-id' | 'db-cluster-snapshot-id';
  readonly detailType: string;
  readonly sourceType: string;
  /** The category of its snapshot events: DB snapshot events are `creation`, DB cluster snapshot events `backup` (RDS User Guide, USER_Events.Messages). */
  readonly eventCategory: 'creation' | 'backup';
  /** The "snapshot created" event of each snapshot type (RDS User Guide, USER_Events.Messages). */
  readonly created: Record<RdsSnapshotType, { eventId: string; message: string }>;
  /** Whether a finished copy sends an event: the DB snapshot events list RDS-EVENT-0197 and 0060; the DB cluster snapshot events list none. */
  readonly announcesCopies: boolean;
}

export const DB_SNAPSHOT: RdsFamily = {
  family: 'instance',
  label: 'DBSnapshot',
  arnType: 'snapshot',
  element: 'DBSnapshot',
  idParam: 'DBSnapshotIdentifier',
  resourceParam: 'DBInstanceIdentifier',
  arnField: 'DBSnapshotArn',
  encryptedField: 'Encrypted',
  copiedFromField: 'SourceDBSnapshotIdentifier',
  attributesResult: 'DBSnapshotAttributesResult',
  engine: 'postgres',
  encryptsOnCopy: true,
  maxIdLength: 255,
  errors: {
    notFound: 'DBSnapshotNotFound',
    alreadyExists: 'DBSnapshotAlreadyExists',
    invalidState: 'InvalidDBSnapshotState',
    databaseExists: 'DBInstanceAlreadyExists',
    databaseNotFound: 'DBInstanceNotFound',
  },
  databaseLabel: 'DBInstance',
  databaseElement: 'DBInstance',
  databaseArnType: 'db',
  idFilter: 'db-snapshot-id',
  detailType: 'RDS DB Snapshot Event',
  sourceType: 'SNAPSHOT',
  eventCategory: 'creation',
  created: {
    manual: { eventId: 'RDS-EVENT-0042', message: 'Manual snapshot created' },
    automated: { eventId: 'RDS-EVENT-0091', message: 'Automated snapshot created' },
  },
  announcesCopies: true,
};

export const DB_CLUSTER_SNAPSHOT: RdsFamily = {
  family: 'cluster',
  label: 'DBClusterSnapshot',
  arnType: 'cluster-snapshot',
  element: 'DBClusterSnapshot',
  idParam: 'DBClusterSnapshotIdentifier',
  resourceParam: 'DBClusterIdentifier',
  arnField: 'DBClusterSnapshotArn',
  encryptedField: 'StorageEncrypted',
  copiedFromField: 'SourceDBClusterSnapshotArn',
  attributesResult: 'DBClusterSnapshotAttributesResult',
  engine: 'aurora-postgresql',
  encryptsOnCopy: false,
  maxIdLength: 63,
  errors: {
    notFound: 'DBClusterSnapshotNotFoundFault',
    alreadyExists: 'DBClusterSnapshotAlreadyExistsFault',
    invalidState: 'InvalidDBClusterSnapshotStateFault',
    databaseExists: 'DBClusterAlreadyExistsFault',
    databaseNotFound: 'DBClusterNotFoundFault',
  },
  databaseLabel: 'DBCluster',
  databaseElement: 'DBCluster',
  databaseArnType: 'cluster',
  idFilter: 'db-cluster-snapshot-id',
  detailType: 'RDS DB Cluster Snapshot Event',
  sourceType: 'CLUSTER_SNAPSHOT',
  eventCategory: 'backup',
  created: {
    manual: { eventId: 'RDS-EVENT-0075', message: 'Manual cluster snapshot created' },
    automated: { eventId: 'RDS-EVENT-0169', message: 'Automated cluster snapshot created' },
  },
  announcesCopies: false,
};

export const snapshotArn = (family: RdsFamily, snapshot: Pick<SimRdsSnapshot, 'region' | 'owner' | 'id'>) =>
  `arn:aws:rds:${snapshot.region}:${snapshot.owner}:${family.arnType}:${snapshot.id}`;

/**
 * The identifier rule RDS applies to snapshots it is asked to create or modify: a letter first,
 * then letters, digits and single hyphens, no trailing hyphen. Automated snapshots (`rds:…`) fail
 * it, which is how ModifyDBSnapshotAttribute refuses to share them (aws/aws-sdk#638).
 */
export function checkIdentifier(family: RdsFamily, param: string, id: string): void {
  if (id.length <= family.maxIdLength && /^[A-Za-z](?:-?[A-Za-z0-9])*$/.test(id)) return;
  throw new AwsError(
    'InvalidParameterValue',
    `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
  );
}

/** Every snapshot of one family, keyed by account, region and identifier (RDS identifiers are per account and region, case-insensitive). */
export class RdsSnapshotStore {
  readonly #snapshots = new Map<string, SimRdsSnapshot>();

  constructor(readonly family: RdsFamily) {}

  #key(owner: string, region: string, id: string): string {
    return `${owner}|${region}|${id.toLowerCase()}`;
  }

  /** @throws AwsError the family's "already exists" fault */
  add(snapshot: SimRdsSnapshot): void {
    const key = this.#key(snapshot.owner, snapshot.region, snapshot.id);
    if (this.#snapshots.has(key))
      throw new AwsError(
        this.family.errors.alreadyExists,
        `Cannot create the snapshot because a snapshot with the identifier ${snapshot.id} already exists.`,
      );
    this.#snapshots.set(key, snapshot);
  }

  get(owner: string, region: string, id: string): SimRdsSnapshot | undefined {
    return this.#snapshots.get(this.#key(owner, region, id));
  }

  all(): SimRdsSnapshot[] {
    return [...this.#snapshots.values()];
  }

  delete(snapshot: SimRdsSnapshot): void {
    this.#snapshots.delete(this.#key(snapshot.owner, snapshot.region, snapshot.id));
  }

  holds(snapshot: SimRdsSnapshot): boolean {
    return this.get(snapshot.owner, snapshot.region, snapshot.id) === snapshot;
  }

  /** Forgets every snapshot an account owns (disaster drills). */
  removeAccount(account: string): void {
    for (const [key, snapshot] of this.#snapshots) if (snapshot.owner === account) this.#snapshots.delete(key);
  }

  /**
   * A snapshot named by identifier (the caller's own) or by ARN (the caller's, or one shared with it).
   * @throws AwsError the family's "not found" fault
   */
  visible(caller: string, region: string, identifierOrArn: string): SimRdsSnapshot {
    const named = parseSnapshotArn(this.family, identifierOrArn) ?? { owner: caller, region, id: identifierOrArn };
    const snapshot = named.region === region ? this.get(named.owner, named.region, named.id) : undefined;
    const visible = snapshot && (snapshot.owner === caller || snapshot.sharedWith.has(caller) || snapshot.sharedWith.has('all'));
    if (!visible) throw new AwsError(this.family.errors.notFound, `${this.family.label} not found: ${identifierOrArn}`, 404);
    return snapshot;
  }

  /**
   * The source of a copy into `region`: by identifier the caller's own snapshot there; by ARN a
   * snapshot in any Region the caller owns or that is shared with it ("You can also specify an ARN of
   * a snapshot that is in a different account and a different AWS Region", CopyDBSnapshot and
   * CopyDBClusterSnapshot, SourceDB(Cluster)SnapshotIdentifier).
   * @throws AwsError the family's "not found" fault
   */
  copySource(caller: string, region: string, identifierOrArn: string): SimRdsSnapshot {
    const named = parseSnapshotArn(this.family, identifierOrArn);
    return this.visible(caller, named?.region ?? region, identifierOrArn);
  }

  /**
   * A snapshot the caller owns, named by identifier: only the owner may share, tag or delete it.
   * @throws AwsError the family's "not found" fault
   */
  owned(caller: string, region: string, identifierOrArn: string): SimRdsSnapshot {
    const snapshot = this.visible(caller, region, identifierOrArn);
    if (snapshot.owner !== caller)
      throw new AwsError(this.family.errors.notFound, `${this.family.label} not found: ${identifierOrArn}`, 404);
    return snapshot;
  }

  /** Copies into an account's region still in progress: what the concurrent copy quota counts. */
  copyingCount(owner: string, region: string): number {
    return this.all().filter((s) => s.owner === owner && s.region === region && s.status === 'copying').length;
  }

  /** Manual snapshots of an account in a region: what the manual snapshot quota counts. */
  manualCount(owner: string, region: string): number {
    return this.all().filter((s) => s.owner === owner && s.region === region && s.type === 'manual').length;
  }
}

/** `arn:aws:rds:<region>:<account>:<type>:<id>`, where the id may itself hold a colon (`rds:…`). */
export function parseSnapshotArn(family: RdsFamily, value: string): { owner: string; region: string; id: string } | undefined {
  const match = /^arn:aws[\w-]*:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(value);
  if (!match || match[3] !== family.arnType) return undefined;
  return { region: match[1]!, owner: match[2]!, id: match[4]! };
}
