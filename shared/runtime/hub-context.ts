import type { Logger } from '@aws-lambda-powertools/logger';
import type { AuditLog } from '../audit/audit-log.js';
import type { AwsClients } from '../aws/clients.js';
import type { Catalog } from '../catalog/catalog.js';
import type { SourceInventory } from '../catalog/source-inventory.js';
import type { HubConfig } from '../config/hub-config.js';
import type { SourceRegistry } from '../config/source-registry.js';
import type { HubMetrics } from '../metrics/hub-metrics.js';
import type { SlotBookmarks } from '../pipeline/fair-share.js';
import type { HoldLedger } from '../retention/hold-ledger.js';
import type { VaultLock } from '../retention/vault-lock.js';

/** Everything the domain needs, built once per Lambda container (or per simulated vault). */
export interface HubContext {
  config: HubConfig;
  aws: AwsClients;
  /** The sources the vault stack recorded: an event from any other account is rejected. */
  sources: SourceRegistry;
  catalog: Catalog;
  /** What the sweep saw in the sources, and where it stands in each: in the catalog table. */
  inventory: SourceInventory;
  /** The vault lock, its records in the audit table. */
  lock: VaultLock;
  /** The legal holds' insert-only records, in the audit table. */
  holds: HoldLedger;
  audit: AuditLog;
  logger: Logger;
  /** What the reconciler last found of the copy slots: the sources over their pending cap, the quotas with a line. */
  slots: SlotBookmarks;
  /** Metrics as embedded-metric-format log lines: no API call. */
  metrics: HubMetrics;
  now: () => Date;
}
