import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { checkNotInUse } from './data-folder.js';
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
 * A real DynamoDB API server (dynalite) on a free loopback port, outside the simulated cloud: in
 * memory, or in a folder when `path` is given, such as the one a drill left its vault's tables in.
 * `onOperation` hears the name of every API call it receives (`Query`, `PutItem`, …).
 */
export async function startLocalDynamo(options: { path?: string; onOperation?: (operation: string) => void } = {}): Promise<LocalDynamo> {
  if (options.path) await checkNotInUse(options.path);
  const server = loadDynalite()({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const { onOperation } = options;
  // The JSON protocol names the operation in X-Amz-Target: DynamoDB_20120810.<Operation>.
  if (onOperation)
    server.on('request', (request: IncomingMessage) =>
      onOperation(
        String(request.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '',
      ),
    );
  let requests = 0;
  server.on('request', () => requests++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clientConfig = { endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 };
  // dynalite opens its folder in the background; a first request waits for it, so that the folder's
  // lock is held once this returns (another process, or a check of the folder, then sees it in use).
  if (options.path) {
    const client = new DynamoDBClient(clientConfig);
    await client.send(new ListTablesCommand({})).finally(() => client.destroy());
  }
  return {
    endpoint,
    clientConfig,
    requests: () => requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve()))),
  };
}
