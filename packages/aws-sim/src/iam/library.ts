import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RequestAnalysis } from '@cloud-copilot/iam-simulate';

/**
 * AWS's evaluation logic, from `@cloud-copilot/iam-simulate` (AGPL-3.0-or-later; a development
 * dependency of this private simulator, never bundled). Its public `runSimulation` is asynchronous
 * (it validates its input against the reference first), and the simulated services authorize in
 * synchronous code (an EBS copy asks KMS on the caller's behalf; an event is delivered on a clock
 * tick), so this binds the library's synchronous core (`authorize`, which `runSimulation` and
 * `runUnsafeSimulation` both end in) with the request, context and policy classes it takes. The
 * package pins the version: `library.test.ts` fails if a new one moves these modules.
 */

/** A policy document as the library loaded it. */
export type LoadedPolicy = { readonly __loaded: unique symbol };

export interface OrgPolicies {
  orgIdentifier: string;
  policies: LoadedPolicy[];
}

export interface CoreRequest {
  /** The principal: an assumed-role session ARN, a root ARN, or a service principal. */
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  context: Record<string, string | string[]>;
  /** The action supports no resource-level permission: only `"*"` in a policy names it. */
  wildcardOnly: boolean;
  identityPolicies: LoadedPolicy[];
  resourcePolicy?: LoadedPolicy;
  serviceControlPolicies: OrgPolicies[];
  resourceControlPolicies: OrgPolicies[];
}

const require = createRequire(import.meta.url);
const root = join(dirname(require.resolve('@cloud-copilot/iam-simulate')));
const core = require(join(root, 'core_engine/CoreSimulatorEngine.js')) as { authorize(input: unknown): RequestAnalysis };
const { AwsRequestImpl } = require(join(root, 'request/request.js')) as {
  AwsRequestImpl: new (
    principal: string,
    resource: { resource: string; accountId: string },
    action: string,
    context: unknown,
    wildcardOnly: boolean,
  ) => unknown;
};
const { RequestContextImpl } = require(join(root, 'requestContext.js')) as {
  RequestContextImpl: new (values: Record<string, string | string[]>) => unknown;
};
const { DiscoveryContextKeyConstraints } = require(join(root, 'context_keys/discoveryContextKeyConstraints.js')) as {
  DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown;
};
const { loadPolicy: load } = require('@cloud-copilot/iam-policy') as {
  loadPolicy(policy: unknown, metadata?: { name?: string }): LoadedPolicy;
};

const strict = { simulationMode: 'Strict', discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]) };

/** Parses a policy document once, for any number of decisions. */
export function loadPolicy(document: unknown, name: string): LoadedPolicy {
  return load(document, { name });
}

/** Decides one request as AWS does: explicit deny, then the identity, resource and organization policies by their rules. */
export function decide(request: CoreRequest): RequestAnalysis {
  return core.authorize({
    request: new AwsRequestImpl(
      request.principal,
      { resource: request.resource, accountId: request.resourceAccount },
      request.action,
      new RequestContextImpl(request.context),
      request.wildcardOnly,
    ),
    sessionPolicy: undefined,
    identityPolicies: request.identityPolicies,
    serviceControlPolicies: request.serviceControlPolicies,
    resourceControlPolicies: request.resourceControlPolicies,
    resourcePolicy: request.resourcePolicy,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: strict,
    serviceSettings: { s3: {} },
  });
}
