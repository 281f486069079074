import type { PolicyDocument } from '../policy/resource-policy.js';
import type { Principal } from '../services/iam/iam.js';
import { type CoreRequest, decide, type LoadedPolicy, loadPolicy, type OrgPolicies } from './library.js';
import { isMultivaluedKey, isWildcardOnly, supportsRcps } from './reference.js';

/** The kinds of policy that allow or refuse a call, as a refusal names them. */
export type PolicyType =
  | 'identity'
  | 'key policy'
  | 'grant'
  | 'trust policy'
  | 'bus policy'
  | 'queue policy'
  | 'bucket policy'
  | 'function policy'
  | 'share attribute'
  | 'scp'
  | 'rcp';

/** A resource's own policy: a key policy, a role's trust policy, a bus, queue or bucket policy, or what a share attribute allows. */
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

/**
 * How decisions are made: `library` sends every distinct request through the library (drills and
 * tests); `fast` reuses a decision for every request of the same shape (the same principal and
 * action, the same resource patterns matched, the same values of the condition keys the policies
 * read), for soaks; `differential` does both and records every disagreement.
 */
export type AuthorizationMode = 'library' | 'fast' | 'differential';

/** A request the fast path decided otherwise than the library. */
export interface Disagreement {
  shape: string;
  fast: Omit<Authorization, 'via'>;
  library: Omit<Authorization, 'via'>;
}

/** An account's root may do anything IAM can allow (resource policies and organization policies still apply). */
const ROOT_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const ROOT_POLICY_NAME = '(account root)';
/** Stands for the request's resource policy in a decision kept for other requests of its shape. */
const RESOURCE_POLICY = '(resource policy)';
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
  readonly #compiled = new WeakMap<object, CompiledStatement[]>();
  readonly #documents = new WeakMap<LoadedPolicy, PolicyDocument>();
  readonly #decisions = new Map<string, Omit<Authorization, 'via'>>();
  #nextId = 1;
  /** Decisions made through the library (not from the cache): for the benchmarks. */
  evaluations = 0;
  /** Requests decided (from the cache or not). */
  requests = 0;
  /** In `differential` mode: every request shape met, and every disagreement of the fast path with the library. */
  readonly shapes = new Set<string>();
  readonly disagreements: Disagreement[] = [];

  constructor(
    private readonly organization: {
      orgOf(account: string): string | undefined;
      controlPolicies(account: string): ControlPolicies | undefined;
      /** A customer managed policy a role may have attached. */
      managedPolicy(arn: string): { document: PolicyDocument } | undefined;
    },
    readonly mode: AuthorizationMode = 'library',
  ) {}

  /** Decides one request for a caller in a region. */
  authorize(caller: Caller, request: AuthorizationRequest, region: string): Authorization {
    this.requests++;
    const core = this.#coreRequest(caller, request, region);
    const key = this.mode === 'library' ? this.#cacheKey(core, request) : this.#shapeKey(core, request);
    let decision = this.#decisions.get(key);
    if (!decision) {
      this.evaluations++;
      decision = this.#decide(caller, core, request);
      if (this.#decisions.size >= CACHE_LIMIT) this.#decisions.clear();
      this.#decisions.set(key, decision);
    }
    decision = this.#forRequest(decision, request);
    if (this.mode === 'differential') this.#compare(key, decision, this.#forRequest(this.#decide(caller, core, request), request));
    return request.via === undefined ? decision : { ...decision, via: request.via };
  }

  /** A decision (perhaps made for another request of the same shape) as this request's: its action, resource and resource policy. */
  #forRequest(decision: Omit<Authorization, 'via'>, request: AuthorizationRequest): Omit<Authorization, 'via'> {
    const owner = request.resourcePolicy?.owner ?? '';
    const own = (refs: StatementRef[]) => refs.map((r) => (r.policy === RESOURCE_POLICY ? { ...r, policy: owner } : r));
    return {
      ...decision,
      action: request.action,
      resource: request.resource,
      allowedBy: own(decision.allowedBy),
      decisive: own(decision.decisive),
    };
  }

  #compare(shape: string, fast: Omit<Authorization, 'via'>, library: Omit<Authorization, 'via'>): void {
    this.shapes.add(shape);
    if (JSON.stringify(fast) !== JSON.stringify(library)) this.disagreements.push({ shape, fast, library });
  }

  #coreRequest(caller: Caller, request: AuthorizationRequest, region: string): CoreRequest {
    const principal = 'service' in caller ? caller.service : (caller.sessionArn ?? caller.arn);
    const control = caller.account === undefined ? undefined : this.organization.controlPolicies(caller.account);
    const resourceControl = supportsRcps(request.action.slice(0, request.action.indexOf(':')))
      ? this.organization.controlPolicies(request.resourceAccount)
      : undefined;
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
      'aws:ResourceOrgID': this.organization.orgOf(request.resourceAccount),
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
    const inline = Object.entries(caller.role.policies).map(([name, document]) => this.#load(document, `${caller.role!.arn}#${name}`));
    const attached = caller.role.managedPolicies.flatMap((arn) => {
      const managed = this.organization.managedPolicy(arn);
      return managed ? [this.#load(managed.document, arn)] : [];
    });
    return [...inline, ...attached];
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
      this.#documents.set(loaded, document);
    }
    return loaded;
  }

  /**
   * The shape of a request: what the policies can tell apart. For each statement whose action
   * matches (or whose NotAction does not), which of its resource patterns match, and the values of
   * the condition keys (and policy variables) it reads; the principal, action, resource type and
   * accounts whole. Two requests of one shape get the same decision from AWS's evaluation logic.
   */
  #shapeKey(core: CoreRequest, request: AuthorizationRequest): string {
    const loaded = [
      ...core.identityPolicies,
      ...(core.resourcePolicy ? [core.resourcePolicy] : []),
      ...core.serviceControlPolicies.flatMap((l) => l.policies),
      ...core.resourceControlPolicies.flatMap((l) => l.policies),
    ];
    const context = new Map(Object.entries(core.context).map(([k, v]) => [k.toLowerCase(), v]));
    const parts: string[] = [];
    let wholeResource = false;
    for (const policy of loaded) {
      for (const statement of this.#statementsOf(policy)) {
        const named = statement.actions.some((a) => a.test(core.action));
        if (!named && !(statement.notActions.length > 0 && !statement.notActions.some((a) => a.test(core.action)))) continue;
        parts.push(statement.resources.map((r) => (r.test(core.resource) ? '1' : '0')).join(''));
        for (const condition of statement.conditions) parts.push(conditionShape(condition, context));
        wholeResource ||= statement.variableResource;
      }
      parts.push('|');
    }
    const part = core.resource.split(':').slice(5).join(':');
    const resourceType = core.resource === '*' ? '*' : `${core.resource.split(':')[2]}:${part.split(/[/:]/)[0]}`;
    const grant = request.grant ? `${request.grant.match}:${request.grant.grant.policy}:${request.grant.grant.sid}` : '';
    return JSON.stringify([
      core.principal,
      core.action,
      core.resourceAccount,
      wholeResource ? core.resource : resourceType,
      loaded.map((p) => this.#id(p)),
      parts.join(','),
      grant,
    ]);
  }

  #statementsOf(policy: LoadedPolicy): CompiledStatement[] {
    const document = this.#documents.get(policy)!;
    let compiled = this.#compiled.get(document);
    if (!compiled) {
      compiled = ([] as PolicyDocument['Statement'][]).concat(document.Statement).flat().map(compileStatement);
      this.#compiled.set(document, compiled);
    }
    return compiled;
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
      .map((s) => ref(resourceType!, RESOURCE_POLICY, s.statement));
    const byAccount = resourceAllows
      .filter((s) => s.principalMatch === 'AccountLevelMatch')
      .map((s) => ref(resourceType!, RESOURCE_POLICY, s.statement));
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

/** A statement as the fast path reads it: what it names, and what its conditions test. */
interface CompiledStatement {
  actions: RegExp[];
  notActions: RegExp[];
  /** Resource and NotResource patterns, in order. */
  resources: RegExp[];
  /** A resource pattern holds a policy variable: the resource is part of the shape whole. */
  variableResource: boolean;
  conditions: CompiledCondition[];
}

/**
 * One key of one condition operator. A string or ARN operator's outcome depends only on which of
 * its values each value of the key matches (`like`: as a wildcard, `equals`: exactly,
 * `equalsIgnoreCase`); Null's only on presence; any other (numbers, dates, booleans, values with
 * policy variables) on the value itself (`raw`).
 */
interface CompiledCondition {
  key: string;
  test: 'null' | 'like' | 'equals' | 'equalsIgnoreCase' | 'raw';
  values: string[];
  patterns: RegExp[];
  /** Keys of the policy variables its values hold. */
  variables: string[];
}

const VARIABLE = /\$\{([^}]+)\}/g;
const asStrings = (value: unknown): string[] => ([] as unknown[]).concat(value ?? []).filter((v): v is string => typeof v === 'string');
/** IAM wildcards: `*` any run, `?` one character. */
const wildcard = (pattern: string, flags = 'is') =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );
const variablesIn = (texts: string[]) => texts.flatMap((t) => [...t.matchAll(VARIABLE)].map((m) => m[1]!.toLowerCase()));

function compileStatement(raw: unknown): CompiledStatement {
  const statement = raw as Record<string, unknown> & { Condition?: Record<string, Record<string, unknown>> };
  const patterns = [...asStrings(statement.Resource), ...asStrings(statement.NotResource)];
  return {
    actions: asStrings(statement.Action).map((a) => wildcard(a)),
    notActions: asStrings(statement.NotAction).map((a) => wildcard(a)),
    resources: patterns.map((p) => wildcard(p.replace(VARIABLE, '*'))),
    variableResource: variablesIn(patterns).length > 0,
    conditions: Object.entries(statement.Condition ?? {}).flatMap(([operator, byKey]) =>
      Object.entries(byKey).map(([key, value]) => compileCondition(operator, key.toLowerCase(), asStrings(value))),
    ),
  };
}

function compileCondition(operator: string, key: string, values: string[]): CompiledCondition {
  const base = operator
    .replace(/^For(All|Any)Value:/i, '')
    .replace(/IfExists$/i, '')
    .toLowerCase();
  const variables = variablesIn(values);
  const test: CompiledCondition['test'] =
    base === 'null'
      ? 'null'
      : variables.length > 0 || !/^(string|arn)/.test(base)
        ? 'raw'
        : /like$/.test(base)
          ? 'like'
          : /ignorecase$/.test(base)
            ? 'equalsIgnoreCase'
            : 'equals';
  return {
    key,
    test,
    values,
    patterns: test === 'like' ? values.map((v) => wildcard(v, base.startsWith('arn') ? 'is' : 's')) : [],
    variables,
  };
}

/** What a condition can tell of the request: presence, which of its values each value matches, or the values themselves. */
function conditionShape(condition: CompiledCondition, context: Map<string, string | string[]>): string {
  const value = context.get(condition.key);
  const variables = condition.variables.map((v) => JSON.stringify(context.get(v) ?? null)).join('');
  if (value === undefined) return `-${variables}`;
  if (condition.test === 'null') return '+';
  if (condition.test === 'raw') return JSON.stringify(value) + variables;
  const matches = (v: string) =>
    condition.test === 'like'
      ? condition.patterns.map((p) => (p.test(v) ? 1 : 0)).join('')
      : condition.values.map((x) => ((condition.test === 'equals' ? x === v : x.toLowerCase() === v.toLowerCase()) ? 1 : 0)).join('');
  return typeof value === 'string' ? matches(value) : `[${value.map(matches).join(' ')}]`;
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
