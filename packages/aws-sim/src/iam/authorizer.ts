import type { PolicyDocument } from '../policy/resource-policy.js';
import type { Principal } from '../services/iam/iam.js';
import { type CoreRequest, decide, type LoadedPolicy, loadPolicy, type OrgPolicies } from './library.js';
import { isMultivaluedKey, isWildcardOnly } from './reference.js';

/** The kinds of policy that allow or refuse a call, as a refusal names them. */
export type PolicyType =
  | 'identity'
  | 'key policy'
  | 'grant'
  | 'trust policy'
  | 'bus policy'
  | 'queue policy'
  | 'function policy'
  | 'share attribute'
  | 'scp'
  | 'rcp';

/** A resource's own policy: a key policy, a role's trust policy, a bus or queue policy, or what a share attribute allows. */
export interface ResourcePolicy {
  type: Exclude<PolicyType, 'identity' | 'grant' | 'scp' | 'rcp'>;
  /** The ARN of the resource that holds the policy. */
  owner: string;
  document: PolicyDocument;
}

/** One statement of one policy: an identity policy (`<role ARN>#<policy name>`) or a resource's policy (its ARN). */
export interface StatementRef {
  type: PolicyType;
  policy: string;
  /** The statement's Sid, or its 1-based position when it has none. */
  sid: string;
}

/** What a KMS grant gives the caller on a key: use in its own right, or only with its account's IAM. */
export interface GrantAccess {
  match: 'principal' | 'account';
  grant: StatementRef;
}

/** One authorization, as the service supplies it: the action on one resource, with the request's condition keys. */
export interface AuthorizationRequest {
  /** `ec2:CopySnapshot` */
  action: string;
  /** The resource's ARN, or `*` for an action without resource-level permission. */
  resource: string;
  /** The account the resource is in (EC2 snapshot and image ARNs carry none). */
  resourceAccount: string;
  /** The condition keys the service fills in for this action (the global principal keys are added here). */
  context?: Record<string, string | readonly string[] | undefined>;
  resourcePolicy?: ResourcePolicy;
  grant?: GrantAccess;
  /** The service making the request on the caller's behalf (`ec2.eu-west-1.amazonaws.com`). */
  via?: string;
}

/** Who asks: a principal of an account (its root, or a role session), or an AWS service. */
export type Caller = Principal | { service: string; account?: undefined };

/** A decision, with what made it. */
export interface Authorization {
  action: string;
  resource: string;
  allowed: boolean;
  /** The policies that refused it (AWS's order of evaluation: explicit denies first). */
  refusedBy?: PolicyType[];
  explicitDeny?: boolean;
  /** Every statement that allowed it. */
  allowedBy: StatementRef[];
  /** The statements without any one of which it would have been refused. */
  decisive: StatementRef[];
  via?: string;
}

/** The organization policies that bind an account: service control policies for its principals, resource control policies for its resources. */
export interface ControlPolicies {
  scps: { orgIdentifier: string; policies: { name: string; document: PolicyDocument }[] }[];
  rcps: { orgIdentifier: string; policies: { name: string; document: PolicyDocument }[] }[];
}

/** An account's root may do anything IAM can allow (resource policies and organization policies still apply). */
const ROOT_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const ROOT_POLICY_NAME = '(account root)';
/** Decisions kept per distinct request; a soak's calls repeat a few hundred shapes over many resources. */
const CACHE_LIMIT = 100_000;

type Sets = { identity: number; principal: number; account: number; grantPrincipal: number; grantAccount: number };

/**
 * Decides every simulated request through AWS's evaluation logic ({@link decide}): the caller's
 * identity policies, the resource's policy, the organization's SCPs and RCPs, with the condition
 * keys the service supplied and the global ones AWS adds. Policies are parsed once per document;
 * decisions are kept per distinct request.
 */
export class Authorizer {
  readonly #loaded = new WeakMap<object, LoadedPolicy>();
  readonly #ids = new WeakMap<object, number>();
  readonly #decisions = new Map<string, Omit<Authorization, 'via'>>();
  #nextId = 1;
  /** Decisions made through the library (not from the cache): for the benchmarks. */
  evaluations = 0;

  constructor(
    private readonly organization: {
      orgOf(account: string): string | undefined;
      controlPolicies(account: string): ControlPolicies | undefined;
    },
  ) {}

  /** Decides one request for a caller in a region. */
  authorize(caller: Caller, request: AuthorizationRequest, region: string): Authorization {
    const core = this.#coreRequest(caller, request, region);
    const key = this.#cacheKey(core, request);
    let decision = this.#decisions.get(key);
    if (!decision) {
      this.evaluations++;
      decision = this.#decide(caller, core, request);
      if (this.#decisions.size >= CACHE_LIMIT) this.#decisions.clear();
      this.#decisions.set(key, decision);
    }
    return request.via === undefined ? decision : { ...decision, via: request.via };
  }

  #coreRequest(caller: Caller, request: AuthorizationRequest, region: string): CoreRequest {
    const principal = 'service' in caller ? caller.service : (caller.sessionArn ?? caller.arn);
    const control = caller.account === undefined ? undefined : this.organization.controlPolicies(caller.account);
    const resourceControl = this.organization.controlPolicies(request.resourceAccount);
    return {
      principal,
      action: request.action,
      resource: request.resource,
      resourceAccount: request.resourceAccount,
      context: this.#context(caller, request, region),
      wildcardOnly: isWildcardOnly(request.action),
      identityPolicies: 'service' in caller ? [] : this.#identityPolicies(caller),
      resourcePolicy: request.resourcePolicy && this.#load(request.resourcePolicy.document, request.resourcePolicy.owner),
      serviceControlPolicies: this.#orgPolicies(control?.scps),
      resourceControlPolicies: this.#orgPolicies(resourceControl?.rcps),
    };
  }

  /** The request's condition keys, with those AWS adds for every request; multivalued keys as lists. */
  #context(caller: Caller, request: AuthorizationRequest, region: string): Record<string, string | string[]> {
    const principalKeys: Record<string, string | undefined> =
      'service' in caller
        ? { 'aws:PrincipalServiceName': caller.service, 'aws:PrincipalIsAWSService': 'true' }
        : {
            'aws:PrincipalArn': caller.arn,
            'aws:PrincipalAccount': caller.account,
            'aws:PrincipalOrgID': this.organization.orgOf(caller.account),
            'aws:PrincipalType': caller.role ? 'AssumedRole' : 'Account',
            'aws:PrincipalIsAWSService': 'false',
            'aws:SourceIdentity': caller.sourceIdentity,
            'aws:ViaAWSService': request.via === undefined ? 'false' : 'true',
          };
    const all = {
      ...principalKeys,
      'aws:RequestedRegion': region,
      'aws:ResourceAccount': request.resourceAccount,
      'aws:SecureTransport': 'true',
      ...request.context,
    };
    const context: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(all)) {
      if (value === undefined) continue;
      const list = typeof value === 'string' ? [value] : [...value];
      if (isMultivaluedKey(name)) context[name] = list;
      else if (list.length > 0) context[name] = list[0]!;
    }
    return context;
  }

  #identityPolicies(caller: Principal): LoadedPolicy[] {
    if (!caller.role) return [this.#load(ROOT_POLICY, ROOT_POLICY_NAME)];
    return Object.entries(caller.role.policies).map(([name, document]) => this.#load(document, `${caller.role!.arn}#${name}`));
  }

  #orgPolicies(levels: ControlPolicies['scps'] | undefined): OrgPolicies[] {
    return (levels ?? []).map((level) => ({
      orgIdentifier: level.orgIdentifier,
      policies: level.policies.map((p) => this.#load(p.document, p.name)),
    }));
  }

  #load(document: PolicyDocument, name: string): LoadedPolicy {
    let loaded = this.#loaded.get(document);
    if (!loaded) {
      loaded = loadPolicy(document, name);
      this.#loaded.set(document, loaded);
    }
    return loaded;
  }

  #id(object: object | undefined): number {
    if (!object) return 0;
    let id = this.#ids.get(object);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(object, id);
    }
    return id;
  }

  #cacheKey(core: CoreRequest, request: AuthorizationRequest): string {
    const grant = request.grant ? `${request.grant.match}:${request.grant.grant.policy}:${request.grant.grant.sid}` : '';
    return JSON.stringify([
      core.principal,
      core.action,
      core.resource,
      core.resourceAccount,
      core.identityPolicies.map((p) => this.#id(p)),
      this.#id(core.resourcePolicy),
      core.serviceControlPolicies.flatMap((l) => l.policies.map((p) => this.#id(p))),
      core.resourceControlPolicies.flatMap((l) => l.policies.map((p) => this.#id(p))),
      grant,
      core.context,
    ]);
  }

  #decide(caller: Caller, core: CoreRequest, request: AuthorizationRequest): Omit<Authorization, 'via'> {
    const analysis = decide(core);
    const resourceType = request.resourcePolicy?.type;
    const ref = (type: PolicyType, policy: string, statement: { sid(): string | undefined; index(): number }): StatementRef => ({
      type,
      policy,
      sid: statement.sid() ?? String(statement.index()),
    });
    const identity = (analysis.identityAnalysis?.allowStatements ?? [])
      .filter((s) => s.policyId !== ROOT_POLICY_NAME)
      .map((s) => ref('identity', s.policyId!, s.statement));
    const rootIdentity = !('service' in caller) && !caller.role;
    const resourceAllows = analysis.resourceAnalysis?.allowStatements ?? [];
    const byPrincipal = resourceAllows
      .filter((s) => s.principalMatch !== 'AccountLevelMatch')
      .map((s) => ref(resourceType!, request.resourcePolicy!.owner, s.statement));
    const byAccount = resourceAllows
      .filter((s) => s.principalMatch === 'AccountLevelMatch')
      .map((s) => ref(resourceType!, request.resourcePolicy!.owner, s.statement));
    const explicit = analysis.result === 'ExplicitlyDenied';
    const grant = explicit ? undefined : request.grant;
    const sets: Sets = {
      identity: rootIdentity ? Number.POSITIVE_INFINITY : identity.length,
      principal: byPrincipal.length,
      account: byAccount.length,
      grantPrincipal: grant?.match === 'principal' ? 1 : 0,
      grantAccount: grant?.match === 'account' ? 1 : 0,
    };
    const shape = {
      service: 'service' in caller,
      sameAccount: analysis.sameAccount,
      strict: resourceType === 'key policy' || resourceType === 'trust policy',
    };
    // A grant lets its grantee use the key when the key policy alone does not (KMS developer guide, "Grants in AWS KMS").
    const allowed = analysis.result === 'Allowed' || (!explicit && grant !== undefined && allows(shape, sets));
    const allowedBy = [...identity, ...byPrincipal, ...byAccount, ...(grant ? [grant.grant] : [])];
    const without = (field: keyof Sets) => ({ ...sets, [field]: sets[field] - 1 });
    const decisive = allowed
      ? [
          ...(identity.length === 1 && !allows(shape, without('identity')) ? identity : []),
          ...(byPrincipal.length === 1 && !allows(shape, without('principal')) ? byPrincipal : []),
          ...(byAccount.length === 1 && !allows(shape, without('account')) ? byAccount : []),
          ...(grant?.match === 'principal' && !allows(shape, without('grantPrincipal')) ? [grant.grant] : []),
          ...(grant?.match === 'account' && !allows(shape, without('grantAccount')) ? [grant.grant] : []),
        ]
      : [];
    if (allowed) return { action: request.action, resource: request.resource, allowed, allowedBy, decisive };
    const refusedBy = [...new Set(refusals(analysis, resourceType, shape.service))];
    return {
      action: request.action,
      resource: request.resource,
      allowed,
      refusedBy,
      ...(explicit ? { explicitDeny: true } : {}),
      allowedBy,
      decisive,
    };
  }
}

/**
 * Whether a request with these allowing statements is allowed (AWS's policy evaluation logic): a
 * service principal needs the resource policy; another account needs both sides; in the same
 * account either side suffices, except for key policies and trust policies, which must allow the
 * principal itself, or its account and then its IAM too.
 */
function allows(shape: { service: boolean; sameAccount: boolean; strict: boolean }, s: Sets): boolean {
  if (shape.service) return s.principal > 0;
  if (!shape.sameAccount) return s.grantPrincipal > 0 || (s.principal + s.account + s.grantAccount > 0 && s.identity > 0);
  if (shape.strict) return s.principal + s.grantPrincipal > 0 || (s.account + s.grantAccount > 0 && s.identity > 0);
  return s.identity + s.principal > 0;
}

/** The policy types AWS would name for a refusal. */
function refusals(analysis: ReturnType<typeof decide>, resourceType: ResourcePolicy['type'] | undefined, service: boolean): PolicyType[] {
  const named = (type: string): PolicyType => (type === 'resource' ? (resourceType ?? 'identity') : (type as PolicyType));
  const explicit: PolicyType[] = [];
  if (analysis.identityAnalysis?.result === 'ExplicitlyDenied') explicit.push('identity');
  if (analysis.resourceAnalysis?.result === 'ExplicitlyDenied' || analysis.resourceAnalysis?.result === 'DeniedForAccount')
    explicit.push(named('resource'));
  if (analysis.scpAnalysis?.result === 'ExplicitlyDenied') explicit.push('scp');
  if (analysis.rcpAnalysis?.result === 'ExplicitlyDenied') explicit.push('rcp');
  if (explicit.length > 0) return explicit;
  const implicit: PolicyType[] = [];
  if (analysis.scpAnalysis?.result === 'ImplicitlyDenied') implicit.push('scp');
  if (analysis.rcpAnalysis?.result === 'ImplicitlyDenied') implicit.push('rcp');
  const identityAllows = analysis.identityAnalysis?.result === 'Allowed';
  const resourceResult = analysis.resourceAnalysis?.result;
  const resourceAllows = resourceResult === 'Allowed' || resourceResult === 'AllowedForAccount';
  if (!service && !identityAllows && (resourceResult !== 'Allowed' || !analysis.sameAccount)) implicit.push('identity');
  if (resourceType && !resourceAllows) implicit.push(named('resource'));
  if (resourceType && resourceResult === 'AllowedForAccount' && identityAllows === false) implicit.push('identity');
  return implicit.length > 0 ? implicit : [resourceType ?? 'identity'];
}
