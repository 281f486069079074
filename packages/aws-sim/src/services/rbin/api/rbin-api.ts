import { AwsError } from '../../../core/errors.js';
import type { CallContext, RestRequest, SimService } from '../../../core/service.js';
import type { RecycleBin, ResourceTag, RetentionRule } from '../recycle-bin.js';

type Body = Record<string, unknown>;
type Input = { identifier?: string; body: Body };
type Action = (bin: RecycleBin, input: Input, ctx: CallContext) => Body | undefined;

/** The routes of the Recycle Bin API (REST-JSON): method and path → action, with the rule's identifier from the path. */
const ROUTES: { method: string; path: RegExp; action: string; status: number }[] = [
  { method: 'POST', path: /^\/rules$/, action: 'CreateRule', status: 201 },
  { method: 'POST', path: /^\/list-rules$/, action: 'ListRules', status: 200 },
  { method: 'GET', path: /^\/rules\/([^/]+)$/, action: 'GetRule', status: 200 },
  { method: 'DELETE', path: /^\/rules\/([^/]+)$/, action: 'DeleteRule', status: 204 },
  { method: 'PATCH', path: /^\/rules\/([^/]+)$/, action: 'UpdateRule', status: 200 },
  { method: 'PATCH', path: /^\/rules\/([^/]+)\/lock$/, action: 'LockRule', status: 200 },
  { method: 'PATCH', path: /^\/rules\/([^/]+)\/unlock$/, action: 'UnlockRule', status: 200 },
];

const ruleArn = (rule: RetentionRule) => `arn:aws:rbin:${rule.region}:${rule.account}:rule/${rule.id}`;

/**
 * The Recycle Bin API (`rbin`, REST-JSON) over the simulated bin: rules, their locks. Each action is
 * authorized as `rbin:<Action>` on the rule's ARN (`*` for CreateRule and ListRules).
 */
export function rbinApi(bin: RecycleBin): SimService {
  return {
    name: 'rbin',
    protocol: 'rest-json',
    rest: {
      decode(request: RestRequest) {
        for (const route of ROUTES) {
          const match = request.method === route.method ? route.path.exec(request.path) : null;
          if (!match) continue;
          const body = request.body.length > 0 ? (JSON.parse(request.body.toString('utf8')) as Body) : {};
          return { action: route.action, input: { identifier: match[1] && decodeURIComponent(match[1]), body } };
        }
        throw new AwsError('UnknownOperationException', `No Recycle Bin operation is ${request.method} ${request.path}.`, 404);
      },
      encode(action, result, requestId) {
        const status = ROUTES.find((r) => r.action === action)!.status;
        const headers = { 'x-amzn-requestid': requestId, 'content-type': 'application/json' };
        return { status, headers, body: status === 204 ? undefined : JSON.stringify(result ?? {}) };
      },
      encodeError: (error, _request, requestId) => ({
        status: error.status,
        headers: { 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code, 'content-type': 'application/json' },
        body: JSON.stringify({ message: error.message, ...(error.code === 'ConflictException' ? { Reason: 'INVALID_RULE_STATE' } : {}) }),
      }),
    },
    call(action, raw, ctx) {
      const run = actions[action];
      if (!run) throw new AwsError('UnknownOperationException', `The simulation has no Recycle Bin action ${action}.`, 404);
      return run(bin, raw as Input, ctx);
    },
    authorization(action, raw, ctx) {
      const { identifier } = raw as Input;
      const resource = identifier === undefined ? '*' : `arn:aws:rbin:${ctx.region}:${ctx.account}:rule/${identifier}`;
      return [{ action: `rbin:${action}`, resource, resourceAccount: ctx.account }];
    },
  };
}

const actions: Record<string, Action> = {
  CreateRule(bin, { body }, ctx) {
    const retention = body.RetentionPeriod as { RetentionPeriodValue?: number } | undefined;
    const lock = body.LockConfiguration as { UnlockDelay?: { UnlockDelayValue?: number } } | undefined;
    const rule = bin.createRule(ctx.account, ctx.region, {
      resourceType: String(body.ResourceType),
      retentionDays: Number(retention?.RetentionPeriodValue),
      description: body.Description as string | undefined,
      resourceTags: wireTags(body.ResourceTags),
      excludeResourceTags: wireTags(body.ExcludeResourceTags),
      unlockDelayDays: lock && Number(lock.UnlockDelay?.UnlockDelayValue),
    });
    return ruleBody(bin, rule);
  },
  ListRules(bin, { body }, ctx) {
    const rules = bin.rules(ctx.account, ctx.region, body.ResourceType as string | undefined);
    return {
      Rules: rules.map((r) => ({
        Identifier: r.id,
        Description: r.description,
        RetentionPeriod: retentionOf(r),
        LockState: bin.lockState(r),
        RuleArn: ruleArn(r),
      })),
    };
  },
  GetRule: (bin, { identifier }, ctx) => ruleBody(bin, bin.rule(ctx.account, ctx.region, identifier!)),
  DeleteRule(bin, { identifier }, ctx) {
    bin.deleteRule(ctx.account, ctx.region, identifier!);
    return undefined;
  },
  UpdateRule(bin, { identifier, body }, ctx) {
    const retention = body.RetentionPeriod as { RetentionPeriodValue?: number } | undefined;
    const rule = bin.updateRule(ctx.account, ctx.region, identifier!, {
      retentionDays: retention && Number(retention.RetentionPeriodValue),
      description: body.Description as string | undefined,
    });
    return ruleBody(bin, rule);
  },
  LockRule(bin, { identifier, body }, ctx) {
    const lock = body.LockConfiguration as { UnlockDelay?: { UnlockDelayValue?: number } } | undefined;
    return ruleBody(bin, bin.lockRule(ctx.account, ctx.region, identifier!, Number(lock?.UnlockDelay?.UnlockDelayValue)));
  },
  UnlockRule: (bin, { identifier }, ctx) => ruleBody(bin, bin.unlockRule(ctx.account, ctx.region, identifier!)),
};

function wireTags(value: unknown): ResourceTag[] {
  return ((value as { ResourceTagKey: string; ResourceTagValue?: string }[] | undefined) ?? []).map((t) => ({
    key: t.ResourceTagKey,
    value: t.ResourceTagValue,
  }));
}

const retentionOf = (rule: RetentionRule) => ({ RetentionPeriodValue: rule.retentionDays, RetentionPeriodUnit: 'DAYS' });

function ruleBody(bin: RecycleBin, rule: RetentionRule): Body {
  const state = bin.lockState(rule);
  return {
    Identifier: rule.id,
    Description: rule.description,
    ResourceType: rule.resourceType,
    RetentionPeriod: retentionOf(rule),
    ResourceTags: rule.resourceTags.map((t) => ({ ResourceTagKey: t.key, ResourceTagValue: t.value })),
    ExcludeResourceTags: rule.excludeResourceTags.map((t) => ({ ResourceTagKey: t.key, ResourceTagValue: t.value })),
    Status: 'available',
    LockState: state,
    ...(rule.unlockDelayDays === undefined
      ? {}
      : { LockConfiguration: { UnlockDelay: { UnlockDelayValue: rule.unlockDelayDays, UnlockDelayUnit: 'DAYS' } } }),
    ...(rule.unlockAt === undefined ? {} : { LockEndTime: rule.unlockAt / 1000 }),
    RuleArn: ruleArn(rule),
  };
}
