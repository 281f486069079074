import type { EventPattern } from '../../../accounts/stack/cloudformation.js';
import { rdsManifest } from '../common/rds-manifest.js';

/** RDS-EVENT-0075: manual DB cluster snapshot created; RDS-EVENT-0169: automated cluster snapshot created (RDS User Guide, USER_Events.Messages). */
export const pattern = {
  source: ['aws.rds'],
  'detail-type': ['RDS DB Cluster Snapshot Event'],
  detail: { EventID: ['RDS-EVENT-0075', 'RDS-EVENT-0169'] },
} as const satisfies EventPattern;

// Pure: the kind's handler imports only the pattern, and its bundle leaves the statements out.
export const manifest = /* @__PURE__ */ rdsManifest({
  pattern,
  queue: {
    timeout: 120,
    // At most 4 CopyDBClusterSnapshot calls in flight from this queue, within "up to five snapshot
    // copy requests in progress to a single destination Region per account" (Aurora User Guide,
    // "Copying a DB cluster snapshot"; maximumConcurrency cannot go below 2). The manual cluster
    // snapshot quota (100 per region, "Quotas in Amazon RDS") bounds them too: a full quota
    // (SnapshotQuotaExceeded) parks the point in the catalog until the reconciler finds room.
    batchSize: 2,
    maximumConcurrency: 2,
    copyQuota: 5,
  },
  arnType: 'cluster-snapshot',
  noun: 'DBClusterSnapshot',
  database: { noun: 'DBCluster', arnType: 'cluster' },
});
