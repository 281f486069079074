import { randomUUID } from 'node:crypto';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import {
  type Authorization,
  type AuthorizationMode,
  type AuthorizationRequest,
  Authorizer,
  type Caller,
  type ControlPolicies,
} from '../iam/authorizer.js';
import { Iam, type Principal, rootArn, type SimCredentials, sessionArnOf } from '../services/iam/iam.js';
import { SimClock } from './clock.js';
import { AwsError } from './errors.js';
import { FaultInjector } from './faults.js';
import { type SignedCall, type SimDispatcher, SimHttpHandler } from './http-handler.js';
import { QuotaBook, type QuotaName, type RaisedQuotas } from './quotas.js';
import type { CallContext, SimService } from './service.js';
import { RequestThrottle } from './throttle.js';

/** An EventBridge event envelope, as delivered to buses, rules and targets. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** An AWS service event as a service emits it; the cloud adds the envelope's version, id and time. */
export type ServiceEvent = Omit<EventEnvelope, 'version' | 'id' | 'time'> & { id?: string; time?: string };

export interface SimAccount {
  id: string;
  orgId?: string;
  /** The organization policies that bind the account (issue 16 fills these in). */
  controlPolicies?: ControlPolicies;
  /** What the account's Service Quotas raised; the defaults apply otherwise. */
  quotas?: RaisedQuotas;
}

/**
 * One authenticated call that reached a service ({@link CloudCore.calls}), or a request an AWS
 * service made on its own ({@link CloudCore.serviceRequests}), for assertions and for the
 * least-privilege check.
 */
export interface CallRecord {
  service: string;
  action: string;
  account: string;
  region: string;
  principal: string;
  /** The assumed-role session that made the call (`arn:aws:sts::<account>:assumed-role/<role>/<session>`), as CloudTrail names it. */
  session?: string;
  /** The role an AssumeRole call names: it may live in another account than the caller's. */
  roleArn?: string;
  at: number;
  error?: string;
  /** Every authorization decided for it: the call's own, and those a service made on the caller's behalf (KMS during a copy). */
  authorizations: Authorization[];
}

/** The first refused authorization of a call, if any: what AWS refused, and which policy refused it. */
export const refusalOf = (call: CallRecord): Authorization | undefined => call.authorizations.find((a) => !a.allowed);

/** Client configuration that routes a real SDK v3 client to the simulated cloud. */
export interface SimClientConfig {
  region: string;
  credentials: SimCredentials;
  requestHandler: SimHttpHandler;
  retryStrategy: ConfiguredRetryStrategy;
}

/**
 * What every simulated service runs on: accounts, simulated time, IAM, fault injection and the
 * record of calls. Service APIs are registered by SigV4 signing name; every call arrives through
 * the real SDK clients via {@link SimHttpHandler}, is authenticated from its SigV4 access key, may
 * hit an injected fault, is checked against the caller's role, then runs. The services themselves
 * are composed on top of it (see SimCloud), so that none of them imports another's API.
 */
export class CloudCore implements SimDispatcher {
  readonly clock: SimClock;
  /** The quotas in force per account, and every use measured against them. */
  readonly quotas: QuotaBook;
  readonly iam: Iam;
  readonly authorizer: Authorizer;
  readonly faults = new FaultInjector();
  /** Request rate limits (off unless the cloud is made with `throttling`). */
  readonly throttle: RequestThrottle;
  /**
   * Regions that are down: every call made to one fails (a drill's region outage). DynamoDB runs
   * as its own local server, outside this call path, and stays reachable.
   */
  readonly outages = new Set<string>();
  readonly calls: CallRecord[] = [];
  /** Requests AWS services make on their own: an event delivered to a bus, a queue or a function, a role checked while a stack deploys. */
  readonly serviceRequests: CallRecord[] = [];
  readonly #accounts = new Map<string, SimAccount>();
  readonly #services = new Map<string, SimService>();
  readonly #http = new SimHttpHandler(this);
  /** The call being served: authorizations a service makes on the caller's behalf are recorded on it. */
  #current: CallRecord | undefined;
  /** Receives AWS service events; the EventBridge simulation installs itself here. */
  #eventSink: ((event: EventEnvelope) => void) | undefined;

  /** `tolerateQuotas`: quotas recorded when exceeded instead of refusing (see {@link QuotaBook}). */
  constructor(
    options: { start?: number; authorization?: AuthorizationMode; tolerateQuotas?: readonly QuotaName[]; throttling?: boolean } = {},
  ) {
    this.clock = new SimClock(options.start);
    this.throttle = new RequestThrottle(options.throttling ?? false);
    this.quotas = new QuotaBook(options.tolerateQuotas);
    this.iam = new Iam(this.quotas);
    this.authorizer = new Authorizer(
      {
        orgOf: (id) => this.account(id)?.orgId,
        controlPolicies: (id) => this.account(id)?.controlPolicies,
        managedPolicy: (arn) => this.iam.managedPolicy(arn),
      },
      options.authorization,
    );
  }

  /** @throws Error for a raised quota Service Quotas would not grant */
  addAccount(account: SimAccount): SimAccount {
    if (account.quotas) this.quotas.raise(account.id, account.quotas);
    this.#accounts.set(account.id, account);
    return account;
  }

  account(id: string): SimAccount | undefined {
    return this.#accounts.get(id);
  }

  accounts(): SimAccount[] {
    return [...this.#accounts.values()];
  }

  register(service: SimService): void {
    this.#services.set(service.name, service);
  }

  service(name: string): SimService {
    const service = this.#services.get(name);
    if (!service) throw new Error(`The simulated cloud has no service "${name}"`);
    return service;
  }

  /** Authenticates a signed call from its access key; the call acts in the caller's account, in the region of its credential scope. */
  dispatch(service: SimService, call: SignedCall): Promise<unknown> {
    const caller = this.iam.authenticate(call.scope.accessKeyId, this.clock.nowMs());
    return this.invoke(service, call.action, call.input, {
      caller,
      account: caller.account,
      region: call.scope.region,
      requestId: call.requestId,
    });
  }

  /** Runs one decoded call: fault injection, authorization of every resource it names, then the service itself. */
  async invoke(service: SimService, action: string, input: Record<string, unknown>, ctx: CallContext): Promise<unknown> {
    const record: CallRecord = {
      service: service.iamPrefix ?? service.name,
      action,
      account: ctx.account,
      region: ctx.region,
      principal: ctx.caller.arn,
      ...(ctx.caller.sessionArn ? { session: ctx.caller.sessionArn } : {}),
      ...(typeof input.RoleArn === 'string' ? { roleArn: input.RoleArn } : {}),
      at: this.clock.nowMs(),
      authorizations: [],
    };
    this.calls.push(record);
    try {
      if (!this.#accounts.has(ctx.account)) throw new AwsError('AuthFailure', `Account ${ctx.account} is closed or unknown`, 401);
      if (this.outages.has(ctx.region))
        throw new AwsError('ServiceUnavailable', `${service.name} in ${ctx.region} is unavailable (a regional outage)`, 503);
      const fault = this.faults.take(service.name, action, ctx.account);
      if (fault) throw fault;
      const bucket = service.throttle?.(action);
      if (bucket) this.throttle.take(`${ctx.account}|${ctx.region}|${service.name}`, bucket, this.clock.nowMs());
      let result: unknown;
      this.#current = record;
      try {
        // "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
        if (!(service.name === 'sts' && action === 'GetCallerIdentity')) {
          const requests = service.authorization?.(action, input, ctx) ?? [
            { action: `${service.iamPrefix ?? service.name}:${action}`, resource: '*', resourceAccount: ctx.account },
          ];
          this.authorize(ctx.caller, requests, ctx.region);
        }
        result = service.call(action, input, ctx);
      } finally {
        this.#current = undefined;
      }
      return await result;
    } catch (error) {
      if (error instanceof AwsError) record.error = error.code;
      throw error;
    }
  }

  /**
   * Decides requests a caller makes (or a service makes on its behalf) and records each decision on
   * the call being served; outside a call (an event delivery, a deployment), or with `standalone`,
   * as a service request of its own.
   */
  decide(caller: Caller, requests: AuthorizationRequest[], region: string, options: { standalone?: boolean } = {}): Authorization[] {
    const decisions = requests.map((request) => this.authorizer.authorize(caller, request, region));
    const current = options.standalone ? undefined : this.#current;
    if (current) current.authorizations.push(...decisions);
    else if (requests.length > 0) {
      const [service, action] = requests[0]!.action.split(':') as [string, string];
      this.serviceRequests.push({
        service,
        action,
        account: caller.account ?? requests[0]!.resourceAccount,
        region,
        principal: 'service' in caller ? caller.service : caller.arn,
        at: this.clock.nowMs(),
        authorizations: decisions,
      });
    }
    return decisions;
  }

  /**
   * Decides requests as {@link decide} does, and refuses the first one not allowed.
   * @throws AwsError the service's access-denied error, naming the action, the resource and the policy that refused it
   */
  authorize(caller: Caller, requests: AuthorizationRequest[], region: string, options: { standalone?: boolean } = {}): void {
    const refused = this.decide(caller, requests, region, options).find((d) => !d.allowed);
    if (refused) throw accessDenied(caller, refused);
  }

  /** Installs the receiver of AWS service events (the account's default bus). */
  onServiceEvent(sink: (event: EventEnvelope) => void): void {
    this.#eventSink = sink;
  }

  /** Emits an AWS service event (`aws.ec2`, `aws.rds`, …) on the account's default bus, as AWS does. */
  emitServiceEvent(event: ServiceEvent): EventEnvelope {
    const envelope: EventEnvelope = {
      version: '0',
      id: event.id ?? randomUUID(),
      time:
        event.time ??
        this.clock
          .now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      ...event,
    } as EventEnvelope;
    this.#eventSink?.(envelope);
    return envelope;
  }

  /** Administrator credentials of an account (what a person or CloudFormation would use). */
  adminCredentials(account: string): SimCredentials {
    return this.iam.credentialsFor({ account, arn: rootArn(account) });
  }

  /** Credentials of a role's session without AssumeRole, as Lambda gives its execution role (the session named after the function). */
  roleCredentials(roleArnValue: string, sessionName = 'lambda'): SimCredentials {
    const role = this.iam.role(roleArnValue);
    if (!role) throw new Error(`No role ${roleArnValue}`);
    const principal: Principal = { account: role.account, arn: role.arn, sessionArn: sessionArnOf(role, sessionName), role };
    return this.iam.credentialsFor(principal);
  }

  /** SDK client configuration for a principal's credentials. Retries keep the SDK's logic with near-zero delays. */
  clientConfig(credentials: SimCredentials, region: string): SimClientConfig {
    return { region, credentials, requestHandler: this.#http, retryStrategy: simRetryStrategy() };
  }
}

/** The SDK's own retry logic (classification, attempt counting), with backoff in microseconds-scale real time. */
export function simRetryStrategy(maxAttempts = 5): ConfiguredRetryStrategy {
  return new ConfiguredRetryStrategy(maxAttempts, (attempt) => Math.min(2 ** attempt, 16));
}

/** AWS's refusal, in the service's own error code, naming what refused (IAM User Guide, "Access denied error messages"). */
export function accessDenied(caller: Caller, refused: Authorization): AwsError {
  const service = refused.action.slice(0, refused.action.indexOf(':'));
  const who = 'service' in caller ? caller.service : (caller.sessionArn ?? caller.arn);
  const policy = refused.refusedBy?.[0] ?? 'identity';
  const kind =
    policy === 'identity'
      ? 'identity-based policy'
      : policy === 'scp'
        ? 'service control policy'
        : policy === 'rcp'
          ? 'resource control policy'
          : 'resource-based policy';
  const why = refused.explicitDeny ? `with an explicit deny in a ${kind}` : `because no ${kind} allows the ${refused.action} action`;
  const which = kind === 'resource-based policy' ? ` (the ${policy})` : '';
  const message = `User: ${who} is not authorized to perform: ${refused.action} on resource: ${refused.resource} ${why}${which}`;
  if (service === 'ec2') return new AwsError('UnauthorizedOperation', message, 403);
  if (service === 'sts' || service === 'rds' || service === 'sqs' || service === 's3') return new AwsError('AccessDenied', message, 403);
  return new AwsError('AccessDeniedException', message, 400);
}
