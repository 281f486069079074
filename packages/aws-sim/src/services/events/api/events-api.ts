import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../../core/cloud-core.js';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import { type PolicyDocument, type PolicyStatement, parsePolicy } from '../../../policy/resource-policy.js';
import { JsonInput } from '../../../protocol/json-input.js';
import type { BusRule, EventBus, RuleTarget } from '../event-bus.js';
import type { EventBridgeSim } from '../events.js';

type Action = (events: EventBridgeSim, input: JsonInput, ctx: CallContext) => unknown;

/** A PutEvents entry on the JSON wire (`Time` in epoch seconds). */
interface WireEntry {
  Time?: number;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
}

/** A rule target on the JSON wire. */
interface WireTarget {
  Id?: string;
  Arn?: string;
  RoleArn?: string;
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
}

/** The actions on one rule, and the parameter that names it. */
const RULE_ACTIONS: Record<string, 'Name' | 'Rule'> = {
  PutRule: 'Name',
  DeleteRule: 'Name',
  DescribeRule: 'Name',
  EnableRule: 'Name',
  DisableRule: 'Name',
  PutTargets: 'Rule',
  RemoveTargets: 'Rule',
  ListTargetsByRule: 'Rule',
};

/** PutEvents takes 1 to 10 entries. */
const MAX_ENTRIES = 10;

/** The EventBridge API (JSON 1.1 protocol) over the simulated EventBridge. */
export function eventsApi(events: EventBridgeSim): SimService {
  return {
    name: 'events',
    protocol: 'json1.1',
    call(action, input, ctx) {
      const run = eventsActions[action];
      if (!run) throw new AwsError('UnknownOperationException', `Unknown operation ${action}`);
      return run(events, new JsonInput(input, { missing: 'ValidationException', invalid: 'ValidationException' }), ctx);
    },
    // PutEvents is authorized per entry, on the bus it names, with that entry's source and detail-type.
    authorization: (action, input, ctx) => {
      if (action === 'PutEvents') return [];
      // Rule actions are authorized on the rule (Service Authorization Reference for EventBridge: resource type rule).
      const rule = RULE_ACTIONS[action];
      const name = rule && (input[rule] as string | undefined);
      const bus = (input.EventBusName as string | undefined) ?? 'default';
      const resource = name
        ? `arn:aws:events:${ctx.region}:${ctx.account}:rule/${bus === 'default' ? '' : `${bus.split('/').pop()}/`}${name}`
        : '*';
      return [{ action: `events:${action}`, resource, resourceAccount: ctx.account }];
    },
  };
}

/** The EventBridge API actions the simulation answers, in the JSON 1.1 protocol's shapes. */
const eventsActions: Record<string, Action> = {
  PutEvents(events, input, ctx) {
    const entries = input.list<WireEntry>('Entries');
    if (entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const results = entries.map((entry) => putEntry(events, entry, ctx));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  },

  PutRule(events, input, ctx) {
    const bus = ownBus(events, input, ctx);
    const state = input.optionalString('State');
    if (state !== undefined && state !== 'ENABLED' && state !== 'DISABLED')
      throw input.invalid('State', state, 'must be ENABLED or DISABLED');
    const rule = bus.putRule(
      {
        name: input.string('Name'),
        pattern: input.optionalString('EventPattern'),
        scheduleExpression: input.optionalString('ScheduleExpression'),
        state,
        description: input.optionalString('Description'),
      },
      events.cloud.clock.nowMs(),
    );
    return { RuleArn: rule.arn };
  },

  PutTargets(events, input, ctx) {
    const targets = input.list<WireTarget>('Targets').map((t): RuleTarget => {
      if (!t.Id || !t.Arn) throw new AwsError('ValidationException', 'Every target needs an Id and an Arn.');
      const retry = t.RetryPolicy;
      return {
        id: t.Id,
        arn: t.Arn,
        ...(t.RoleArn ? { roleArn: t.RoleArn } : {}),
        ...(t.DeadLetterConfig?.Arn ? { deadLetterArn: t.DeadLetterConfig.Arn } : {}),
        ...(retry
          ? { retryPolicy: { maximumRetryAttempts: retry.MaximumRetryAttempts, maximumEventAgeSeconds: retry.MaximumEventAgeInSeconds } }
          : {}),
      };
    });
    ownBus(events, input, ctx).putTargets(input.string('Rule'), targets);
    return { FailedEntryCount: 0, FailedEntries: [] };
  },

  DeleteRule(events, input, ctx) {
    ownBus(events, input, ctx).deleteRule(input.string('Name'));
    return {};
  },

  EnableRule(events, input, ctx) {
    ownBus(events, input, ctx).rule(input.string('Name')).state = 'ENABLED';
    return {};
  },

  DisableRule(events, input, ctx) {
    ownBus(events, input, ctx).rule(input.string('Name')).state = 'DISABLED';
    return {};
  },

  RemoveTargets(events, input, ctx) {
    ownBus(events, input, ctx).removeTargets(input.string('Rule'), input.list<string>('Ids'));
    return { FailedEntryCount: 0, FailedEntries: [] };
  },

  DescribeRule(events, input, ctx) {
    const bus = ownBus(events, input, ctx);
    return { ...wireRule(bus, bus.rule(input.string('Name'))), CreatedBy: bus.account };
  },

  ListRules(events, input, ctx) {
    const bus = ownBus(events, input, ctx);
    const prefix = input.optionalString('NamePrefix') ?? '';
    return {
      Rules: bus
        .rules()
        .filter((r) => r.name.startsWith(prefix))
        .map((r) => wireRule(bus, r)),
    };
  },

  ListTargetsByRule(events, input, ctx) {
    const rule = ownBus(events, input, ctx).rule(input.string('Rule'));
    return { Targets: rule.targets.map(wireTarget) };
  },

  DescribeEventBus(events, input, ctx) {
    const bus = ownBus(events, input, ctx, 'Name');
    return { Name: bus.name, Arn: bus.arn, ...(bus.policy ? { Policy: JSON.stringify(bus.policy) } : {}) };
  },

  PutPermission(events, input, ctx) {
    const bus = ownBus(events, input, ctx);
    const policy = input.optionalString('Policy');
    if (policy === undefined) bus.putPolicyStatement(permissionStatement(bus, input));
    else bus.setPolicy(parsePolicyOrFail(policy));
    return {};
  },
};

/** One PutEvents entry: its own result, never an exception, as EventBridge reports per entry. */
function putEntry(
  events: EventBridgeSim,
  entry: WireEntry,
  ctx: CallContext,
): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
  try {
    const event = envelopeOf(entry, ctx, events.cloud.clock.now());
    const bus = resolveBus(events, entry.EventBusName ?? 'default', ctx);
    events.checkPutEvents(bus, ctx.caller, event);
    events.publish(bus, event);
    return { EventId: event.id };
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    return { ErrorCode: error.code, ErrorMessage: error.message };
  }
}

/** The envelope EventBridge builds: the sender's account and region, the entry's fields, a new id. */
function envelopeOf(entry: WireEntry, ctx: CallContext, now: Date): EventEnvelope {
  for (const name of ['Source', 'DetailType', 'Detail'] as const) {
    if (!entry[name]) throw new AwsError('InvalidArgument', `Parameter ${name} is not valid. Reason: ${name} is a required argument.`);
  }
  // Only AWS services may publish aws.* sources; customers get this per-entry refusal.
  if (entry.Source!.startsWith('aws.')) throw new AwsError('NotAuthorizedForSourceException', 'Not authorized for the source.');
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail!);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new AwsError('MalformedDetail', 'Detail is malformed.');
  const time = entry.Time === undefined ? now : new Date(entry.Time * 1000);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType!,
    source: entry.Source!,
    account: ctx.account,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: ctx.region,
    resources: entry.Resources ?? [],
    detail: detail as Record<string, unknown>,
  };
}

/** `EventBusName` is a name in the caller's account and region, or the ARN of any bus. */
function resolveBus(events: EventBridgeSim, nameOrArn: string, ctx: CallContext): EventBus {
  return nameOrArn.startsWith('arn:') ? events.busByArn(nameOrArn) : events.bus(ctx.account, ctx.region, nameOrArn);
}

/** Rules, targets and permissions are managed only on the caller's own buses in the simulation. */
function ownBus(events: EventBridgeSim, input: JsonInput, ctx: CallContext, parameter = 'EventBusName'): EventBus {
  const bus = resolveBus(events, input.optionalString(parameter) ?? 'default', ctx);
  if (bus.account !== ctx.account) {
    throw new AwsError(
      'AccessDeniedException',
      `User: ${ctx.caller.arn} is not authorized to manage event bus ${bus.arn} in the simulation`,
    );
  }
  return bus;
}

function wireTarget(target: RuleTarget): WireTarget {
  const retry = target.retryPolicy;
  return {
    Id: target.id,
    Arn: target.arn,
    ...(target.roleArn ? { RoleArn: target.roleArn } : {}),
    ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
    ...(retry
      ? { RetryPolicy: { MaximumRetryAttempts: retry.maximumRetryAttempts, MaximumEventAgeInSeconds: retry.maximumEventAgeSeconds } }
      : {}),
  };
}

function wireRule(bus: EventBus, rule: BusRule) {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: bus.name,
    State: rule.state,
    ...(rule.eventPattern ? { EventPattern: rule.eventPattern } : {}),
    ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
    ...(rule.description ? { Description: rule.description } : {}),
  };
}

/** The statement PutPermission adds for `Principal` (an account id or `*`) and an optional condition. */
function permissionStatement(bus: EventBus, input: JsonInput): PolicyStatement {
  const principal = input.string('Principal');
  const condition = input.map<string>('Condition');
  if (principal === '*' && !condition.Key) throw new AwsError('ValidationException', 'A Condition is required when Principal is *.');
  return {
    Sid: input.string('StatementId'),
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
    Action: input.optionalString('Action') ?? 'events:PutEvents',
    Resource: bus.arn,
    ...(condition.Key ? { Condition: { [condition.Type ?? 'StringEquals']: { [condition.Key]: condition.Value ?? '' } } } : {}),
  };
}

function parsePolicyOrFail(policy: string): PolicyDocument {
  try {
    return parsePolicy(policy);
  } catch (error) {
    throw new AwsError('ValidationException', (error as Error).message);
  }
}
