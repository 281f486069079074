import {
  CopyDBClusterSnapshotCommand,
  type DBClusterSnapshot,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  ModifyDBClusterSnapshotAttributeCommand,
} from '@aws-sdk/client-rds';
import { isAwsError } from '../../aws/aws-errors.js';
import type { ArtifactKind } from '../common/artifact-kind.js';
import { tagMap } from '../common/provenance-tags.js';
import { RDS_PAGE, type RdsSnapshotApi, type RdsSnapshotFacts, rdsArtifactKind, snapshotTypeOf } from '../common/rds-snapshot-kind.js';
import { pattern } from './manifest.js';

const NOT_FOUND = 'DBClusterSnapshotNotFoundFault';

/** The DB cluster snapshot calls of the RDS API. */
const dbClusterSnapshotApi: RdsSnapshotApi = {
  notFound: NOT_FOUND,
  element: 'DBClusterSnapshot',
  async describe(rds, identifier) {
    try {
      const { DBClusterSnapshots } = await rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: identifier, SnapshotType: snapshotTypeOf(identifier) }),
      );
      return DBClusterSnapshots?.[0] && facts(DBClusterSnapshots[0]);
    } catch (error) {
      if (isAwsError(error, NOT_FOUND)) return undefined;
      throw error;
    }
  },
  async list(rds, Marker) {
    const page = await rds.send(new DescribeDBClusterSnapshotsCommand({ MaxRecords: RDS_PAGE, Marker }));
    return { snapshots: (page.DBClusterSnapshots ?? []).map(facts), marker: page.Marker };
  },
  async databases(rds, Marker) {
    const page = await rds.send(new DescribeDBClustersCommand({ MaxRecords: RDS_PAGE, Marker }));
    return {
      databases: (page.DBClusters ?? []).map((d) => ({ resourceId: d.DBClusterIdentifier!, tags: tagMap(d.TagList) })),
      marker: page.Marker,
    };
  },
  async find(rds, identifiers) {
    const page = await rds.send(
      new DescribeDBClusterSnapshotsCommand({ Filters: [{ Name: 'db-cluster-snapshot-id', Values: identifiers }], MaxRecords: RDS_PAGE }),
    );
    return (page.DBClusterSnapshots ?? []).map(facts);
  },
  async copy(rds, input) {
    const { DBClusterSnapshot } = await rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: input.source,
        TargetDBClusterSnapshotIdentifier: input.target,
        KmsKeyId: input.kmsKeyId,
        Tags: input.tags,
      }),
    );
    return facts(DBClusterSnapshot!);
  },
  async setRestore(rds, identifier, change) {
    await rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: identifier,
        AttributeName: 'restore',
        ValuesToAdd: change.add,
        ValuesToRemove: change.remove,
      }),
    );
  },
  async delete(rds, identifier) {
    await rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: identifier }));
  },
};

function facts(s: DBClusterSnapshot): RdsSnapshotFacts {
  return {
    id: s.DBClusterSnapshotIdentifier!,
    arn: s.DBClusterSnapshotArn!,
    resourceId: s.DBClusterIdentifier ?? 'unknown-db-cluster',
    status: s.Status ?? 'unknown',
    type: s.SnapshotType ?? 'unknown',
    encrypted: s.StorageEncrypted === true,
    kmsKeyId: s.KmsKeyId,
    createdAt: s.SnapshotCreateTime,
    tags: tagMap(s.TagList),
  };
}

/** Aurora DB cluster snapshots announced by `RDS DB Cluster Snapshot Event`: RDS-EVENT-0075 (manual) and RDS-EVENT-0169 (automated) "cluster snapshot created". */
export const rdsClusterSnapshot: ArtifactKind<'rds-cluster-snapshot'> = rdsArtifactKind({
  name: 'rds-cluster-snapshot',
  detailType: pattern['detail-type'][0],
  createdEventIds: pattern.detail.EventID,
  // The DB cluster snapshot events list no "copy finished" (USER_Events.Messages): the reconciler completes these copies.
  copyFinishedEventIds: [],
  arnType: 'cluster-snapshot',
  // "If you copy an unencrypted DB cluster snapshot and specify a value for the KmsKeyId parameter, an error is returned."
  encryptsOnCopy: false,
  api: dbClusterSnapshotApi,
});
