import { DataFolderInUseError, startLocalDynamo } from '@backup-hub/aws-sim';
import { LocalStateError, readLocalState } from '../../drill/local-state.js';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { Catalog } from '../../shared/catalog/catalog.js';
import { SourceInventory } from '../../shared/catalog/source-inventory.js';
import { VaultLock } from '../../shared/retention/vault-lock.js';
import { type AuditSource, LocalSourceError } from './audit-source.js';

/**
 * A local drill's catalog and audit log: dynalite started on the folder `npm start -- --data DIR`
 * left. Its as-of time is the drill's end (simulated time), so ages read as the drill left them.
 *
 * @example
 * const source = await openLocalSource('.backup-hub');
 * @throws LocalSourceError when the folder is missing, holds no drill state, the drill did not finish,
 *   or a drill (or another audit) holds the folder
 */
export async function openLocalSource(dir: string): Promise<AuditSource> {
  let opened: { state: Awaited<ReturnType<typeof readLocalState>>['state']; dynamo: Awaited<ReturnType<typeof startLocalDynamo>> };
  try {
    const { state, dynamoPath } = await readLocalState(dir);
    opened = { state, dynamo: await startLocalDynamo({ path: dynamoPath }) };
  } catch (error) {
    if (error instanceof LocalStateError || error instanceof DataFolderInUseError) throw new LocalSourceError(error.message);
    throw error;
  }
  const { state, dynamo } = opened;
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo(state.vault.region);
  return {
    catalog: new Catalog(db, state.finished.tables.catalog),
    inventory: new SourceInventory(db, state.finished.tables.catalog),
    audit: new AuditLog(db, state.finished.tables.audit, () => new Date()),
    lock: new VaultLock(db, state.finished.tables.audit),
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
