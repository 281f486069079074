import type { EventPattern } from '../../../accounts/stack/cloudformation.js';
import { rdsManifest } from '../common/rds-manifest.js';

/** RDS-EVENT-0042: manual DB snapshot created; RDS-EVENT-0091: automated DB snapshot created (RDS User Guide, USER_Events.Messages). */
export const CREATED = ['RDS-EVENT-0042', 'RDS-EVENT-0091'] as const;
/** RDS-EVENT-0197 / 0060: a local / cross-Region DB snapshot copy finished, naming the new copy (same page, category notification). */
export const COPY_FINISHED = ['RDS-EVENT-0197', 'RDS-EVENT-0060'] as const;

/** New snapshots, and finished copies: a source's own (the hub's re-encrypting copy among them). */
export const pattern = {
  source: ['aws.rds'],
  'detail-type': ['RDS DB Snapshot Event'],
  detail: { EventID: [...CREATED, ...COPY_FINISHED] },
} as const satisfies EventPattern;

// Pure: the kind's handler imports only the pattern, and its bundle leaves the statements out.
export const manifest = /* @__PURE__ */ rdsManifest({
  pattern,
  // The vault's own CopyDBSnapshot finishing, in the vault.
  completion: { source: pattern.source, 'detail-type': pattern['detail-type'], detail: { EventID: COPY_FINISHED } },
  queue: {
    timeout: 120,
    // At most 4 CopyDBSnapshot calls in flight from this queue, within "up to 20 snapshot copy
    // requests in progress to a single destination Region per account" (RDS User Guide, "Copying a
    // DB snapshot"; maximumConcurrency cannot go below 2). The manual snapshot quota (100 per region,
    // "Quotas in Amazon RDS") bounds them too: a full quota (SnapshotQuotaExceeded) parks the point
    // in the catalog until the reconciler finds room. Vault copies count against the vault's own
    // quota: raise it before protecting many databases.
    batchSize: 2,
    maximumConcurrency: 2,
    copyQuota: 20,
  },
  arnType: 'snapshot',
  noun: 'DBSnapshot',
  database: { noun: 'DBInstance', arnType: 'db' },
});
