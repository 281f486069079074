import type { AuthorizationRequest } from '../iam/authorizer.js';
import type { Principal } from '../services/iam/iam.js';

export type WireProtocol = 'ec2' | 'query' | 'json1.0' | 'json1.1';

/** One call as the service sees it after authentication. */
export interface CallContext {
  caller: Principal;
  /** The caller's account: the account the call acts in. */
  account: string;
  /** The region of the request's SigV4 credential scope. */
  region: string;
  requestId: string;
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
  call(action: string, input: Record<string, unknown>, ctx: CallContext): unknown;
  /**
   * What AWS authorizes for a call, before it runs: the action on each resource it names (a copy on
   * its source and on the new resource), with the condition keys the service fills in. Without it,
   * the action is authorized on `*`.
   */
  authorization?(action: string, input: Record<string, unknown>, ctx: CallContext): AuthorizationRequest[];
}
