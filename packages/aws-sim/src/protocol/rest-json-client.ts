import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import type { SimClientConfig } from '../core/cloud-core.js';
import { AwsError } from '../core/errors.js';

/** SHA-256 for the signer, from Node's crypto (an HMAC when given a secret). */
class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** One REST-JSON request: the method and path of the operation, and its JSON body. */
export interface RestJsonRequest {
  method: string;
  path: string;
  body?: unknown;
}

/**
 * Calls a REST-JSON service of the simulated cloud for which the project has no SDK v3 client
 * (Recycle Bin): a SigV4-signed request through the same request handler the SDK clients use.
 * @returns the parsed response body
 * @throws AwsError with the service's error type and message
 */
export async function restJsonCall(config: SimClientConfig, service: string, request: RestJsonRequest): Promise<Record<string, unknown>> {
  const hostname = `${service}.${config.region}.amazonaws.com`;
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const signer = new SignatureV4({ service, region: config.region, credentials: config.credentials, sha256: NodeSha256 });
  const signed = await signer.sign({
    method: request.method,
    protocol: 'https:',
    hostname,
    path: request.path,
    query: {},
    headers: {
      host: hostname,
      'content-type': 'application/json',
      ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
    },
    body,
  });
  const { response } = await config.requestHandler.handle(signed);
  const text = Buffer.from(response.body as Uint8Array).toString('utf8');
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (response.statusCode >= 300)
    throw new AwsError(response.headers['x-amzn-errortype'] ?? 'UnknownError', String(parsed.message ?? text), response.statusCode);
  return parsed;
}
