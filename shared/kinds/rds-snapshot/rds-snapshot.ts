import {
  CopyDBSnapshotCommand,
  type DBSnapshot,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBSnapshotAttributeCommand,
} from '@aws-sdk/client-rds';
import { isAwsError } from '../../aws/aws-errors.js';
import type { ArtifactKind } from '../common/artifact-kind.js';
import { tagMap } from '../common/provenance-tags.js';
import { RDS_PAGE, type RdsSnapshotApi, type RdsSnapshotFacts, rdsArtifactKind, snapshotTypeOf } from '../common/rds-snapshot-kind.js';
import { COPY_FINISHED, CREATED, pattern } from './manifest.js';

const NOT_FOUND = 'DBSnapshotNotFoundFault';

/** The DB instance snapshot calls of the RDS API. */
const dbSnapshotApi: RdsSnapshotApi = {
  notFound: NOT_FOUND,
  element: 'DBSnapshot',
  async describe(rds, identifier) {
    try {
      const { DBSnapshots } = await rds.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier, SnapshotType: snapshotTypeOf(identifier) }),
      );
      return DBSnapshots?.[0] && facts(DBSnapshots[0]);
    } catch (error) {
      if (isAwsError(error, NOT_FOUND)) return undefined;
      throw error;
    }
  },
  async list(rds, Marker) {
    const page = await rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: RDS_PAGE, Marker }));
    return { snapshots: (page.DBSnapshots ?? []).map(facts), marker: page.Marker };
  },
  async databases(rds, Marker) {
    const page = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: RDS_PAGE, Marker }));
    return {
      databases: (page.DBInstances ?? []).map((d) => ({ resourceId: d.DBInstanceIdentifier!, tags: tagMap(d.TagList) })),
      marker: page.Marker,
    };
  },
  async find(rds, identifiers) {
    const page = await rds.send(
      new DescribeDBSnapshotsCommand({ Filters: [{ Name: 'db-snapshot-id', Values: identifiers }], MaxRecords: RDS_PAGE }),
    );
    return (page.DBSnapshots ?? []).map(facts);
  },
  async copy(rds, input) {
    const { DBSnapshot } = await rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: input.source,
        TargetDBSnapshotIdentifier: input.target,
        KmsKeyId: input.kmsKeyId,
        Tags: input.tags,
        OptionGroupName: input.optionGroupName,
      }),
    );
    return facts(DBSnapshot!);
  },
  async setRestore(rds, identifier, change) {
    await rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: identifier,
        AttributeName: 'restore',
        ValuesToAdd: change.add,
        ValuesToRemove: change.remove,
      }),
    );
  },
  async delete(rds, identifier) {
    await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: identifier }));
  },
};

function facts(s: DBSnapshot): RdsSnapshotFacts {
  return {
    id: s.DBSnapshotIdentifier!,
    arn: s.DBSnapshotArn!,
    resourceId: s.DBInstanceIdentifier ?? 'unknown-db-instance',
    status: s.Status ?? 'unknown',
    type: s.SnapshotType ?? 'unknown',
    encrypted: s.Encrypted === true,
    kmsKeyId: s.KmsKeyId,
    createdAt: s.SnapshotCreateTime,
    tags: tagMap(s.TagList),
    optionGroupName: s.OptionGroupName,
  };
}

/** RDS DB instance snapshots announced by `RDS DB Snapshot Event`: RDS-EVENT-0042 (manual) and RDS-EVENT-0091 (automated) "snapshot created". */
export const rdsSnapshot: ArtifactKind<'rds-snapshot'> = rdsArtifactKind({
  name: 'rds-snapshot',
  detailType: pattern['detail-type'][0],
  createdEventIds: CREATED,
  copyFinishedEventIds: COPY_FINISHED,
  arnType: 'snapshot',
  // "If you specify this parameter when you copy an unencrypted snapshot, the copy is encrypted" (CopyDBSnapshot, KmsKeyId).
  encryptsOnCopy: true,
  api: dbSnapshotApi,
});
