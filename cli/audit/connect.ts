import { startLocalDynamo } from '@backup-hub/aws-sim';
import { NAMES } from '../../accounts/stack/names.js';
import { readLocalState } from '../../drill/local-state.js';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import type { AccountsConfig } from '../../shared/config/accounts.js';
import { VaultLock } from '../../shared/retention/vault-lock.js';

/** Where the audit reads: the vault's tables on AWS, or a local drill's folder. */
export interface AuditSource {
  catalog: Catalog;
  audit: AuditLog;
  /** The vault lock in force, kept in the catalog table. */
  lock: VaultLock;
  /** The source accounts the vault copies from. */
  accounts: string[];
  /** The as-of time when none is given, and why. */
  defaultUntil: Date;
  untilNote: string;
  /** One line for the report's header. */
  description: string;
  close(): Promise<void>;
}

/**
 * The vault's catalog and audit log on AWS, through the standard credential chain (AWS_PROFILE,
 * SSO, environment, instance or task role) and the region of the vault's account file.
 *
 * @example
 * const source = openAwsSource({ region: 'eu-west-1' }, loadAccounts());
 */
export function openAwsSource(
  options: { region?: string; catalogTable?: string; auditTable?: string },
  config: AccountsConfig,
): AuditSource {
  const region = options.region ?? config.vault.regions[0]!;
  const catalogTable = options.catalogTable ?? NAMES.catalogTable;
  const auditTable = options.auditTable ?? NAMES.auditTable;
  const aws = new AwsClients({ defaults: { retryMode: 'adaptive', maxAttempts: 8 } });
  const db = aws.dynamo(region);
  return {
    catalog: new Catalog(db, catalogTable),
    audit: new AuditLog(db, auditTable, () => new Date()),
    lock: new VaultLock(db, catalogTable),
    accounts: config.vault.allowedSources,
    defaultUntil: new Date(),
    untilNote: 'now',
    description: `AWS, vault ${config.vault.id}: tables ${catalogTable} and ${auditTable} in ${region}`,
    close: async () => db.destroy(),
  };
}

/**
 * A local drill's catalog and audit log: dynalite started on the folder `npm start -- --data DIR`
 * left. Its as-of time is the drill's end (simulated time), so ages read as the drill left them.
 *
 * @example
 * const source = await openLocalSource('.backup-hub');
 * @throws LocalStateError when the folder is missing, holds no drill state, or the drill did not finish
 * @throws DataFolderInUseError while a drill (or another audit) holds the folder
 */
export async function openLocalSource(dir: string): Promise<AuditSource> {
  const { state, dynamoPath } = await readLocalState(dir);
  const dynamo = await startLocalDynamo({ path: dynamoPath });
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo(state.vault.region);
  return {
    catalog: new Catalog(db, state.finished.tables.catalog),
    audit: new AuditLog(db, state.finished.tables.audit, () => new Date()),
    lock: new VaultLock(db, state.finished.tables.catalog),
    accounts: state.sources.map((s) => s.account),
    defaultUntil: new Date(state.finished.endedAt),
    untilNote: 'the end of the drill, simulated time',
    description: `local drill state ${dir} (drill ${state.drill}, vault ${state.vault.account} in ${state.vault.region})`,
    close: async () => {
      db.destroy();
      await dynamo.close();
    },
  };
}
