import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

const gsi = (name: string, hash: string, range: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: hash, KeyType: 'HASH' as const },
    { AttributeName: range, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

/** The catalog table as serverless.yml declares it. */
export const catalogTableDefinition = (TableName: string): CreateTableCommandInput => ({
  TableName,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: ['pk', 'resourcePk', 'createdAt', 'account', 'openState', 'updatedAt', 'availableResourcePk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
  GlobalSecondaryIndexes: [
    gsi('byResource', 'resourcePk', 'createdAt'),
    gsi('byAccount', 'account', 'createdAt'),
    gsi('byState', 'openState', 'updatedAt'),
    gsi('latestAvailable', 'availableResourcePk', 'createdAt'),
  ],
});

/** The audit-log table as serverless.yml declares it. */
export const auditTableDefinition = (TableName: string): CreateTableCommandInput => ({
  TableName,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [
    { AttributeName: 'chain', KeyType: 'HASH' },
    { AttributeName: 'seq', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'chain', AttributeType: 'S' },
    { AttributeName: 'seq', AttributeType: 'N' },
    { AttributeName: 'eventId', AttributeType: 'S' },
    { AttributeName: 'decision', AttributeType: 'S' },
    { AttributeName: 'at', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [gsi('byEvent', 'eventId', 'seq'), gsi('byDecision', 'decision', 'at')],
});

/**
 * Creates the tables unless they exist (a reused data folder), through a DynamoDB client with
 * these settings (the simulated cloud's, or a local dynalite server's): for the hand-wired local
 * hub, and for tests that need a catalog without a hub.
 */
export async function createTables(clientConfig: Record<string, unknown>, tables: { catalog: string; audit: string }): Promise<void> {
  const client = new DynamoDBClient(clientConfig);
  for (const input of [catalogTableDefinition(tables.catalog), auditTableDefinition(tables.audit)]) {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    // A new table answers ResourceNotFoundException until it is ACTIVE; dynalite makes it so on its next timer tick.
    while ((await client.send(new DescribeTableCommand({ TableName: input.TableName }))).Table?.TableStatus !== 'ACTIVE') await new Promise((resolve) => setTimeout(resolve, 0));
  }
  client.destroy();
}
