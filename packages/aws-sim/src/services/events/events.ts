import { randomUUID } from 'node:crypto';
import { accessDenied, type CloudCore, type EventEnvelope } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { AuthorizationRequest, Caller } from '../../iam/authorizer.js';
import { NO_POLICY, type PolicyDocument, parsePolicy } from '../../policy/resource-policy.js';
import { type Principal, type RoleDefinition, rootArn, sessionArnOf } from '../iam/iam.js';
import type { LambdaSim } from '../lambda/lambda.js';
import type { SqsSim } from '../sqs/sqs.js';
import { type BusRule, busArn, EventBus, parseBusArn, type RuleSpec, type RuleTarget } from './event-bus.js';

/** One attempt to hand an event to a target; failures are kept, never dropped silently. */
export interface DeliveryRecord {
  eventId: string;
  /** The bus the event was routed on, or `account:<id>` for a drill {@link EventBridgeSim.forward}. */
  from: string;
  /** The rule that matched (absent for a drill forward). */
  rule?: string;
  target: string;
  ok: boolean;
  reason?: string;
  at: number;
}

export interface PutRuleInput extends RuleSpec {
  /** The bus name (default: `default`). */
  bus?: string;
  targets?: RuleTarget[];
}

/**
 * Simulated EventBridge. Every account has a `default` bus per region, where AWS service
 * events land; custom buses carry resource policies. Matching rules deliver the envelope
 * unchanged to SQS queues (checked against the queue policy), to Lambda functions (checked
 * against the function's resource-based policy; an asynchronous invocation) and to other buses
 * (checked against the role on the target and the receiving bus policy); a target that cannot be
 * given the event sends it to its dead-letter queue when it has one. Scheduled rules fire on
 * simulated time ({@link EventBridgeSim.runDueSchedules}). Every delivery is recorded.
 */
export class EventBridgeSim {
  readonly deliveries: DeliveryRecord[] = [];
  readonly #buses = new Map<string, EventBus>();

  /** Receives the AWS service events the cloud's services emit, on each account's default bus. */
  constructor(
    readonly cloud: CloudCore,
    private readonly sqs: SqsSim,
    private readonly lambda: LambdaSim,
  ) {
    cloud.onServiceEvent((event) => this.publish(this.bus(event.account, event.region), event));
  }

  /**
   * Creates a custom bus, optionally with its resource policy (a document or its JSON text).
   * @throws Error when it exists or the policy is malformed.
   */
  createBus(account: string, region: string, name: string, policy?: string | PolicyDocument): EventBus {
    const bus = new EventBus(account, region, name, this.cloud.quotas, policy === undefined ? undefined : parsePolicy(policy));
    if (name === 'default' || this.#buses.has(bus.arn)) throw new Error(`Event bus ${bus.arn} already exists`);
    this.#buses.set(bus.arn, bus);
    return bus;
  }

  /**
   * A bus by account, region and name; each known account's default bus exists implicitly.
   * @throws AwsError ResourceNotFoundException
   */
  bus(account: string, region: string, name = 'default'): EventBus {
    return this.busByArn(busArn(region, account, name));
  }

  /**
   * A bus by ARN.
   * @throws AwsError ResourceNotFoundException
   */
  busByArn(arn: string): EventBus {
    const known = this.#buses.get(arn);
    if (known) return known;
    const parts = parseBusArn(arn);
    if (parts?.name !== 'default' || !this.cloud.account(parts.account)) {
      throw new AwsError('ResourceNotFoundException', `Event bus ${parts?.name ?? arn} does not exist.`);
    }
    const created = new EventBus(parts.account, parts.region, 'default', this.cloud.quotas);
    this.#buses.set(arn, created);
    return created;
  }

  /**
   * Creates or updates a rule and sets its targets, as PutRule + PutTargets do.
   * @throws AwsError InvalidEventPatternException, ValidationException, ResourceNotFoundException
   */
  putRule(account: string, region: string, input: PutRuleInput): BusRule {
    const { bus: busName, targets, ...spec } = input;
    const bus = this.bus(account, region, busName);
    const rule = bus.putRule(spec, this.cloud.clock.nowMs());
    if (targets) bus.putTargets(rule.name, targets);
    return rule;
  }

  /**
   * Delivers a raw event to a bus as if a rule in `viaAccount` forwarded it (the drill's
   * `event` step), with the receiving bus policy checked as for a real forward.
   */
  forward(targetBusArn: string, event: EventEnvelope, viaAccount: string): { delivered: boolean; reason?: string } {
    const admitted = this.#admitForward(targetBusArn, event, viaAccount);
    const reason = typeof admitted === 'string' ? admitted : undefined;
    this.#record({ eventId: event.id, from: `account:${viaAccount}`, target: targetBusArn, reason });
    if (typeof admitted !== 'string') this.#route(admitted, event, true);
    return reason === undefined ? { delivered: true } : { delivered: false, reason };
  }

  /** Puts an event on a bus and routes it (PutEvents after its checks, or an AWS service event). */
  publish(bus: EventBus, event: EventEnvelope): void {
    this.#route(bus, event, false);
  }

  /**
   * What EventBridge authorizes when a principal puts an event on a bus: the sender's IAM and the bus
   * policy (another account needs both), with `events:source` and `events:detail-type` as lists.
   */
  putEventsRequest(
    bus: EventBus,
    event: Pick<EventEnvelope, 'source' | 'detail-type'>,
    context: Record<string, string> = {},
  ): AuthorizationRequest {
    return {
      action: 'events:PutEvents',
      resource: bus.arn,
      resourceAccount: bus.account,
      resourcePolicy: { type: 'bus policy', owner: bus.arn, document: bus.policy ?? NO_POLICY },
      context: { 'events:source': [event.source], 'events:detail-type': [event['detail-type']], ...context },
    };
  }

  /**
   * Refuses a sender that may not put the event on the bus (see {@link putEventsRequest}); the
   * decision is recorded on the call being served, or as a delivery of its own.
   * @throws AwsError AccessDeniedException
   */
  checkPutEvents(
    bus: EventBus,
    sender: Principal,
    event: Pick<EventEnvelope, 'source' | 'detail-type'>,
    options: { standalone?: boolean } = {},
  ): void {
    this.cloud.authorize(sender, [this.putEventsRequest(bus, event)], bus.region, options);
  }

  /**
   * Fires every enabled scheduled rule that has come due, once per period missed, with the
   * `Scheduled Event` EventBridge sends (Lambda targets are invoked asynchronously: run them
   * with {@link LambdaSim.drain}).
   */
  runDueSchedules(): void {
    const now = this.cloud.clock.nowMs();
    for (const { bus, rule, schedule } of this.#schedules()) {
      for (; schedule.nextAt <= now; schedule.nextAt += schedule.periodMs) {
        if (rule.state === 'ENABLED') this.#deliverToTargets(bus, rule, this.#scheduledEvent(bus, rule), false);
      }
    }
  }

  /** Lets a quiet stretch pass: every schedule that came due resumes at its next period after now, without firing. */
  skipSchedules(): void {
    const now = this.cloud.clock.nowMs();
    for (const { schedule } of this.#schedules()) {
      if (schedule.nextAt <= now) schedule.nextAt += Math.ceil((now - schedule.nextAt + 1) / schedule.periodMs) * schedule.periodMs;
    }
  }

  /** Forgets an account's buses and rules (disaster drills). */
  removeAccount(account: string): void {
    for (const [arn, bus] of this.#buses) if (bus.account === account) this.#buses.delete(arn);
  }

  *#schedules(): Generator<{ bus: EventBus; rule: BusRule; schedule: NonNullable<BusRule['schedule']> }> {
    for (const bus of this.#buses.values()) for (const rule of bus.rules()) if (rule.schedule) yield { bus, rule, schedule: rule.schedule };
  }

  /** The event a scheduled rule sends. */
  #scheduledEvent(bus: EventBus, rule: BusRule): EventEnvelope {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: bus.account,
      time: this.cloud.clock
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      region: bus.region,
      resources: [rule.arn],
      detail: {},
    };
  }

  /** Every enabled rule whose pattern matches delivers to each of its targets. */
  #route(bus: EventBus, event: EventEnvelope, deliveredByBus: boolean): void {
    for (const rule of bus.rules()) {
      if (rule.state !== 'ENABLED' || !rule.matcher?.matches(event)) continue;
      this.#deliverToTargets(bus, rule, event, deliveredByBus);
    }
  }

  #deliverToTargets(bus: EventBus, rule: BusRule, event: EventEnvelope, deliveredByBus: boolean): void {
    for (const target of rule.targets) {
      const reason = this.#deliver(bus, rule, target, event, deliveredByBus);
      if (reason !== undefined && target.deadLetterArn) this.#deadLetter(bus, rule, target, event);
    }
  }

  /** Delivers to one target and records it; returns why it failed, if it did. */
  #deliver(bus: EventBus, rule: BusRule, target: RuleTarget, event: EventEnvelope, deliveredByBus: boolean): string | undefined {
    const base = { eventId: event.id, from: bus.arn, rule: rule.arn, target: target.arn };
    if (target.arn.startsWith('arn:aws:sqs:'))
      return this.#record({
        ...base,
        reason: this.#attempt(() => this.sqs.sendFromService(target.arn, JSON.stringify(event), { sourceArn: rule.arn })),
      });
    if (target.arn.startsWith('arn:aws:lambda:')) {
      const invoker = { service: 'events.amazonaws.com', sourceArn: rule.arn, sourceAccount: bus.account };
      return this.#record({ ...base, reason: this.#attempt(() => this.lambda.invokeAsync(target.arn, event, invoker)) });
    }
    if (!parseBusArn(target.arn))
      return this.#record({
        ...base,
        reason: `the simulation delivers only to SQS queues, Lambda functions and event buses, not to ${target.arn}`,
      });
    const admitted = this.#admitToBus(bus, rule, target, event, deliveredByBus);
    const reason = this.#record({ ...base, reason: typeof admitted === 'string' ? admitted : undefined });
    if (typeof admitted !== 'string') this.#route(admitted, event, true);
    return reason;
  }

  /** Sends an event a target could not take to the target's dead-letter queue (whose policy must let the rule send). */
  #deadLetter(bus: EventBus, rule: BusRule, target: RuleTarget, event: EventEnvelope): void {
    const dlq = target.deadLetterArn!;
    this.#record({
      eventId: event.id,
      from: bus.arn,
      rule: rule.arn,
      target: dlq,
      reason: this.#attempt(() => this.sqs.sendFromService(dlq, JSON.stringify(event), { sourceArn: rule.arn })),
    });
  }

  /** Runs a delivery; an AWS refusal becomes its reason. */
  #attempt(deliver: () => unknown): string | undefined {
    try {
      deliver();
      return undefined;
    } catch (error) {
      return describe(error);
    }
  }

  /**
   * The bus a rule may deliver to, or why not. An event that a bus delivered is not sent on to
   * a further bus; another account or region needs a role on the target, and another
   * account's bus must allow that role's account.
   */
  #admitToBus(source: EventBus, rule: BusRule, target: RuleTarget, event: EventEnvelope, deliveredByBus: boolean): EventBus | string {
    try {
      const destination = this.busByArn(target.arn);
      if (deliveredByBus) return 'EventBridge does not send an event that another event bus delivered on to a further bus';
      if (destination.account === source.account && destination.region === source.region) return destination;
      const role = this.#deliveryRole(source, rule.arn, target);
      if (typeof role === 'string') return role;
      // EventBridge puts the event with the target's role, in a session of its own.
      const sender: Principal = { account: role.account, arn: role.arn, sessionArn: sessionArnOf(role, `events-${rule.name}`), role };
      this.checkPutEvents(destination, sender, event, { standalone: true });
      return destination;
    } catch (error) {
      return describe(error);
    }
  }

  #admitForward(targetBusArn: string, event: EventEnvelope, viaAccount: string): EventBus | string {
    try {
      const bus = this.busByArn(targetBusArn);
      // A drill's stand-in for a forwarding rule, not a request of the hub: decided, not recorded.
      const sender = this.#forwarderOf(viaAccount, targetBusArn);
      const decision = this.cloud.authorizer.authorize(sender, this.putEventsRequest(bus, event), bus.region);
      if (!decision.allowed) throw accessDenied(sender, decision);
      return bus;
    } catch (error) {
      return describe(error);
    }
  }

  /**
   * Who puts a forwarded event: the role of a rule of that account that targets the bus, as
   * EventBridge would deliver it, or the account itself when it has no such rule.
   */
  #forwarderOf(account: string, targetBusArn: string): Caller {
    for (const bus of this.#buses.values()) {
      if (bus.account !== account) continue;
      for (const rule of bus.rules()) {
        const role = this.cloud.iam.role(rule.targets.find((t) => t.arn === targetBusArn)?.roleArn ?? '');
        if (role) return { account, arn: role.arn, sessionArn: sessionArnOf(role, `events-${rule.name}`), role };
      }
    }
    return { account, arn: rootArn(account) };
  }

  /** The target's role must exist in the rule's account and let EventBridge assume it for this rule (aws:SourceArn, aws:SourceAccount). */
  #deliveryRole(bus: EventBus, ruleArn: string, target: RuleTarget): RoleDefinition | string {
    if (!target.roleArn) return `target ${target.id} sends to another account or region and needs a RoleArn`;
    const role = this.cloud.iam.role(target.roleArn);
    if (!role || role.account !== bus.account) return `role ${target.roleArn} does not exist in account ${bus.account}`;
    const assume: AuthorizationRequest = {
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccount: role.account,
      resourcePolicy: { type: 'trust policy', owner: role.arn, document: role.trustPolicy },
      context: { 'aws:SourceAccount': bus.account, 'aws:SourceArn': ruleArn },
    };
    const [decision] = this.cloud.decide({ service: 'events.amazonaws.com' }, [assume], bus.region, { standalone: true });
    return decision!.allowed
      ? role
      : `role ${role.arn} does not trust events.amazonaws.com for rule ${ruleArn} (${decision!.refusedBy?.join(', ')})`;
  }

  /** Records a delivery; returns its failure reason, if any. */
  #record(entry: Omit<DeliveryRecord, 'ok' | 'at'>): string | undefined {
    const { reason, ...rest } = entry;
    this.deliveries.push({ ...rest, ok: reason === undefined, ...(reason === undefined ? {} : { reason }), at: this.cloud.clock.nowMs() });
    return reason;
  }
}

/** A failure as a report line: the AWS error code and message. */
function describe(error: unknown): string {
  if (error instanceof AwsError) return `${error.code}: ${error.message}`;
  throw error;
}
