import { Logger } from '@aws-lambda-powertools/logger';
import { AuditLog } from '../audit/audit-log.js';
import { type AwsClients, ssmClient } from '../aws/clients.js';
import { Catalog } from '../catalog/catalog.js';
import { SourceInventory } from '../catalog/source-inventory.js';
import type { HubConfig } from '../config/hub-config.js';
import { SourceRegistry } from '../config/source-registry.js';
import { HubMetrics, type LogLine } from '../metrics/hub-metrics.js';
import { SlotBookmarks } from '../pipeline/fair-share.js';
import { HoldLedger } from '../retention/hold-ledger.js';
import { VaultLock } from '../retention/vault-lock.js';
import type { HubContext } from './hub-context.js';

/** Wires the domain from its configuration, clients and clock; the same wiring in Lambda and in the simulated cloud. */
export function createHubContext(options: {
  config: HubConfig;
  aws: AwsClients;
  now?: () => Date;
  logger?: Logger;
  /** The function's log stream, for its metrics; stdout when absent (Lambda's). */
  stdout?: LogLine;
  /** The session name of the sources' reader role, what their CloudTrail shows: the function's name in Lambda. */
  sessionName?: string;
}): HubContext {
  const { config, aws } = options;
  const now = options.now ?? (() => new Date());
  const db = aws.dynamo(config.tablesRegion ?? config.vaultRegion);
  const logger = options.logger ?? new Logger({ serviceName: 'backup-hub' });
  const catalog = new Catalog(db, config.catalogTable);
  return {
    config,
    aws,
    sources: new SourceRegistry(() => ssmClient(aws, config.vaultRegion), config.sourcesPath, now),
    catalog,
    slots: new SlotBookmarks((key) => catalog.bookmark(key), now),
    inventory: new SourceInventory(db, config.catalogTable),
    lock: new VaultLock(db, config.auditTable),
    holds: new HoldLedger(db, config.auditTable),
    audit: new AuditLog(db, config.auditTable, now),
    logger,
    metrics: new HubMetrics(now, options.stdout, logger),
    now,
  };
}
