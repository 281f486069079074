import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { AwsError } from '../../core/errors.js';
import { checkNotInUse } from './data-folder.js';
import { DynamoEngine } from './engine.js';

export interface LocalDynamo {
  endpoint: string;
  /** Client settings that send a DynamoDB client to this server. */
  clientConfig: Record<string, unknown>;
  /** Requests the server has received, from every client. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A real DynamoDB API server on a free loopback port, outside the simulated cloud: the simulator's
 * own engine (dynalite, and the PartiQL INSERT the engine adds) behind the JSON 1.0 protocol, in
 * memory, or in a folder when `path` is given, such as the one a drill left its vault's tables in.
 * `onOperation` hears the name of every API call it receives (`Query`, `PutItem`, …).
 */
export async function startLocalDynamo(options: { path?: string; onOperation?: (operation: string) => void } = {}): Promise<LocalDynamo> {
  if (options.path) await checkNotInUse(options.path);
  // dynalite's own server names the same account and region when the environment names none.
  const engine = new DynamoEngine({ account: '000000000000', region: 'us-east-1', ...(options.path ? { path: options.path } : {}) });
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    // The JSON protocol names the operation in X-Amz-Target: DynamoDB_20120810.<Operation>.
    const operation =
      String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    options.onOperation?.(operation);
    void answer(engine, operation, request, response);
  });
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
    close: async () => {
      await new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve())));
      await engine.close();
    },
  };
}

/** One request: the engine's result as JSON, or DynamoDB's error as the JSON protocol carries it. */
async function answer(engine: DynamoEngine, operation: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const send = (status: number, body: unknown) => {
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(body));
  };
  try {
    send(200, await engine.run(operation, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    send(error.status, { __type: `com.amazonaws.dynamodb.v20120810#${error.code}`, message: error.message });
  }
}
