import { actionsMatching, isGlobalKey, keyAdmits, referenceAction, resourceTypeConditionKeys } from './reference.js';

/** A statement as any policy writes it (identity, key, trust, bus or queue policy). */
interface StatementLike {
  Sid?: string;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A condition key no action of its statement supports, on the action or on any of its resource types. */
export interface UnsupportedConditionKey {
  /** The statement's Sid, or its 1-based position. */
  statement: string;
  key: string;
  actions: string[];
}

/**
 * The condition keys of a policy that none of their statement's actions support, per the Service
 * Authorization Reference: such a condition is never satisfied on AWS (an Allow never applies), which
 * IAM accepts without a word. Global `aws:` keys apply to every action; a statement with `NotAction`
 * or a service the reference does not know is not judged.
 */
export function unsupportedConditionKeys(policy: { Statement: StatementLike | StatementLike[] }): UnsupportedConditionKey[] {
  const statements = ([] as StatementLike[]).concat(policy.Statement);
  return statements.flatMap((statement, index) => {
    if (statement.NotAction !== undefined || statement.Condition === undefined) return [];
    const patterns = ([] as unknown[]).concat(statement.Action ?? []).filter((a): a is string => typeof a === 'string');
    if (patterns.includes('*')) return [];
    const actions = [...new Set(patterns.flatMap(actionsMatching))];
    if (actions.length === 0) return [];
    const supported = actions.flatMap(keysOf);
    const keys = new Set(Object.values(statement.Condition).flatMap((byKey) => Object.keys(byKey)));
    return [...keys]
      .filter((key) => !isGlobalKey(key) && !supported.some((s) => keyAdmits(s, key)))
      .map((key) => ({ statement: statement.Sid ?? String(index + 1), key, actions }));
  });
}

/** The keys an action supports: its own, and those of the resource types it is authorized on. */
function keysOf(action: string): string[] {
  const reference = referenceAction(action);
  if (!reference) return [];
  const service = action.slice(0, action.indexOf(':'));
  return [
    ...reference.conditionKeys,
    ...reference.resourceTypes.flatMap((rt) => [...rt.conditionKeys, ...resourceTypeConditionKeys(service, rt.name)]),
  ];
}
