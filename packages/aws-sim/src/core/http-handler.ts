import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { parseQueryBody, toXml } from '../protocol/query.js';
import { AwsError } from './errors.js';
import type { RestRequest, RestResponse, SimService } from './service.js';

interface Decoded {
  action: string;
  input: Record<string, unknown>;
}

/** The SigV4 credential scope of a request: `Credential=<access key>/<date>/<region>/<service>/aws4_request`. */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  /** The signing name, which names the service (`ec2`, `dynamodb`, …), whatever the host is called. */
  service: string;
}

/** A decoded, signed call on its way to a service. */
export interface SignedCall {
  scope: CredentialScope;
  action: string;
  input: Record<string, unknown>;
  requestId: string;
}

/** What the handler hands a decoded request to: the cloud, which knows the services and the credentials. */
export interface SimDispatcher {
  /** @throws Error when the cloud simulates no service by that signing name */
  service(name: string): SimService;
  dispatch(service: SimService, call: SignedCall): Promise<unknown>;
}

/**
 * The SDK `requestHandler` that sends every request of a real `@aws-sdk/client-*` client to
 * the simulated cloud instead of the network. The SDK serializes, signs, retries and
 * deserializes exactly as it does against AWS. The service and region come from the signature's
 * credential scope, as AWS routes them, not from the host name (ECR's is `api.ecr.<region>…`,
 * a custom endpoint has none).
 */
export class SimHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(private readonly dispatcher: SimDispatcher) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const requestId = randomUUID();
    const scope = credentialScope(request);
    const service = this.dispatcher.service(scope.service);
    const body = await bodyBytes(request.body);
    if (service.rest) return { response: await this.#handleRest(service, scope, restRequest(request, body), requestId) };
    const decoded = decode(service, request, body.toString('utf8'));
    try {
      const result = await this.dispatcher.dispatch(service, { scope, ...decoded, requestId });
      return { response: success(service, decoded.action, result, requestId) };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return { response: failure(service, error, requestId) };
    }
  }

  async #handleRest(service: SimService, scope: CredentialScope, request: RestRequest, requestId: string): Promise<HttpResponse> {
    const codec = service.rest!;
    try {
      const decoded = codec.decode(request);
      const result = await this.dispatcher.dispatch(service, { scope, ...decoded, requestId });
      return restResponse(codec.encode(decoded.action, result, requestId));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return restResponse(codec.encodeError(error, request, requestId));
    }
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  // A view on the same bytes: Buffer.from(body) would call the SDK body adapter's deprecated valueOf().
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function restRequest(request: HttpRequest, body: Buffer): RestRequest {
  const query = Object.fromEntries(
    Object.entries(request.query ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v[0] : (v ?? undefined)] as const),
  ) as Record<string, string | undefined>;
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: request.method, hostname: request.hostname, path: request.path, query, headers, body };
}

/** A streamed payload must reach the SDK as a Node stream; the others as bytes. */
function restResponse(rest: RestResponse): HttpResponse {
  const bytes = typeof rest.body === 'string' ? Buffer.from(rest.body, 'utf8') : (rest.body ?? Buffer.alloc(0));
  return { statusCode: rest.status, headers: rest.headers, body: rest.stream ? Readable.from([bytes]) : bytes } as HttpResponse;
}

function header(request: Pick<HttpRequest, 'headers'>, name: string): string | undefined {
  const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : request.headers[key];
}

/**
 * The credential scope of the SigV4 `Authorization` header.
 * @throws Error for an unsigned request: the simulated cloud serves SDK clients, which always sign
 */
export function credentialScope(request: Pick<HttpRequest, 'headers'>): CredentialScope {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header(request, 'authorization') ?? '');
  if (!match) throw new Error('The request has no SigV4 Authorization header with a credential scope: sign it (every SDK client does)');
  return { accessKeyId: match[1]!, region: match[2]!, service: match[3]! };
}

function decode(service: SimService, request: HttpRequest, body: string): Decoded {
  if (service.protocol === 'ec2' || service.protocol === 'query') {
    const { Action, Version, ...input } = parseQueryBody(body);
    return { action: String(Action), input };
  }
  const target = header(request, 'x-amz-target') ?? '';
  return { action: target.slice(target.indexOf('.') + 1), input: body ? (JSON.parse(body) as Record<string, unknown>) : {} };
}

function response(statusCode: number, contentType: string, text: string, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': contentType, ...headers }, body: Buffer.from(text, 'utf8') } as HttpResponse;
}

function success(service: SimService, action: string, result: unknown, requestId: string): HttpResponse {
  const body = (result ?? {}) as Record<string, unknown>;
  switch (service.protocol) {
    case 'ec2':
      return response(200, 'text/xml', toXml(`${action}Response`, { requestId, ...body }, service.xmlns));
    case 'query':
      return response(
        200,
        'text/xml',
        toXml(`${action}Response`, { [`${action}Result`]: body, ResponseMetadata: { RequestId: requestId } }, service.xmlns),
      );
    default:
      return response(200, `application/x-amz-${service.protocol === 'json1.0' ? 'json-1.0' : 'json-1.1'}`, JSON.stringify(body), {
        'x-amzn-requestid': requestId,
      });
  }
}

function failure(service: SimService, error: AwsError, requestId: string): HttpResponse {
  switch (service.protocol) {
    case 'ec2':
      return response(
        error.status,
        'text/xml',
        toXml('Response', { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId }),
      );
    case 'query':
      return response(
        error.status,
        'text/xml',
        toXml('ErrorResponse', {
          Error: { Type: error.status >= 500 ? 'Receiver' : 'Sender', Code: error.code, Message: error.message },
          RequestId: requestId,
        }),
      );
    default:
      return response(
        error.status,
        `application/x-amz-${service.protocol === 'json1.0' ? 'json-1.0' : 'json-1.1'}`,
        JSON.stringify({ __type: error.code, message: error.message }),
        {
          'x-amzn-requestid': requestId,
          'x-amzn-errortype': error.code,
          // awsQueryCompatible services (SQS) read the legacy code from this header.
          'x-amzn-query-error': `${error.code};${error.status >= 500 ? 'Receiver' : 'Sender'}`,
        },
      );
  }
}
