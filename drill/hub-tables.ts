import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { vaultTables } from '../accounts/stack/vault-stack.js';

/** A table resource of the vault stack as a CreateTable request: its properties are the API's, but those CreateTable does not take. */
function createTableInput(table: { Properties?: Record<string, unknown> }, TableName: string): CreateTableCommandInput {
  const { PointInTimeRecoverySpecification, ...properties } = table.Properties ?? {};
  return { ...properties, TableName } as CreateTableCommandInput;
}

/**
 * Creates the vault stack's catalog and audit-log tables under other names, unless they exist (a
 * reused data folder), through a DynamoDB client with these settings (a local dynalite server's, or
 * the simulated cloud's): for tests and benchmarks that need a catalog without a hub.
 */
export async function createTables(clientConfig: Record<string, unknown>, tables: { catalog: string; audit: string }): Promise<void> {
  const { CatalogTable, AuditTable } = vaultTables();
  const client = new DynamoDBClient(clientConfig);
  for (const input of [createTableInput(CatalogTable, tables.catalog), createTableInput(AuditTable, tables.audit)]) {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    // A new table answers ResourceNotFoundException until it is ACTIVE; dynalite makes it so on its next timer tick.
    while ((await client.send(new DescribeTableCommand({ TableName: input.TableName }))).Table?.TableStatus !== 'ACTIVE')
      await new Promise((resolve) => setTimeout(resolve, 0));
  }
  client.destroy();
}
