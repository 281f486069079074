import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { AwsError } from './errors.js';
import { parseQueryBody, toXml } from '../protocol/query.js';
import type { SimCloud } from '../cloud.js';
import type { CallContext, SimService } from './service.js';

interface Decoded {
  action: string;
  input: Record<string, unknown>;
}

/**
 * The SDK `requestHandler` that sends every request of a real `@aws-sdk/client-*` client to
 * the simulated cloud instead of the network. The SDK serializes, signs, retries and
 * deserializes exactly as it does against AWS.
 */
export class SimHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };

  constructor(private readonly cloud: SimCloud) {}

  async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
    const requestId = randomUUID();
    const serviceName = request.hostname.split('.')[0]!;
    const service = this.cloud.service(serviceName);
    const body = await bodyText(request.body);
    const decoded = decode(service, request, body);
    try {
      const { accessKeyId, region: scopeRegion } = credentialScope(request);
      const region = request.hostname.split('.')[1] === 'amazonaws' ? scopeRegion : request.hostname.split('.')[1]!;
      const ctx: CallContext = { cloud: this.cloud, caller: this.cloud.iam.authenticate(accessKeyId, this.cloud.clock.nowMs()), account: '', region, requestId };
      ctx.account = ctx.caller.account;
      const result = await this.cloud.invoke(service, decoded.action, decoded.input, ctx);
      return { response: success(service, decoded.action, result, requestId) };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return { response: failure(service, error, requestId) };
    }
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  // A view on the same bytes: Buffer.from(body) would call the SDK body adapter's deprecated valueOf().
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function header(request: HttpRequest, name: string): string | undefined {
  const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : request.headers[key];
}

function credentialScope(request: HttpRequest): { accessKeyId: string; region: string } {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(header(request, 'authorization') ?? '');
  if (!match) throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  return { accessKeyId: match[1]!, region: match[2]! };
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
