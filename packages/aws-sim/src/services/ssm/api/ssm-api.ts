import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import type { AuthorizationRequest } from '../../../iam/authorizer.js';
import { JsonInput } from '../../../protocol/json-input.js';
import { type ParameterTier, type ParameterType, type ParameterVersion, parameterArn, type SimParameter } from '../parameter.js';
import type { SsmSim } from '../ssm.js';

/** A decoded SSM request, with the booleans and numbers JSON carries natively. */
class SsmInput extends JsonInput {
  constructor(private readonly raw: Record<string, unknown>) {
    super(raw, { missing: 'ValidationException', invalid: 'ValidationException' });
  }

  /** An optional boolean parameter (false when absent). */
  flag(name: string): boolean {
    const value = this.raw[name] ?? false;
    if (typeof value !== 'boolean') throw this.invalid(name, value, 'must be a boolean');
    return value;
  }

  /** One of the listed values, when present. */
  optionalEnum<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.optionalString(name);
    if (value !== undefined && !(values as readonly string[]).includes(value))
      throw this.invalid(name, value, `must be one of ${values.join(', ')}`);
    return value as T | undefined;
  }
}

type Action = (ssm: SsmSim, input: SsmInput, ctx: CallContext) => unknown;

const TYPES = ['String', 'StringList', 'SecureString'] as const;
const TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering'] as const;
/** GetParameters takes at most 10 names; GetParameterHistory returns at most 50 versions a page; GetParametersByPath at most 10. */
const MAX_NAMES = 10;
const HISTORY_PAGE = 50;
const PATH_PAGE = 10;
/** DescribeParameters returns 10 parameters a page unless MaxResults (at most 50) says otherwise. */
const DESCRIBE_DEFAULT = 10;
const DESCRIBE_PAGE = 50;

/** The Parameter Store API actions the simulation answers, in the JSON 1.1 protocol's shapes. */
/** The SSM Parameter Store API (JSON 1.1 protocol) over the simulated SSM. */
export function ssmApi(ssm: SsmSim): SimService {
  return {
    name: 'ssm',
    protocol: 'json1.1',
    call(action, input, ctx) {
      const run = ssmActions[action];
      if (!run) throw new AwsError('InvalidAction', `The action ${action} is not supported by the simulation.`);
      return run(ssm, new SsmInput(input), ctx);
    },
    authorization: (action, input, ctx) => authorization(ssm, action, input, ctx),
  };
}

/**
 * What Parameter Store authorizes: the action on each parameter it names (GetParameters: each of
 * them), with the parameter's tags; tagging on creation is authorized as ssm:AddTagsToResource too.
 */
function authorization(ssm: SsmSim, action: string, raw: Record<string, unknown>, ctx: CallContext): AuthorizationRequest[] {
  const input = new SsmInput(raw);
  const request = (iamAction: string, selector: string, context: Record<string, string | string[]> = {}): AuthorizationRequest => {
    const name = selector.split(':')[0]!;
    const parameter = ssm.parameter(ctx.account, ctx.region, name);
    const tags = Object.fromEntries([...(parameter?.tags ?? [])].map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
    return {
      action: iamAction,
      resource: parameterArn(ctx.region, ctx.account, name),
      resourceAccount: ctx.account,
      context: { ...tags, ...context },
    };
  };
  switch (action) {
    case 'DescribeParameters':
      return [{ action: 'ssm:DescribeParameters', resource: '*', resourceAccount: ctx.account }];
    case 'GetParameters':
      return input.list<string>('Names').map((name) => request('ssm:GetParameters', name));
    case 'GetParametersByPath': {
      // Authorized on the path itself, as a parameter ARN without its trailing slash ("Restricting access to Parameter Store parameters using IAM policies").
      const path = input.string('Path').replace(/\/$/, '');
      return [{ action: 'ssm:GetParametersByPath', resource: parameterArn(ctx.region, ctx.account, path), resourceAccount: ctx.account }];
    }
    case 'AddTagsToResource':
    case 'ListTagsForResource':
      return [request(`ssm:${action}`, input.string('ResourceId'))];
    case 'PutParameter': {
      const tags = input.list<{ Key: string; Value: string }>('Tags');
      const requestTags = {
        ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])),
        'aws:TagKeys': tags.map((t) => t.Key),
      };
      return [
        request('ssm:PutParameter', input.string('Name'), tags.length ? requestTags : {}),
        ...(tags.length ? [request('ssm:AddTagsToResource', input.string('Name'), requestTags)] : []),
      ];
    }
    default:
      return [request(`ssm:${action}`, input.string('Name'))];
  }
}

const ssmActions: Record<string, Action> = {
  PutParameter(ssm, input, ctx) {
    const tags = input.list<{ Key: string; Value: string }>('Tags');
    const version = ssm.put(ctx.account, ctx.region, ctx.caller, {
      name: input.string('Name'),
      value: input.string('Value'),
      type: input.optionalEnum<ParameterType>('Type', TYPES),
      keyId: input.optionalString('KeyId'),
      description: input.optionalString('Description'),
      tier: input.optionalEnum<ParameterTier>('Tier', TIERS),
      overwrite: input.flag('Overwrite'),
      tags,
      dataType: input.optionalString('DataType'),
    });
    return { Version: version.version, Tier: version.tier };
  },

  GetParameter(ssm, input, ctx) {
    return { Parameter: read(ssm, input.string('Name'), input.flag('WithDecryption'), ctx) };
  },

  GetParameters(ssm, input, ctx) {
    const names = input.list<string>('Names');
    if (names.length < 1 || names.length > MAX_NAMES) throw input.invalid('Names', names.length, `must list 1 to ${MAX_NAMES} names`);
    const found: unknown[] = [];
    const invalid: string[] = [];
    for (const name of names) {
      try {
        found.push(read(ssm, name, input.flag('WithDecryption'), ctx));
      } catch (error) {
        if (!(error instanceof AwsError) || !['ParameterNotFound', 'ParameterVersionNotFound'].includes(error.code)) throw error;
        invalid.push(name);
      }
    }
    return { Parameters: found, InvalidParameters: invalid };
  },

  GetParametersByPath(ssm, input, ctx) {
    const path = input.string('Path');
    if (!path.startsWith('/')) throw input.invalid('Path', path, 'must start with /');
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const recursive = input.flag('Recursive');
    // Without Recursive, only the level right under the path ("Retrieve information about one or more parameters under a specified level").
    const under = ssm
      .parameters(ctx.account, ctx.region)
      .filter((p) => p.name.startsWith(prefix) && (recursive || !p.name.slice(prefix.length).includes('/')))
      .sort((a, b) => a.name.localeCompare(b.name));
    const max = input.optionalInt('MaxResults', 1, PATH_PAGE) ?? PATH_PAGE;
    const start = Number(input.optionalString('NextToken') ?? '0');
    const next = start + max < under.length ? { NextToken: String(start + max) } : {};
    return { Parameters: under.slice(start, start + max).map((p) => read(ssm, p.name, input.flag('WithDecryption'), ctx)), ...next };
  },

  GetParameterHistory(ssm, input, ctx) {
    const parameter = ssm.find(ctx.account, ctx.region, input.string('Name'));
    const max = input.optionalInt('MaxResults', 1, HISTORY_PAGE) ?? HISTORY_PAGE;
    const start = Number(input.optionalString('NextToken') ?? '0');
    const page = parameter.versions.slice(start, start + max);
    const withDecryption = input.flag('WithDecryption');
    const next = start + max < parameter.versions.length ? { NextToken: String(start + max) } : {};
    return { Parameters: page.map((v) => historyEntry(ssm, parameter, v, withDecryption, ctx)), ...next };
  },

  DeleteParameter(ssm, input, ctx) {
    ssm.delete(ctx.account, ctx.region, input.string('Name'));
    return {};
  },

  DescribeParameters(ssm, input, ctx) {
    const filters = input.list<{ Key: string; Option?: string; Values: string[] }>('ParameterFilters');
    // Name (Equals or BeginsWith) and tag:<key> (its value one of Values) are the filters the simulation reads.
    const matches = (p: SimParameter) =>
      filters.every((f) =>
        f.Key.startsWith('tag:')
          ? f.Values.includes(p.tags.get(f.Key.slice(4)) ?? '')
          : f.Key !== 'Name' || f.Values.some((v) => (f.Option === 'BeginsWith' ? p.name.startsWith(v) : p.name === v)),
      );
    const max = input.optionalInt('MaxResults', 1, DESCRIBE_PAGE) ?? DESCRIBE_DEFAULT;
    const start = Number(input.optionalString('NextToken') ?? '0');
    if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidNextToken', 'The specified token is not valid.');
    const all = ssm.parameters(ctx.account, ctx.region).filter(matches);
    const next = start + max < all.length ? { NextToken: String(start + max) } : {};
    return { Parameters: all.slice(start, start + max).map(metadataOf), ...next };
  },

  LabelParameterVersion(ssm, input, ctx) {
    const labels = input.list<string>('Labels');
    const { version, invalid } = ssm.label(
      ctx.account,
      ctx.region,
      input.string('Name'),
      input.optionalInt('ParameterVersion', 1, Number.MAX_SAFE_INTEGER),
      labels,
    );
    return { InvalidLabels: invalid, ParameterVersion: version.version };
  },

  AddTagsToResource(ssm, input, ctx) {
    const parameter = taggable(ssm, input, ctx);
    for (const tag of input.list<{ Key: string; Value: string }>('Tags')) parameter.tags.set(tag.Key, tag.Value);
    return {};
  },

  ListTagsForResource(ssm, input, ctx) {
    return { TagList: [...taggable(ssm, input, ctx).tags].map(([Key, Value]) => ({ Key, Value })) };
  },
};

/** `name`, `name:version` or `name:label` (names never contain a colon). */
function read(ssm: SsmSim, selector: string, withDecryption: boolean, ctx: CallContext) {
  const [name, which] = selector.split(':') as [string, string | undefined];
  const parameter = ssm.find(ctx.account, ctx.region, name);
  const version = parameter.select(which);
  return {
    Name: parameter.name,
    Type: version.type,
    Value: ssm.valueOf(parameter, version, ctx.caller, withDecryption),
    Version: version.version,
    ...(which === undefined ? {} : { Selector: `:${which}` }),
    LastModifiedDate: version.lastModified.getTime() / 1000,
    ARN: parameter.arn,
    DataType: version.dataType,
  };
}

function historyEntry(ssm: SsmSim, parameter: SimParameter, version: ParameterVersion, withDecryption: boolean, ctx: CallContext) {
  return {
    Name: parameter.name,
    Type: version.type,
    ...(version.keyArn ? { KeyId: version.keyArn } : {}),
    LastModifiedDate: version.lastModified.getTime() / 1000,
    LastModifiedUser: version.lastModifiedUser,
    ...(version.description ? { Description: version.description } : {}),
    Value: ssm.valueOf(parameter, version, ctx.caller, withDecryption),
    Version: version.version,
    Labels: version.labels,
    Tier: version.tier,
    Policies: [],
    DataType: version.dataType,
  };
}

function metadataOf(parameter: SimParameter) {
  const latest = parameter.latest();
  return {
    Name: parameter.name,
    ARN: parameter.arn,
    Type: latest.type,
    ...(latest.keyArn ? { KeyId: latest.keyArn } : {}),
    LastModifiedDate: latest.lastModified.getTime() / 1000,
    LastModifiedUser: latest.lastModifiedUser,
    ...(latest.description ? { Description: latest.description } : {}),
    Version: latest.version,
    Tier: latest.tier,
    Policies: [],
    DataType: latest.dataType,
  };
}

/** Only parameters are simulated among the taggable resource types. */
function taggable(ssm: SsmSim, input: SsmInput, ctx: CallContext): SimParameter {
  const type = input.string('ResourceType');
  if (type !== 'Parameter') throw new AwsError('InvalidResourceType', `The resource type ${type} is not supported by the simulation.`);
  return ssm.find(ctx.account, ctx.region, input.string('ResourceId'));
}
