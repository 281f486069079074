import { TemplateError } from './template.js';

/** What `Ref: AWS::NoValue` resolves to: the property (or list item) is removed. */
export const NO_VALUE = Symbol('AWS::NoValue');

/** What resolving a template value needs: the stack's pseudo-parameters, parameters, conditions and created resources. */
export interface Scope {
  account: string;
  region: string;
  stackName: string;
  stackId: string;
  parameters: Record<string, string | string[]>;
  /** @throws TemplateError for a condition the template does not declare */
  condition(name: string): boolean;
  /** The Ref value of a created resource. @throws TemplateError */
  ref(logicalId: string): string;
  /** An attribute of a created resource. @throws TemplateError */
  getAtt(logicalId: string, attribute: string): string;
}

/** The intrinsic functions that may appear in resource properties and outputs. */
const VALUE_FUNCTIONS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::If', 'Fn::Select', 'Fn::Split', 'Fn::GetAZs']);
/** The condition functions (the Conditions section, and the condition Fn::If names). */
const CONDITION_FUNCTIONS = new Set(['Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or', 'Condition']);
/**
 * The rule-specific functions the simulation evaluates in template Rules: not `Condition`, which
 * is no rule function (Fn::If, Fn::RefAll, Fn::ValueOf, Fn::ValueOfAll are not simulated).
 */
const RULE_FUNCTIONS = new Set(['Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or', 'Fn::Contains', 'Fn::EachMemberEquals', 'Fn::EachMemberIn']);

/** The function name when a value is an intrinsic function call (a one-key object `Ref` or `Fn::…`), else undefined. */
export function intrinsicName(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
}

/** A pseudo-parameter's value. @throws TemplateError for one the simulation does not know */
function pseudo(name: string, scope: Scope, where: string): string | string[] | typeof NO_VALUE {
  switch (name) {
    case 'AWS::AccountId':
      return scope.account;
    case 'AWS::Region':
      return scope.region;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::StackName':
      return scope.stackName;
    case 'AWS::StackId':
      return scope.stackId;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::NotificationARNs':
      return [];
    default:
      throw new TemplateError(`${where}: the pseudo-parameter ${name} is not supported by the simulated CloudFormation`);
  }
}

/** What `Ref: name` is: a pseudo-parameter, a parameter, or a resource (by logical id). */
function refOf(name: string, scope: Scope, where: string): unknown {
  if (name.startsWith('AWS::')) return pseudo(name, scope, where);
  if (name in scope.parameters) return scope.parameters[name];
  return scope.ref(name);
}

/**
 * Resolves a template value: intrinsic functions are evaluated, `AWS::NoValue` removes the
 * property or list item it stands for. `where` names the place for errors (`LogicalId.Property`).
 * @throws TemplateError for an unsupported function, a malformed call or an unresolvable reference
 */
export function resolve(value: unknown, scope: Scope, where: string): unknown {
  if (Array.isArray(value)) return value.map((item, i) => resolve(item, scope, `${where}[${i}]`)).filter((item) => item !== NO_VALUE);
  if (typeof value !== 'object' || value === null) return value;
  const fn = intrinsicName(value);
  if (fn === undefined) {
    const entries = Object.entries(value).map(([key, item]) => [key, resolve(item, scope, `${where}.${key}`)] as const);
    return Object.fromEntries(entries.filter(([, item]) => item !== NO_VALUE));
  }
  const args = (value as Record<string, unknown>)[fn];
  const at = `${where} (${fn})`;
  switch (fn) {
    case 'Ref':
      return refOf(text(args, at), scope, at);
    case 'Fn::GetAtt': {
      const [id, attribute] = getAttArgs(args, at);
      return scope.getAtt(id, attribute);
    }
    case 'Fn::Sub':
      return sub(args, scope, at);
    case 'Fn::Join': {
      const [delimiter, list] = tuple(args, 2, at);
      return strings(resolve(list, scope, at), at).join(text(delimiter, at));
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = tuple(args, 3, at);
      return resolve(scope.condition(text(condition, at)) ? whenTrue : whenFalse, scope, at);
    }
    case 'Fn::Select': {
      const [index, list] = tuple(args, 2, at);
      const items = resolve(list, scope, at);
      const i = Number(resolve(index, scope, at));
      if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length)
        throw new TemplateError(`${at}: index ${i} is outside the list`);
      return items[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = tuple(args, 2, at);
      return text(resolve(source, scope, at), at).split(text(delimiter, at));
    }
    case 'Fn::GetAZs': {
      const region = text(resolve(args, scope, at), at) || scope.region;
      return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
    }
    default:
      throw new TemplateError(`${at}: the intrinsic function ${fn} is not supported by the simulated CloudFormation`);
  }
}

/**
 * Evaluates a condition (the Conditions section, Fn::If, a rule's RuleCondition and Assert).
 * `rule` admits the functions only Rules may use.
 * @throws TemplateError for an unsupported function or a malformed call
 */
export function evaluateCondition(expression: unknown, scope: Scope, where: string, rule = false): boolean {
  const fn = Object.keys(expression ?? {}).length === 1 ? Object.keys(expression as object)[0]! : undefined;
  if (fn === undefined || !(rule ? RULE_FUNCTIONS : CONDITION_FUNCTIONS).has(fn)) {
    throw new TemplateError(
      `${where}: ${fn ?? JSON.stringify(expression)} is not a ${rule ? 'rule' : 'condition'} function the simulated CloudFormation supports`,
    );
  }
  const args = (expression as Record<string, unknown>)[fn];
  const at = `${where} (${fn})`;
  const sub = (value: unknown) => evaluateCondition(value, scope, at, rule);
  const plain = (value: unknown) => JSON.stringify(resolve(value, scope, at));
  switch (fn) {
    case 'Condition':
      return scope.condition(text(args, at));
    case 'Fn::Equals': {
      const [a, b] = tuple(args, 2, at);
      return plain(a) === plain(b);
    }
    case 'Fn::Not':
      return !sub(tuple(args, 1, at)[0]);
    case 'Fn::And':
      return conditionList(args, at).every(sub);
    case 'Fn::Or':
      return conditionList(args, at).some(sub);
    case 'Fn::Contains': {
      const [list, value] = tuple(args, 2, at);
      return strings(resolve(list, scope, at), at).includes(text(resolve(value, scope, at), at));
    }
    case 'Fn::EachMemberEquals': {
      const [list, value] = tuple(args, 2, at);
      return strings(resolve(list, scope, at), at).every((member) => member === text(resolve(value, scope, at), at));
    }
    default: {
      const [list, allowed] = tuple(args, 2, at);
      const permitted = strings(resolve(allowed, scope, at), at);
      return strings(resolve(list, scope, at), at).every((member) => permitted.includes(member));
    }
  }
}

/**
 * The resources a value refers to (Ref, Fn::GetAtt, Fn::Sub), following only the branch of each
 * Fn::If its condition selects, as CloudFormation orders creation by them. Function names are
 * checked here too, so an unsupported one fails before anything is created.
 * @throws TemplateError for an unsupported function
 */
export function referencedResources(
  value: unknown,
  scope: Pick<Scope, 'parameters' | 'condition'>,
  where: string,
  found = new Set<string>(),
): Set<string> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) referencedResources(item, scope, `${where}[${i}]`, found);
    return found;
  }
  if (typeof value !== 'object' || value === null) return found;
  const fn = intrinsicName(value);
  if (fn === undefined) {
    for (const [key, item] of Object.entries(value)) referencedResources(item, scope, `${where}.${key}`, found);
    return found;
  }
  const at = `${where} (${fn})`;
  if (!VALUE_FUNCTIONS.has(fn))
    throw new TemplateError(`${at}: the intrinsic function ${fn} is not supported by the simulated CloudFormation`);
  const args = (value as Record<string, unknown>)[fn];
  const named = (name: string) => {
    if (!name.startsWith('AWS::') && !(name in scope.parameters)) found.add(name);
  };
  switch (fn) {
    case 'Ref':
      named(text(args, at));
      break;
    case 'Fn::GetAtt':
      named(getAttArgs(args, at)[0]);
      break;
    case 'Fn::Sub': {
      const [template, variables] = typeof args === 'string' ? [args, {}] : tuple(args, 2, at);
      referencedResources(variables, scope, at, found);
      for (const name of subNames(text(template, at))) if (!(name.split('.')[0]! in (variables as object))) named(name.split('.')[0]!);
      break;
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = tuple(args, 3, at);
      referencedResources(scope.condition(text(condition, at)) ? whenTrue : whenFalse, scope, at, found);
      break;
    }
    default:
      referencedResources(args, scope, at, found);
  }
  return found;
}

/** The `${…}` names of a Fn::Sub template, `${!Literal}` escapes excluded. */
function subNames(template: string): string[] {
  return [...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!.trim()).filter((name) => !name.startsWith('!'));
}

/** Fn::Sub in both forms: a string, or `[string, { Name: value }]` whose variables come first. */
function sub(args: unknown, scope: Scope, at: string): string {
  const [template, variables] = typeof args === 'string' ? [args, {}] : tuple(args, 2, at);
  const values = resolve(variables, scope, at);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new TemplateError(`${at}: the variables must be a map`);
  return text(template, at).replace(/\$\{([^}]*)\}/g, (_, raw: string) => {
    const name = raw.trim();
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in values) return String((values as Record<string, unknown>)[name]);
    const dot = name.indexOf('.');
    const value = dot > 0 && !name.startsWith('AWS::') ? scope.getAtt(name.slice(0, dot), name.slice(dot + 1)) : refOf(name, scope, at);
    if (typeof value !== 'string') throw new TemplateError(`${at}: \${${name}} is not a string`);
    return value;
  });
}

function getAttArgs(args: unknown, at: string): [string, string] {
  if (typeof args === 'string' && args.includes('.')) return [args.slice(0, args.indexOf('.')), args.slice(args.indexOf('.') + 1)];
  const [id, attribute] = tuple(args, 2, at);
  return [text(id, at), text(attribute, at)];
}

function tuple(args: unknown, length: number, at: string): unknown[] {
  if (!Array.isArray(args) || args.length !== length) throw new TemplateError(`${at}: expects a list of ${length}`);
  return args;
}

function conditionList(args: unknown, at: string): unknown[] {
  if (!Array.isArray(args) || args.length < 2 || args.length > 10) throw new TemplateError(`${at}: expects a list of 2 to 10 conditions`);
  return args;
}

function text(value: unknown, at: string): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new TemplateError(`${at}: expects a string, got ${JSON.stringify(value)}`);
  return value;
}

function strings(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) throw new TemplateError(`${at}: expects a list, got ${JSON.stringify(value)}`);
  return value.map((item) => text(item, at));
}
