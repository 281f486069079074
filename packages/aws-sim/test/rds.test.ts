import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, SimCloud } from '../src/index.js';
import { rootArn } from '../src/services/iam/iam.js';
import type { KmsSim } from '../src/services/kms/kms.js';
import type { RdsEncryption, RdsSim, RdsSimOptions } from '../src/services/rds/rds.js';
import type { RdsSnapshotType } from '../src/services/rds/snapshot.js';

const SOURCE = '111111111111';
const VAULT = '999999999999';
const REGION = 'eu-west-1';
const MINUTE = 60_000;
const OTHER = 'eu-central-1';
const DAY = 24 * 60 * MINUTE;

let cloud: SimCloud;
let kms: KmsSim;
let rds: RdsSim;
let events: EventEnvelope[];

function setup(options: RdsSimOptions = {}): void {
  cloud = new SimCloud({ rds: { snapshotDurationMs: 5 * MINUTE, copyDurationMs: 10 * MINUTE, ...options } });
  for (const id of [SOURCE, VAULT]) cloud.addAccount({ id });
  ({ kms, rds } = cloud);
  events = [];
  cloud.onServiceEvent((event) => events.push(event));
}

beforeEach(() => setup());

const client = (account: string) => new RDSClient(cloud.clientConfig(cloud.adminCredentials(account), REGION));

/** An available DB snapshot in SOURCE. */
function dbSnapshot(type: RdsSnapshotType, encryption: RdsEncryption, id?: string) {
  const snapshot = rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type, encryption, id });
  cloud.clock.advance(5 * MINUTE);
  return snapshot;
}

/** A customer key in SOURCE whose policy lets VAULT describe it and create grants on it, as the share key does. */
function shareKey(): string {
  return kms.createKey(SOURCE, REGION, {
    policy: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: rootArn(SOURCE) }, Action: 'kms:*', Resource: '*' },
        {
          Effect: 'Allow',
          Principal: { AWS: rootArn(VAULT) },
          Action: ['kms:DescribeKey', 'kms:CreateGrant', 'kms:Decrypt'],
          Resource: '*',
        },
      ],
    },
  }).arn;
}

const share = (id: string) =>
  client(SOURCE).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: id, AttributeName: 'restore', ValuesToAdd: [VAULT] }));
const arnOf = (id: string) => `arn:aws:rds:${REGION}:${SOURCE}:snapshot:${id}`;
const vaultKey = () => kms.createKey(VAULT, REGION, { alias: 'vault' }).arn;

describe('snapshots and their events', () => {
  it('creates a snapshot that becomes available and then announces it with the documented event', async () => {
    const snapshot = rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'automated', id: 'rds:orders-2026-01-01-00-00' });
    const [before] = (
      await client(SOURCE).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshot.id, SnapshotType: 'automated' }))
    ).DBSnapshots!;
    expect(before).toMatchObject({ Status: 'creating', SnapshotType: 'automated', Encrypted: true });
    expect(events).toEqual([]);
    cloud.clock.advance(5 * MINUTE);
    expect(events).toMatchObject([
      {
        'detail-type': 'RDS DB Snapshot Event',
        source: 'aws.rds',
        account: SOURCE,
        resources: [arnOf('rds:orders-2026-01-01-00-00')],
        detail: {
          EventID: 'RDS-EVENT-0091',
          SourceType: 'SNAPSHOT',
          SourceIdentifier: 'rds:orders-2026-01-01-00-00',
          SourceArn: arnOf('rds:orders-2026-01-01-00-00'),
          Message: 'Automated snapshot created',
        },
      },
    ]);
  });

  it('announces a finished DB snapshot copy in the copy’s account with RDS-EVENT-0197 (local) or 0060 (cross-Region), a cluster snapshot copy with none', async () => {
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'orders-1', encryption: 'none' });
    rds.createDBSnapshot(SOURCE, OTHER, { db: 'orders', type: 'manual', id: 'orders-2', encryption: 'none' });
    rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: 'ledger-1' });
    cloud.clock.advance(5 * MINUTE);
    events.length = 0;
    await client(SOURCE).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'orders-1', TargetDBSnapshotIdentifier: 'local' }));
    await client(SOURCE).send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: `arn:aws:rds:${OTHER}:${SOURCE}:snapshot:orders-2`,
        TargetDBSnapshotIdentifier: 'remote',
      }),
    );
    await client(SOURCE).send(
      new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: 'ledger-1', TargetDBClusterSnapshotIdentifier: 'ledger-copy' }),
    );
    cloud.clock.advance(9 * MINUTE);
    expect(events).toEqual([]);
    cloud.clock.advance(MINUTE);
    expect(
      events.map((e) => [e.account, e.region, e.detail.EventID, e.detail.SourceIdentifier, e.detail.EventCategories, e.detail.Message]),
    ).toEqual([
      [SOURCE, REGION, 'RDS-EVENT-0197', 'local', ['notification'], `Finished copy of snapshot local in region ${REGION}.`],
      [
        SOURCE,
        REGION,
        'RDS-EVENT-0060',
        'remote',
        ['notification'],
        `Finished copy of snapshot remote from region ${OTHER} in 10 minutes.`,
      ],
    ]);
    expect(events[0]).toMatchObject({
      'detail-type': 'RDS DB Snapshot Event',
      resources: [arnOf('local')],
      detail: { SourceArn: arnOf('local'), SourceType: 'SNAPSHOT' },
    });
  });

  it('finds an automated snapshot by identifier only with SnapshotType automated, as the API reference requires', async () => {
    const instance = rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'automated', id: 'rds:orders-2026-01-01-00-00' });
    const cluster = rds.createDBClusterSnapshot(SOURCE, REGION, {
      cluster: 'ledger',
      type: 'automated',
      id: 'rds:ledger-2026-01-01-00-00',
    });
    await expect(client(SOURCE).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: instance.id }))).rejects.toMatchObject({
      name: 'DBSnapshotNotFoundFault',
    });
    await expect(
      client(SOURCE).send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: cluster.id, SnapshotType: 'manual' })),
    ).rejects.toMatchObject({ name: 'DBClusterSnapshotNotFoundFault' });
    const { DBClusterSnapshots } = await client(SOURCE).send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: cluster.id, SnapshotType: 'automated' }),
    );
    expect(DBClusterSnapshots).toMatchObject([{ DBClusterSnapshotIdentifier: cluster.id, SnapshotType: 'automated' }]);
  });

  it('announces a manual cluster snapshot with RDS-EVENT-0075, and describes it by cluster', async () => {
    rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: 'ledger-1' });
    cloud.clock.advance(5 * MINUTE);
    expect(events.map((e) => [e['detail-type'], e.detail.EventID, e.detail.SourceType])).toEqual([
      ['RDS DB Cluster Snapshot Event', 'RDS-EVENT-0075', 'CLUSTER_SNAPSHOT'],
    ]);
    const { DBClusterSnapshots } = await client(SOURCE).send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: 'ledger' }));
    expect(DBClusterSnapshots).toMatchObject([
      { DBClusterSnapshotIdentifier: 'ledger-1', Status: 'available', StorageEncrypted: true, SnapshotType: 'manual' },
    ]);
  });

  it('answers DBSnapshotNotFound for a snapshot of another account named by identifier', async () => {
    dbSnapshot('manual', 'none', 'orders-1');
    await expect(client(VAULT).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'orders-1' }))).rejects.toMatchObject({
      name: 'DBSnapshotNotFoundFault',
    });
  });
});

describe('sharing refusals', () => {
  it('refuses to share an automated snapshot (its rds: identifier is not valid for ModifyDBSnapshotAttribute)', async () => {
    const snapshot = dbSnapshot('automated', 'none');
    await expect(share(snapshot.id)).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringMatching(/not a valid identifier/),
    });
  });

  it('refuses to share a snapshot under the default aws/rds key', async () => {
    dbSnapshot('manual', 'aws-managed', 'orders-1');
    await expect(share('orders-1')).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringMatching(/default KMS key/),
    });
  });

  it('refuses to make an encrypted snapshot public, and shares it with an account', async () => {
    dbSnapshot('manual', 'cmk', 'orders-1');
    await expect(
      client(SOURCE).send(
        new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'orders-1', AttributeName: 'restore', ValuesToAdd: ['all'] }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await share('orders-1');
    const { DBSnapshotAttributesResult } = await client(SOURCE).send(
      new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: 'orders-1' }),
    );
    expect(DBSnapshotAttributesResult?.DBSnapshotAttributes).toEqual([{ AttributeName: 'restore', AttributeValues: [VAULT] }]);
    const { DBSnapshots } = await client(VAULT).send(new DescribeDBSnapshotsCommand({ SnapshotType: 'shared' }));
    expect(DBSnapshots?.map((s) => s.DBSnapshotArn)).toEqual([arnOf('orders-1')]);
  });
});

describe('cross-account copies', () => {
  it('copies a shared snapshot named by ARN under the vault key, with tags', async () => {
    const key = shareKey();
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'orders-1', encryption: 'none' });
    cloud.clock.advance(5 * MINUTE);
    const copyOfShareKeySnapshot = await client(SOURCE).send(
      new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'orders-1', TargetDBSnapshotIdentifier: 'orders-1-shared', KmsKeyId: key }),
    );
    expect(copyOfShareKeySnapshot.DBSnapshot).toMatchObject({ Status: 'copying', Encrypted: true, KmsKeyId: key });
    cloud.clock.advance(10 * MINUTE);
    await share('orders-1-shared');
    const target = vaultKey();
    const { DBSnapshot } = await client(VAULT).send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: arnOf('orders-1-shared'),
        TargetDBSnapshotIdentifier: 'vault-copy',
        KmsKeyId: target,
        Tags: [{ Key: 'from', Value: SOURCE }],
      }),
    );
    expect(DBSnapshot).toMatchObject({
      DBSnapshotIdentifier: 'vault-copy',
      Encrypted: true,
      KmsKeyId: target,
      SourceDBSnapshotIdentifier: arnOf('orders-1-shared'),
    });
    const { TagList } = await client(VAULT).send(
      new ListTagsForResourceCommand({ ResourceName: `arn:aws:rds:${REGION}:${VAULT}:snapshot:vault-copy` }),
    );
    expect(TagList).toEqual([{ Key: 'from', Value: SOURCE }]);
  });

  it('needs the ARN for a shared snapshot: its identifier alone names nothing in the vault', async () => {
    dbSnapshot('manual', 'none', 'orders-1');
    await share('orders-1');
    await expect(
      client(VAULT).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'orders-1', TargetDBSnapshotIdentifier: 'copy' })),
    ).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });

  it('refuses an encrypted shared snapshot without KmsKeyId, and one whose key does not let the vault use it', async () => {
    dbSnapshot('manual', 'cmk', 'orders-1');
    await share('orders-1');
    const copy = (KmsKeyId?: string) =>
      client(VAULT).send(
        new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: arnOf('orders-1'), TargetDBSnapshotIdentifier: 'copy', KmsKeyId }),
      );
    await expect(copy()).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    // The database's own CMK has the default key policy: nothing for the vault account.
    await expect(copy(vaultKey())).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    expect(rds.snapshots(rds.instanceSnapshots.family, VAULT)).toEqual([]);
  });

  it('refuses to encrypt an unencrypted cluster snapshot by copying it', async () => {
    rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: 'ledger-1', encryption: 'none' });
    cloud.clock.advance(5 * MINUTE);
    await client(SOURCE).send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: 'ledger-1',
        AttributeName: 'restore',
        ValuesToAdd: [VAULT],
      }),
    );
    const copy = client(VAULT).send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: `arn:aws:rds:${REGION}:${SOURCE}:cluster-snapshot:ledger-1`,
        TargetDBClusterSnapshotIdentifier: 'copy',
        KmsKeyId: vaultKey(),
      }),
    );
    await expect(copy).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('the manual snapshot quota', () => {
  it('refuses a copy beyond the quota with SnapshotQuotaExceeded, and accepts it once a snapshot is deleted', async () => {
    setup({ manualSnapshotQuota: 2, snapshotDurationMs: 0, copyDurationMs: 0 });
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'a', encryption: 'none' });
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'automated', id: 'rds:orders-1', encryption: 'none' });
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'b', encryption: 'none' });
    cloud.clock.advance(1);
    const copy = () =>
      client(SOURCE).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'rds:orders-1', TargetDBSnapshotIdentifier: 'c' }));
    await expect(copy()).rejects.toMatchObject({ name: 'SnapshotQuotaExceededFault' });
    await client(SOURCE).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'a' }));
    await expect(copy()).resolves.toMatchObject({ DBSnapshot: { DBSnapshotIdentifier: 'c', SnapshotType: 'manual' } });
  });

  it('lets a manual snapshot identifier be used again once its snapshot is deleted: a new snapshot, with its own creation time', async () => {
    setup({ snapshotDurationMs: 0 });
    const first = rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'prod-latest', encryption: 'none' });
    cloud.clock.advance(DAY);
    await client(SOURCE).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'prod-latest' }));
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'prod-latest', encryption: 'none' });
    cloud.clock.advance(1);
    const { DBSnapshots } = await client(SOURCE).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'prod-latest' }));
    expect(DBSnapshots!.map((s) => s.SnapshotCreateTime!.getTime())).toEqual([first.createdAt.getTime() + DAY]);
  });

  it('does not let anyone delete an automated snapshot', async () => {
    const snapshot = dbSnapshot('automated', 'none');
    await expect(client(SOURCE).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshot.id }))).rejects.toMatchObject({
      name: 'InvalidDBSnapshotStateFault',
    });
  });
});

describe('the concurrent copy quota', () => {
  it('refuses a copy while the quota of copies is in progress, and accepts it once one completes', async () => {
    setup({ copyQuota: 2, snapshotDurationMs: 0, copyDurationMs: 10 * 60_000 });
    for (const id of ['a', 'b', 'c']) rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id, encryption: 'none' });
    cloud.clock.advance(1);
    const copy = (id: string) =>
      client(SOURCE).send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: id, TargetDBSnapshotIdentifier: `${id}-copy` }));
    await copy('a');
    await copy('b');
    await expect(copy('c')).rejects.toMatchObject({
      name: 'SnapshotQuotaExceededFault',
      message: expect.stringMatching(/more than 2 snapshots at a time/),
    });
    cloud.clock.advance(10 * 60_000);
    await expect(copy('c')).resolves.toMatchObject({ DBSnapshot: { DBSnapshotIdentifier: 'c-copy', Status: 'copying' } });
  });
});

describe('tags', () => {
  it('tags only the caller’s own snapshots', async () => {
    dbSnapshot('manual', 'none', 'orders-1');
    await client(SOURCE).send(new AddTagsToResourceCommand({ ResourceName: arnOf('orders-1'), Tags: [{ Key: 'team', Value: 'orders' }] }));
    const [snapshot] = (await client(SOURCE).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'orders-1' }))).DBSnapshots!;
    expect(snapshot?.TagList).toEqual([{ Key: 'team', Value: 'orders' }]);
    await expect(
      client(VAULT).send(new AddTagsToResourceCommand({ ResourceName: arnOf('orders-1'), Tags: [{ Key: 'x', Value: 'y' }] })),
    ).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });
});

describe('copies across accounts and Regions in one step', () => {
  const otherClient = (account: string) => new RDSClient(cloud.clientConfig(cloud.adminCredentials(account), OTHER));
  /** A key in OTHER, owned by SOURCE, that lets VAULT describe it and create grants on it through RDS in OTHER. */
  const otherShareKey = () =>
    kms.createKey(SOURCE, OTHER, {
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: rootArn(SOURCE) }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: rootArn(VAULT) }, Action: ['kms:DescribeKey', 'kms:CreateGrant'], Resource: '*' },
        ],
      },
    }).arn;

  it('copies a snapshot shared from another Region by its ARN, under an enabled key of the destination Region only', async () => {
    const key = otherShareKey();
    rds.createDBSnapshot(SOURCE, OTHER, { db: 'orders', type: 'manual', id: 'orders-1', encryption: 'none' });
    cloud.clock.advance(5 * MINUTE);
    await otherClient(SOURCE).send(
      new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: 'orders-1', TargetDBSnapshotIdentifier: 'shared', KmsKeyId: key }),
    );
    cloud.clock.advance(10 * MINUTE);
    await otherClient(SOURCE).send(
      new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'shared', AttributeName: 'restore', ValuesToAdd: [VAULT] }),
    );
    const source = `arn:aws:rds:${OTHER}:${SOURCE}:snapshot:shared`;
    const copy = (KmsKeyId?: string) =>
      client(VAULT).send(
        new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: source, TargetDBSnapshotIdentifier: 'vault-copy', KmsKeyId }),
      );
    await expect(copy()).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    // "KMS keys are specific to the AWS Region that they are created in": the source Region's key is not one of the destination's.
    await expect(copy(kms.createKey(VAULT, OTHER, {}).arn)).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    const target = vaultKey();
    // A key that is not enabled is refused at the call ("does not exist, is not enabled or you do not have permissions to access it").
    kms.resolveKey(target, VAULT, REGION).enabled = false;
    await expect(copy(target)).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
    kms.resolveKey(target, VAULT, REGION).enabled = true;
    const { DBSnapshot } = await copy(target);
    expect(DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: target, SourceDBSnapshotIdentifier: source });
    expect(rds.snapshots(rds.instanceSnapshots.family, VAULT)).toMatchObject([{ id: 'vault-copy', region: REGION }]);
  });

  it('refuses a cross-Region copy of a snapshot with permanent or persistent options unless OptionGroupName names one', async () => {
    const tde = { name: 'oracle-tde', persistentOptions: true };
    rds.createDBSnapshot(SOURCE, OTHER, { db: 'erp', type: 'manual', id: 'erp-1', encryption: 'none', optionGroup: tde });
    cloud.clock.advance(5 * MINUTE);
    const copy = (OptionGroupName?: string) =>
      client(SOURCE).send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: `arn:aws:rds:${OTHER}:${SOURCE}:snapshot:erp-1`,
          TargetDBSnapshotIdentifier: 'erp-1-here',
          OptionGroupName,
        }),
      );
    await expect(copy()).rejects.toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringMatching(/OptionGroupName/) });
    await expect(copy('oracle-tde-eu-west-1')).resolves.toMatchObject({ DBSnapshot: { OptionGroupName: 'oracle-tde-eu-west-1' } });
  });
});

describe('RDS rules the simulation holds besides copies', () => {
  it('refuses to share a snapshot whose option group holds permanent or persistent options', async () => {
    rds.createDBSnapshot(SOURCE, REGION, {
      db: 'erp',
      type: 'manual',
      id: 'erp-1',
      encryption: 'none',
      optionGroup: { name: 'oracle-tde', persistentOptions: true },
    });
    rds.createDBSnapshot(SOURCE, REGION, {
      db: 'app',
      type: 'manual',
      id: 'app-1',
      encryption: 'none',
      optionGroup: { name: 'app-options', persistentOptions: false },
    });
    cloud.clock.advance(5 * MINUTE);
    await expect(share('erp-1')).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringMatching(/oracle-tde/),
    });
    await expect(share('app-1')).resolves.toBeDefined();
    const [described] = (await client(SOURCE).send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'erp-1' }))).DBSnapshots!;
    expect(described).toMatchObject({ OptionGroupName: 'oracle-tde' });
  });

  it('runs at most five cluster snapshot copies at once into a Region, twenty DB snapshot copies', async () => {
    setup({ snapshotDurationMs: 0, copyDurationMs: 10 * MINUTE });
    for (let i = 0; i < 6; i++)
      rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: `c${i}`, encryption: 'cmk' });
    cloud.clock.advance(1);
    const copy = (i: number) =>
      client(SOURCE).send(
        new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: `c${i}`, TargetDBClusterSnapshotIdentifier: `c${i}-copy` }),
      );
    for (let i = 0; i < 5; i++) await copy(i);
    await expect(copy(5)).rejects.toMatchObject({
      name: 'SnapshotQuotaExceededFault',
      message: expect.stringMatching(/more than 5 snapshots/),
    });
    expect(rds.options.copyQuota).toBe(20);
  });

  it('puts cluster snapshot events in the backup category and DB snapshot events in creation', () => {
    rds.createDBClusterSnapshot(SOURCE, REGION, { cluster: 'ledger', type: 'manual', id: 'ledger-1' });
    rds.createDBSnapshot(SOURCE, REGION, { db: 'orders', type: 'manual', id: 'orders-1' });
    cloud.clock.advance(5 * MINUTE);
    expect(events.map((e) => [e.detail.EventID, e.detail.EventCategories])).toEqual([
      ['RDS-EVENT-0075', ['backup']],
      ['RDS-EVENT-0042', ['creation']],
    ]);
  });
});
