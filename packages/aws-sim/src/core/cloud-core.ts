import { randomUUID } from 'node:crypto';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { Iam, type Principal, rootArn, type SimCredentials } from '../services/iam/iam.js';
import { SimClock } from './clock.js';
import { AwsError } from './errors.js';
import { FaultInjector } from './faults.js';
import { type SignedCall, type SimDispatcher, SimHttpHandler } from './http-handler.js';
import { QuotaBook, type QuotaName, type RaisedQuotas } from './quotas.js';
import type { CallContext, SimService } from './service.js';

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
  /** What the account's Service Quotas raised; the defaults apply otherwise. */
  quotas?: RaisedQuotas;
}

/** One authenticated call that reached a service (after faults and IAM), for assertions. */
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
}

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
  readonly faults = new FaultInjector();
  readonly calls: CallRecord[] = [];
  readonly #accounts = new Map<string, SimAccount>();
  readonly #services = new Map<string, SimService>();
  readonly #http = new SimHttpHandler(this);
  /** Receives AWS service events; the EventBridge simulation installs itself here. */
  #eventSink: ((event: EventEnvelope) => void) | undefined;

  /** `tolerateQuotas`: quotas recorded when exceeded instead of refusing (see {@link QuotaBook}). */
  constructor(options: { start?: number; tolerateQuotas?: readonly QuotaName[] } = {}) {
    this.clock = new SimClock(options.start);
    this.quotas = new QuotaBook(options.tolerateQuotas);
    this.iam = new Iam(this.quotas);
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

  /** Runs one decoded call: fault injection, IAM authorization, then the service itself. */
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
    };
    this.calls.push(record);
    try {
      if (!this.#accounts.has(ctx.account)) throw new AwsError('AuthFailure', `Account ${ctx.account} is closed or unknown`, 401);
      const fault = this.faults.take(service.name, action, ctx.account);
      if (fault) throw fault;
      // "No permissions are required to perform this operation" (STS API reference, GetCallerIdentity).
      if (!(service.name === 'sts' && action === 'GetCallerIdentity'))
        this.iam.authorize(ctx.caller, `${service.iamPrefix ?? service.name}:${service.iamActions?.[action] ?? action}`);
      return await service.call(action, input, ctx);
    } catch (error) {
      if (error instanceof AwsError) record.error = error.code;
      throw error;
    }
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

  /** Credentials of a role's session without AssumeRole, as Lambda gives its execution role. */
  roleCredentials(roleArnValue: string): SimCredentials {
    const role = this.iam.role(roleArnValue);
    if (!role) throw new Error(`No role ${roleArnValue}`);
    const principal: Principal = { account: role.account, arn: role.arn, sessionArn: `${role.arn}/lambda`, role };
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
