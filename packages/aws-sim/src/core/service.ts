import type { AuthorizationRequest } from '../iam/authorizer.js';
import type { Principal } from '../services/iam/iam.js';
import type { AwsError } from './errors.js';
import type { ThrottleBucket } from './throttle.js';

export type WireProtocol = 'ec2' | 'query' | 'json1.0' | 'json1.1' | 'rest-xml' | 'rest-json';

/** One call as the service sees it after authentication. */
export interface CallContext {
  caller: Principal;
  /** The caller's account: the account the call acts in. */
  account: string;
  /** The region of the request's SigV4 credential scope. */
  region: string;
  requestId: string;
}

/** A request to a REST service as it arrived: S3 names its operation by method, path and query, not by an action parameter. */
export interface RestRequest {
  method: string;
  hostname: string;
  /** The path as sent (URI-encoded). */
  path: string;
  query: Record<string, string | undefined>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/** A REST response: status, headers and body; `stream` for operations whose payload the SDK reads as a stream (GetObject). */
export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
  stream?: boolean;
}

/** How a REST service reads its requests and writes its responses (the other protocols are the handler's own). */
export interface RestCodec {
  decode(request: RestRequest): { action: string; input: Record<string, unknown> };
  encode(action: string, result: unknown, requestId: string): RestResponse;
  encodeError(error: AwsError, request: RestRequest, requestId: string): RestResponse;
}

/**
 * The API of a simulated AWS service. `call` receives the decoded request (query bodies as nested
 * objects, JSON bodies as parsed) and returns the result in wire shape: for XML protocols the
 * element tree under the result element, for JSON the response object.
 */
export interface SimService {
  /** The SigV4 signing name (`ec2`, `sts`, `kms`, `events`, `sqs`, `dynamodb`, …), also the IAM service prefix. */
  readonly name: string;
  /** The IAM prefix when it is not the signing name (CloudWatch signs as `monitoring`, authorizes as `cloudwatch`). */
  readonly iamPrefix?: string;
  readonly protocol: WireProtocol;
  /** XML namespace of the responses (XML protocols). */
  readonly xmlns?: string;
  /** For the REST protocols (`rest-xml`, `rest-json`): how requests are read and responses written. */
  readonly rest?: RestCodec;
  call(action: string, input: Record<string, unknown>, ctx: CallContext): unknown;
  /**
   * What AWS authorizes for a call, before it runs: the action on each resource it names (a copy on
   * its source and on the new resource), with the condition keys the service fills in. Without it,
   * the action is authorized on `*`.
   */
  authorization?(action: string, input: Record<string, unknown>, ctx: CallContext): AuthorizationRequest[];
  /** The request token bucket a call takes from, when the service's throttling is simulated. */
  throttle?(action: string): ThrottleBucket | undefined;
}
