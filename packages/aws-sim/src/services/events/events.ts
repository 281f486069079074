import type { CloudCore, EventEnvelope } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import { rootArn, type RoleDefinition } from '../iam/iam.js';
import { evaluatePolicy, parsePolicy, type PolicyDocument } from '../../policy/resource-policy.js';
import { busArn, EventBus, parseBusArn, type BusRule, type RuleSpec, type RuleTarget } from './event-bus.js';
import type { SqsSim } from '../sqs/sqs.js';

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

/** Who puts events on a bus: a principal of an account (a caller, or the role of a forwarding rule). */
export interface Sender {
  account: string;
  arn: string;
}

/**
 * Simulated EventBridge. Every account has a `default` bus per region, where AWS service
 * events land; custom buses carry resource policies. Matching rules deliver the envelope
 * unchanged to SQS queues (checked against the queue policy) and to other buses (checked
 * against the role on the target and the receiving bus policy). Every delivery is recorded.
 */
export class EventBridgeSim {
  readonly deliveries: DeliveryRecord[] = [];
  readonly #buses = new Map<string, EventBus>();

  /** Receives the AWS service events the cloud's services emit, on each account's default bus. */
  constructor(
    readonly cloud: CloudCore,
    private readonly sqs: SqsSim,
  ) {
    cloud.onServiceEvent((event) => this.publish(this.bus(event.account, event.region), event));
  }

  /**
   * Creates a custom bus, optionally with its resource policy (a document or its JSON text).
   * @throws Error when it exists or the policy is malformed.
   */
  createBus(account: string, region: string, name: string, policy?: string | PolicyDocument): EventBus {
    const bus = new EventBus(account, region, name, policy === undefined ? undefined : parsePolicy(policy));
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
    if (!parts || parts.name !== 'default' || !this.cloud.account(parts.account)) {
      throw new AwsError('ResourceNotFoundException', `Event bus ${parts?.name ?? arn} does not exist.`);
    }
    const created = new EventBus(parts.account, parts.region, 'default');
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
    const rule = bus.putRule(spec);
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
   * Whether a sender may put events on a bus: its own account's buses always, another
   * account's only with an Allow in the bus policy; an explicit Deny stops anyone.
   * @throws AwsError AccessDeniedException
   */
  checkPutEvents(bus: EventBus, sender: Sender, context: Record<string, string>): void {
    const principal = { ...sender, orgId: this.cloud.account(sender.account)?.orgId };
    const decision = bus.policy ? evaluatePolicy(bus.policy, { principal, action: 'events:PutEvents', resource: bus.arn, context }) : 'implicit-deny';
    if (decision === 'deny' || (sender.account !== bus.account && decision !== 'allow')) {
      const why = decision === 'deny' ? 'with an explicit deny in a resource-based policy' : 'because no resource-based policy allows the events:PutEvents action';
      throw new AwsError('AccessDeniedException', `User: ${sender.arn} is not authorized to perform: events:PutEvents on resource: ${bus.arn} ${why}`);
    }
  }

  /** Every enabled rule whose pattern matches delivers to each of its targets. */
  #route(bus: EventBus, event: EventEnvelope, deliveredByBus: boolean): void {
    for (const rule of bus.rules()) {
      if (rule.state !== 'ENABLED' || !rule.matcher?.matches(event)) continue;
      for (const target of rule.targets) this.#deliver(bus, rule, target, event, deliveredByBus);
    }
  }

  #deliver(bus: EventBus, rule: BusRule, target: RuleTarget, event: EventEnvelope, deliveredByBus: boolean): void {
    const base = { eventId: event.id, from: bus.arn, rule: rule.arn, target: target.arn };
    if (target.arn.startsWith('arn:aws:sqs:')) {
      this.#record({ ...base, reason: this.#sendToQueue(rule, target, event) });
      return;
    }
    if (!parseBusArn(target.arn)) {
      this.#record({ ...base, reason: `the simulation delivers only to SQS queues and event buses, not to ${target.arn}` });
      return;
    }
    const admitted = this.#admitToBus(bus, rule, target, event, deliveredByBus);
    this.#record({ ...base, reason: typeof admitted === 'string' ? admitted : undefined });
    if (typeof admitted !== 'string') this.#route(admitted, event, true);
  }

  #sendToQueue(rule: BusRule, target: RuleTarget, event: EventEnvelope): string | undefined {
    try {
      this.sqs.sendFromService(target.arn, JSON.stringify(event), { sourceArn: rule.arn });
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
      const role = this.#deliveryRole(source.account, rule.arn, target);
      if (typeof role === 'string') return role;
      const context = { 'aws:SourceArn': rule.arn, 'events:source': event.source, 'events:detail-type': event['detail-type'] };
      this.checkPutEvents(destination, { account: source.account, arn: role.arn }, context);
      return destination;
    } catch (error) {
      return describe(error);
    }
  }

  #admitForward(targetBusArn: string, event: EventEnvelope, viaAccount: string): EventBus | string {
    try {
      const bus = this.busByArn(targetBusArn);
      this.checkPutEvents(bus, { account: viaAccount, arn: rootArn(viaAccount) }, { 'events:source': event.source, 'events:detail-type': event['detail-type'] });
      return bus;
    } catch (error) {
      return describe(error);
    }
  }

  /** The target's role must exist in the rule's account, trust EventBridge and allow events:PutEvents. */
  #deliveryRole(account: string, ruleArn: string, target: RuleTarget): RoleDefinition | string {
    if (!target.roleArn) return `target ${target.id} sends to another account or region and needs a RoleArn`;
    const role = this.cloud.iam.role(target.roleArn);
    if (!role || role.account !== account) return `role ${target.roleArn} does not exist in account ${account}`;
    if (!this.cloud.iam.trusts(role, { service: 'events.amazonaws.com' }, { 'aws:SourceAccount': account, 'aws:SourceArn': ruleArn })) return `role ${role.arn} does not trust events.amazonaws.com`;
    this.cloud.iam.authorize({ account: role.account, arn: role.arn, role }, 'events:PutEvents');
    return role;
  }

  #record(entry: Omit<DeliveryRecord, 'ok' | 'at'>): void {
    const { reason, ...rest } = entry;
    this.deliveries.push({ ...rest, ok: reason === undefined, ...(reason === undefined ? {} : { reason }), at: this.cloud.clock.nowMs() });
  }
}

/** A failure as a report line: the AWS error code and message. */
function describe(error: unknown): string {
  if (error instanceof AwsError) return `${error.code}: ${error.message}`;
  throw error;
}
