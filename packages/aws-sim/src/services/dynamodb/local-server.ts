import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { Level } from 'level';
import { loadDynalite } from './dynalite-whole-index-keys.js';

export interface LocalDynamo {
  endpoint: string;
  /** Client settings that send a DynamoDB client to this server. */
  clientConfig: Record<string, unknown>;
  /** Requests the server has received, from every client. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A real DynamoDB API server (dynalite) on a free loopback port: in memory, or in a folder
 * when `path` is given so a later run (the audit CLI) can read what a drill left.
 * `onOperation` hears the name of every API call it receives (`Query`, `PutItem`, …).
 */
export async function startLocalDynamo(options: { path?: string; onOperation?: (operation: string) => void } = {}): Promise<LocalDynamo> {
  if (options.path) await checkNotInUse(options.path);
  const server = loadDynalite()({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const { onOperation } = options;
  // The JSON protocol names the operation in X-Amz-Target: DynamoDB_20120810.<Operation>.
  if (onOperation) server.on('request', (request: IncomingMessage) => onOperation(String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? ''));
  let requests = 0;
  server.on('request', () => requests++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    clientConfig: { endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 },
    requests: () => requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve()))),
  };
}

/** A data folder another process holds open (a drill still running, or an audit reading it). */
export class DataFolderInUseError extends Error {
  constructor(readonly path: string) {
    super(`${path} is in use by another process (a drill still running, or an audit reading it); wait for it to finish`);
    this.name = 'DataFolderInUseError';
  }
}

/**
 * Tries the LevelDB lock of a data folder: dynalite crashes its process when the lock is held, and
 * a folder in use must not be cleared for a new drill.
 *
 * @throws DataFolderInUseError when another process holds it
 */
export async function checkNotInUse(path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') throw new DataFolderInUseError(path);
    throw error;
  }
  await db.close();
}

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

/** Creates the tables unless they exist (a reused data folder). */
export async function createTables(dynamo: LocalDynamo, tables: { catalog: string; audit: string }): Promise<void> {
  const client = new DynamoDBClient(dynamo.clientConfig);
  for (const input of [catalogTableDefinition(tables.catalog), auditTableDefinition(tables.audit)]) {
    try {
      await client.send(new CreateTableCommand(input));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  client.destroy();
}
