import { BlockList, isIP } from 'node:net';

/**
 * EventBridge event patterns, with the semantics of AWS's own matcher (aws/event-ruler, which
 * EventBridge documents as its engine): every field named in the pattern must match (AND), the
 * values listed for a field are alternatives (OR), `$or` lists alternative sub-patterns, and an
 * array in the event matches when any of its elements does. Standalone on purpose: template
 * tests use it to check CloudFormation rule patterns against sample events.
 */

/** An event pattern as written in a rule (`EventPattern`), parsed. */
export type EventPattern = { [field: string]: unknown };

/** Why a pattern is not valid, with the JSON path of the offending part. */
export class InvalidEventPatternError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Event pattern is not valid at ${path || 'the top level'}: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

/** A compiled pattern: validate once, match many events. */
export interface CompiledPattern {
  matches(event: unknown): boolean;
}

type Scalar = string | number | boolean | null;
type LeafTest = (value: Scalar) => boolean;
/** The alternatives listed for one leaf field; `exists` tests look at presence, the others at values. */
interface LeafMatcher {
  exists?: boolean;
  tests: LeafTest[];
}
interface ObjectMatcher {
  fields: { key: string; object?: ObjectMatcher; leaf?: LeafMatcher }[];
  /** Each `$or` group: at least one of its alternatives must match the same object. */
  orGroups: ObjectMatcher[][];
}

/**
 * Validates a pattern (an object or its JSON text) and compiles it.
 * @throws InvalidEventPatternError naming the offending path and why.
 */
export function compilePattern(pattern: EventPattern | string): CompiledPattern {
  const parsed = typeof pattern === 'string' ? parseJson(pattern) : pattern;
  const root = compileObject(parsed, '');
  return { matches: (event) => matchObject(root, event) };
}

/**
 * Throws a clear error when the pattern is not one EventBridge accepts.
 * @throws InvalidEventPatternError
 */
export function validatePattern(pattern: EventPattern | string): void {
  compilePattern(pattern);
}

/**
 * Whether an event (the full envelope, parsed) matches a pattern, as EventBridge decides it.
 * @throws InvalidEventPatternError when the pattern itself is not valid.
 */
export function matchesPattern(pattern: EventPattern | string, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}

// ---------------------------------------------------------------- compiling

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidEventPatternError('', `not valid JSON (${(error as Error).message})`);
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function compileObject(node: unknown, path: string): ObjectMatcher {
  if (!isPlainObject(node)) throw new InvalidEventPatternError(path, 'must be a JSON object');
  const keys = Object.keys(node);
  if (keys.length === 0) throw new InvalidEventPatternError(path, 'empty objects are not allowed');
  const matcher: ObjectMatcher = { fields: [], orGroups: [] };
  for (const key of keys) {
    const value = node[key];
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') matcher.orGroups.push(compileOr(value, at));
    else if (Array.isArray(value)) matcher.fields.push({ key, leaf: compileLeaf(value, at) });
    else if (isPlainObject(value)) matcher.fields.push({ key, object: compileObject(value, at) });
    else throw new InvalidEventPatternError(at, 'must be an object or an array');
  }
  return matcher;
}

function compileOr(value: unknown, path: string): ObjectMatcher[] {
  if (!Array.isArray(value)) throw new InvalidEventPatternError(path, '$or must be followed by an array');
  if (value.length < 2) throw new InvalidEventPatternError(path, '$or needs at least 2 objects');
  return value.map((alternative, i) => {
    if (!isPlainObject(alternative)) throw new InvalidEventPatternError(`${path}[${i}]`, 'only JSON objects are allowed in $or');
    return compileObject(alternative, `${path}[${i}]`);
  });
}

function compileLeaf(values: unknown[], path: string): LeafMatcher {
  if (values.length === 0) throw new InvalidEventPatternError(path, 'empty arrays are not allowed');
  const leaf: LeafMatcher = { tests: [] };
  values.forEach((value, i) => {
    const at = `${path}[${i}]`;
    if (isPlainObject(value)) {
      const operator = compileOperator(value, at);
      if (typeof operator === 'boolean') leaf.exists = operator;
      else leaf.tests.push(operator);
    } else if (isScalar(value)) leaf.tests.push(exactTest(value));
    else throw new InvalidEventPatternError(at, 'match value must be a string, number, true, false, null or an operator object');
  });
  return leaf;
}

const isScalar = (value: unknown): value is Scalar =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Numbers compare by value (300 matches 3.0e2); everything else by identity and type. */
const exactTest =
  (expected: Scalar): LeafTest =>
  (value) =>
    value === expected;

/** Compiles one `{ operator: argument }` object; `exists` compiles to its boolean. */
function compileOperator(node: Record<string, unknown>, path: string): LeafTest | boolean {
  const keys = Object.keys(node);
  if (keys.length !== 1) throw new InvalidEventPatternError(path, 'only one key allowed in a match expression');
  const name = keys[0]!;
  const argument = node[name];
  const at = `${path}.${name}`;
  switch (name) {
    case 'exists':
      if (typeof argument !== 'boolean') throw new InvalidEventPatternError(at, 'exists must be true or false');
      return argument;
    case 'prefix':
      return affixTest(argument, at, (value, affix) => value.startsWith(affix));
    case 'suffix':
      return affixTest(argument, at, (value, affix) => value.endsWith(affix));
    case 'equals-ignore-case': {
      const expected = requireString(argument, at).toLowerCase();
      return (value) => typeof value === 'string' && value.toLowerCase() === expected;
    }
    case 'wildcard': {
      const regex = wildcardRegex(requireString(argument, at), at);
      return (value) => typeof value === 'string' && regex.test(value);
    }
    case 'anything-but':
      return anythingButTest(argument, at);
    case 'numeric':
      return numericTest(argument, at);
    case 'cidr':
      return cidrTest(argument, at);
    default:
      throw new InvalidEventPatternError(path, `unrecognized match type ${name}`);
  }
}

function requireString(argument: unknown, path: string): string {
  if (typeof argument !== 'string') throw new InvalidEventPatternError(path, 'must be a string');
  return argument;
}

/** `prefix` / `suffix`, either a string or `{ "equals-ignore-case": string }`. */
function affixTest(argument: unknown, path: string, test: (value: string, affix: string) => boolean): LeafTest {
  if (isPlainObject(argument)) {
    const keys = Object.keys(argument);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new InvalidEventPatternError(path, 'only equals-ignore-case may qualify prefix or suffix');
    }
    const affix = requireString(argument['equals-ignore-case'], `${path}.equals-ignore-case`).toLowerCase();
    return (value) => typeof value === 'string' && test(value.toLowerCase(), affix);
  }
  const affix = requireString(argument, path);
  return (value) => typeof value === 'string' && test(value, affix);
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegex(pattern: string, path: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\') {
      const next = pattern[++i];
      if (next !== '*' && next !== '\\') throw new InvalidEventPatternError(path, 'a backslash may only escape * or \\');
      source += `\\${next}`;
    } else if (char === '*') {
      if (pattern[i + 1] === '*') throw new InvalidEventPatternError(path, 'consecutive wildcard characters are not allowed');
      source += '.*';
    } else source += char.replace(/[.+?^${}()|[\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

const anythingButOperators = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard']);

/**
 * `anything-but`: a string or number, a list of only strings or only numbers, or one of
 * `prefix`, `suffix`, `equals-ignore-case`, `wildcard` (the last two also take a list).
 * Matches every present value that is not excluded, whatever its type; a missing field never matches.
 */
function anythingButTest(argument: unknown, path: string): LeafTest {
  if (isPlainObject(argument)) {
    const [name, ...others] = Object.keys(argument);
    if (others.length > 0 || !anythingButOperators.has(name!)) {
      throw new InvalidEventPatternError(path, `unsupported anything-but pattern: ${Object.keys(argument).join(', ')}`);
    }
    const inner = argument[name!];
    const items = Array.isArray(inner) && (name === 'equals-ignore-case' || name === 'wildcard') ? inner : [inner];
    if (items.length === 0 || items.some((item) => item === ''))
      throw new InvalidEventPatternError(path, `anything-but ${name} needs a non-empty value`);
    const excluded = items.map((item, i) => compileOperator({ [name!]: item }, `${path}[${i}]`) as LeafTest);
    return (value) => !excluded.some((test) => test(value));
  }
  const excluded: unknown[] = Array.isArray(argument) ? argument : [argument];
  const allStrings = excluded.every((v) => typeof v === 'string');
  const allNumbers = excluded.every((v) => typeof v === 'number');
  if (excluded.length === 0 || !(allStrings || allNumbers)) {
    throw new InvalidEventPatternError(path, 'anything-but takes a string, a number, or a non-empty list of only strings or only numbers');
  }
  const excludedSet = new Set<unknown>(excluded);
  return (value) => !excludedSet.has(value);
}

const lowerBounds: Record<string, (a: number, b: number) => boolean> = { '>': (a, b) => a > b, '>=': (a, b) => a >= b };
const upperBounds: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b };

/** `numeric`: `["=", n]`, `[">"|">=", n]`, `["<"|"<=", n]` or a range `[">"|">=", a, "<"|"<=", b]` with a < b. JSON numbers only. */
function numericTest(argument: unknown, path: string): LeafTest {
  if (!Array.isArray(argument) || ![2, 4].includes(argument.length)) {
    throw new InvalidEventPatternError(path, 'numeric takes [operator, number] or [lower operator, number, upper operator, number]');
  }
  const [op, bound, upperOp, upper] = argument as unknown[];
  if (typeof bound !== 'number' || (argument.length === 4 && typeof upper !== 'number')) {
    throw new InvalidEventPatternError(path, 'numeric bounds must be numbers');
  }
  if (argument.length === 2) {
    if (op === '=') return (value) => value === bound;
    const compare = lowerBounds[op as string] ?? upperBounds[op as string];
    if (!compare) throw new InvalidEventPatternError(path, `unrecognized numeric operator ${String(op)}`);
    return (value) => typeof value === 'number' && compare(value, bound);
  }
  const lower = lowerBounds[op as string];
  const top = upperBounds[upperOp as string];
  if (!lower || !top)
    throw new InvalidEventPatternError(path, 'a numeric range is a lower bound (> or >=) followed by an upper bound (< or <=)');
  if (!(bound < (upper as number)))
    throw new InvalidEventPatternError(path, 'the lower bound of a numeric range must be below the upper bound');
  return (value) => typeof value === 'number' && lower(value, bound) && top(value, upper as number);
}

/** `cidr`: string values that are IPv4 or IPv6 addresses inside the block. */
function cidrTest(argument: unknown, path: string): LeafTest {
  const [network, bits, extra] = requireString(argument, path).split('/');
  const family = isIP(network ?? '');
  const prefix = Number(bits);
  const maxBits = family === 6 ? 128 : 32;
  if (extra !== undefined || family === 0 || !/^\d+$/.test(bits ?? '') || prefix > maxBits) {
    throw new InvalidEventPatternError(path, `not a valid CIDR block: ${String(argument)}`);
  }
  const block = new BlockList();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  block.addSubnet(network!, prefix, type);
  return (value) => typeof value === 'string' && isIP(value) === family && block.check(value, type);
}

// ---------------------------------------------------------------- matching

/** Array elements (at any depth) are alternatives; an empty array holds nothing. */
function elementsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(elementsOf) : [value];
}

/** An object pattern matches when one element of the value satisfies all of it (array-consistent matching). */
function matchObject(matcher: ObjectMatcher, value: unknown): boolean {
  const candidates = elementsOf(value);
  if (candidates.length === 0) return matchFields(matcher, {});
  return candidates.some((candidate) => matchFields(matcher, isPlainObject(candidate) ? candidate : {}));
}

function matchFields(matcher: ObjectMatcher, object: Record<string, unknown>): boolean {
  const fieldsMatch = matcher.fields.every(({ key, object: nested, leaf }) => {
    const value = Object.hasOwn(object, key) ? object[key] : undefined;
    return nested ? matchObject(nested, value) : matchLeaf(leaf!, value);
  });
  return fieldsMatch && matcher.orGroups.every((group) => group.some((alternative) => matchFields(alternative, object)));
}

/** Leaf values are the scalars of the field (arrays flattened); nested objects are not leaves. */
function matchLeaf(leaf: LeafMatcher, value: unknown): boolean {
  const scalars = elementsOf(value).filter(isScalar);
  if (leaf.exists !== undefined && leaf.exists === scalars.length > 0) return true;
  return scalars.some((scalar) => leaf.tests.some((test) => test(scalar)));
}
