import type { ContextEntry } from '@aws-sdk/client-iam';
import type { Statement, Value } from '../../accounts/stack/cloudformation.js';

/** What IAM's policy simulation is asked for one statement: would the role be allowed what the statement is there for? */
export interface Probe {
  sid: string;
  actions: string[];
  resources: string[];
  context: ContextEntry[];
}

/** What a value of the model is once deployed, when that is known before (see `arnOf`). */
export type Resolve = (value: Value) => string | undefined;

/** A value the statements' conditions are tested with where they require a value to differ (the Not operators). */
const OTHER_VALUE = 'backup-hub-doctor-other';

/**
 * The request a statement of the model allows, for `iam:SimulatePrincipalPolicy`: its actions on
 * its resources, with condition values that satisfy its conditions (each key given the first value
 * the statement accepts). None for what the simulation cannot ask: a Deny, an action or resource
 * that is a pattern over several, a value only known once deployed, a policy variable.
 */
export function probeOf(statement: Statement, index: number, resolve: Resolve): Probe | undefined {
  if (statement.Effect !== 'Allow') return undefined;
  const actions = ([] as string[]).concat(statement.Action).filter((a) => !a.includes('*'));
  const resources = plainStrings(statement.Resource ?? '*', resolve);
  if (actions.length === 0 || resources === undefined) return undefined;
  const context = new Map<string, ContextEntry>();
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      const values = plainStrings(value, resolve);
      if (values === undefined) return undefined;
      const entry = entryFor(operator, key, values);
      if (entry === 'unsupported') return undefined;
      if (entry && !context.has(key)) context.set(key, entry);
    }
  }
  return { sid: statement.Sid ?? String(index + 1), actions, resources, context: [...context.values()] };
}

/** The context entry that satisfies `operator` on `key`; undefined for a key that must be absent. */
function entryFor(operator: string, key: string, values: string[]): ContextEntry | undefined | 'unsupported' {
  const set = /^For(All|Any)Values:/.test(operator);
  const base = operator.replace(/^For(All|Any)Values:/, '').replace(/IfExists$/, '');
  const single = (value: string, type: ContextEntry['ContextKeyType'] = 'string'): ContextEntry => ({
    ContextKeyName: key,
    ContextKeyValues: [value],
    ContextKeyType: type,
  });
  if (base === 'Null') return values[0] === 'true' ? undefined : single(OTHER_VALUE);
  if (/^(String|Arn)Not/.test(base)) return single(OTHER_VALUE);
  if (/^(String|Arn)(Equals|Like|EqualsIgnoreCase)$/.test(base))
    return set ? { ContextKeyName: key, ContextKeyValues: values, ContextKeyType: 'stringList' } : single(values[0]!);
  if (base === 'Bool') return single(values[0]!, 'boolean');
  return 'unsupported';
}

/** The strings of a value; undefined when some part is only known once deployed, or is a policy variable. */
function plainStrings(value: Value, resolve: Resolve): string[] | undefined {
  const strings: string[] = [];
  for (const part of Array.isArray(value) ? (value as Value[]) : [value]) {
    const resolved = resolve(part);
    if (resolved === undefined || resolved.includes('${')) return undefined;
    strings.push(resolved);
  }
  return strings;
}
