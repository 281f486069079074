import { checkString } from '../../core/constraints.js';
import { AwsError } from '../../core/errors.js';
import type { QuotaBook } from '../../core/quotas.js';
import type { PolicyDocument, PolicyStatement } from '../../policy/resource-policy.js';
import { type CompiledPattern, compilePattern, type EventPattern, InvalidEventPatternError } from './event-pattern.js';

/** A rule target; `roleArn` is the role EventBridge assumes to deliver (needed for another account's bus). */
export interface RuleTarget {
  id: string;
  arn: string;
  roleArn?: string;
  /** The SQS queue that receives an event the target could not be given (`DeadLetterConfig.Arn`). */
  deadLetterArn?: string;
  /**
   * Kept as configured; the simulation delivers at once and its refusals are not transient, so
   * retrying would change nothing (`RetryPolicy`).
   */
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeSeconds?: number };
}

export interface RuleSpec {
  name: string;
  pattern?: EventPattern | string;
  scheduleExpression?: string;
  state?: 'ENABLED' | 'DISABLED';
  description?: string;
}

export interface BusRule {
  name: string;
  arn: string;
  /** The pattern as stored and returned by DescribeRule (JSON text). */
  eventPattern?: string;
  matcher?: CompiledPattern;
  scheduleExpression?: string;
  /** A `rate(...)` schedule: its period, and when it next fires (simulated ms). */
  schedule?: { periodMs: number; nextAt: number };
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: RuleTarget[];
}

/** PutRule's and PutTargets' constraints (EventBridge API reference). */
const RULE_NAME = { min: 1, max: 64, pattern: '[\\.\\-_A-Za-z0-9]+' };
const RULE_DESCRIPTION = { max: 512 };
const TARGET_ID = { min: 1, max: 64, pattern: '[\\.\\-_A-Za-z0-9]+' };
/** What EventBridge answers when a quota on rules or targets is reached. */
const LIMIT_EXCEEDED = 'The requested resource exceeds the maximum number allowed.';

/** `arn:aws:events:<region>:<account>:event-bus/<name>` */
export const busArn = (region: string, account: string, name: string) => `arn:aws:events:${region}:${account}:event-bus/${name}`;

/** The parts of an event bus ARN, or undefined when it is not one. */
export function parseBusArn(arn: string): { region: string; account: string; name: string } | undefined {
  const match = /^arn:aws:events:([a-z0-9-]+):(\d{12}):event-bus\/([A-Za-z0-9._\-/]+)$/.exec(arn);
  return match ? { region: match[1]!, account: match[2]!, name: match[3]! } : undefined;
}

/** One event bus: its rules, their targets, and its resource policy. */
export class EventBus {
  readonly #rules = new Map<string, BusRule>();

  #policy?: PolicyDocument;

  constructor(
    readonly account: string,
    readonly region: string,
    readonly name: string,
    private readonly quotas: QuotaBook,
    policy?: PolicyDocument,
  ) {
    if (policy) this.setPolicy(policy);
  }

  get policy(): PolicyDocument | undefined {
    return this.#policy;
  }

  /**
   * Replaces the bus policy (PutPermission with a Policy). Its size counts against the quota: "This
   * policy size increases each time you grant access to another account."
   * @throws AwsError PolicyLengthExceededException
   */
  setPolicy(policy: PolicyDocument): void {
    this.quotas.check(
      {
        quota: 'events.busPolicySize',
        account: this.account,
        region: this.region,
        subject: this.arn,
        value: JSON.stringify(policy).length,
      },
      () => new AwsError('PolicyLengthExceededException', 'Policy size would be larger than the maximum allowed.'),
    );
    this.#policy = policy;
  }

  get arn(): string {
    return busArn(this.region, this.account, this.name);
  }

  /** Rules on the default bus are `rule/<name>`, on a custom bus `rule/<bus>/<name>`. */
  ruleArn(ruleName: string): string {
    const path = this.name === 'default' ? ruleName : `${this.name}/${ruleName}`;
    return `arn:aws:events:${this.region}:${this.account}:rule/${path}`;
  }

  /** Adds a statement to the bus policy, replacing the one with its Sid (PutPermission, AWS::Events::EventBusPolicy). */
  putPolicyStatement(statement: PolicyStatement): void {
    const existing = this.#policy ? ([] as PolicyStatement[]).concat(this.#policy.Statement).filter((s) => s.Sid !== statement.Sid) : [];
    this.setPolicy({ Version: '2012-10-17', Statement: [...existing, statement] });
  }

  rules(): BusRule[] {
    return [...this.#rules.values()];
  }

  /**
   * Creates or updates a rule (its targets, and the phase of an unchanged schedule, are kept), as
   * PutRule does. A new schedule first fires one period after `nowMs`.
   * @throws AwsError InvalidEventPatternException, ValidationException, LimitExceededException
   */
  putRule(spec: RuleSpec, nowMs: number): BusRule {
    checkString('ValidationException', 'name', spec.name, RULE_NAME);
    if (spec.description !== undefined) checkString('ValidationException', 'description', spec.description, RULE_DESCRIPTION);
    if (spec.pattern === undefined && spec.scheduleExpression === undefined) {
      throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    if (spec.scheduleExpression !== undefined && this.name !== 'default') {
      throw new AwsError('ValidationException', 'ScheduleExpression is supported only on the default event bus.');
    }
    const existing = this.#rules.get(spec.name);
    const at = { account: this.account, region: this.region };
    if (!existing)
      this.quotas.check(
        { quota: 'events.rulesPerBus', ...at, subject: this.arn, value: this.#rules.size + 1 },
        () => new AwsError('LimitExceededException', LIMIT_EXCEEDED),
      );
    if (spec.pattern !== undefined) {
      // The pattern as PutRule receives it: CloudFormation sends the resolved EventPattern as compact JSON.
      const text = typeof spec.pattern === 'string' ? spec.pattern : JSON.stringify(spec.pattern);
      this.quotas.check(
        { quota: 'events.eventPatternSize', ...at, subject: this.ruleArn(spec.name), value: text.length },
        (limit) => new AwsError('LimitExceededException', `Event pattern is ${text.length} characters; the maximum allowed is ${limit}.`),
      );
    }
    const periodMs = spec.scheduleExpression === undefined ? undefined : ratePeriodMs(spec.scheduleExpression);
    const rule: BusRule = {
      name: spec.name,
      arn: this.ruleArn(spec.name),
      ...(spec.pattern === undefined ? {} : compileRulePattern(spec.pattern)),
      scheduleExpression: spec.scheduleExpression,
      ...(periodMs === undefined
        ? {}
        : { schedule: existing?.schedule?.periodMs === periodMs ? existing.schedule : { periodMs, nextAt: nowMs + periodMs } }),
      state: spec.state ?? 'ENABLED',
      description: spec.description,
      targets: existing?.targets ?? [],
    };
    this.#rules.set(spec.name, rule);
    return rule;
  }

  /**
   * A rule by name.
   * @throws AwsError ResourceNotFoundException
   */
  rule(name: string): BusRule {
    const rule = this.#rules.get(name);
    if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${this.name}.`);
    return rule;
  }

  /**
   * Adds or replaces targets by id.
   * @throws AwsError ValidationException, ResourceNotFoundException, LimitExceededException
   */
  putTargets(ruleName: string, targets: RuleTarget[]): void {
    const rule = this.rule(ruleName);
    for (const [i, t] of targets.entries()) checkString('ValidationException', `targets.${i + 1}.member.id`, t.id, TARGET_ID);
    const merged = [...rule.targets.filter((t) => !targets.some((n) => n.id === t.id)), ...targets];
    this.quotas.check(
      { quota: 'events.targetsPerRule', account: this.account, region: this.region, subject: rule.arn, value: merged.length },
      () => new AwsError('LimitExceededException', LIMIT_EXCEEDED),
    );
    rule.targets = merged;
  }

  /** Removes targets by id; ids the rule does not have are ignored. */
  removeTargets(ruleName: string, ids: string[]): void {
    const rule = this.rule(ruleName);
    rule.targets = rule.targets.filter((t) => !ids.includes(t.id));
  }

  /**
   * Deletes a rule, as DeleteRule does: "Before you can delete the rule, you must remove all
   * targets, using RemoveTargets" (EventBridge API reference).
   * @throws AwsError ResourceNotFoundException, ValidationException
   */
  deleteRule(name: string): void {
    if (this.rule(name).targets.length > 0) throw new AwsError('ValidationException', "Rule can't be deleted since it has targets.");
    this.#rules.delete(name);
  }
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The period of a `rate(value unit)` expression: a positive whole value, the unit singular for 1
 * and plural otherwise (EventBridge User Guide, "Schedule expressions for rules").
 * @throws AwsError ValidationException for a malformed rate, or a cron expression (not simulated)
 */
export function ratePeriodMs(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  const value = Number(match?.[1]);
  const unit = match?.[2] ?? '';
  if (!match || value < 1 || (value === 1) !== !unit.endsWith('s')) {
    const why = expression.startsWith('cron(')
      ? 'the simulation runs rate() schedules only'
      : 'expected rate(<n> <unit>) with minute(s), hour(s) or day(s)';
    throw new AwsError('ValidationException', `Parameter ScheduleExpression is not valid: ${expression} (${why}).`);
  }
  return value * UNIT_MS[unit.replace(/s$/, '')]!;
}

function compileRulePattern(pattern: EventPattern | string): { eventPattern: string; matcher: CompiledPattern } {
  try {
    return { eventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern), matcher: compilePattern(pattern) };
  } catch (error) {
    if (!(error instanceof InvalidEventPatternError)) throw error;
    throw new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${error.message}`);
  }
}
