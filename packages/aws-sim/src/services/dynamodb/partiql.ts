import { AwsError } from '../../core/errors.js';

type AttributeValue = Record<string, unknown>;

/** A PartiQL INSERT: the table and the item it adds. */
export interface PartiqlInsert {
  table: string;
  item: Record<string, AttributeValue>;
}

const INSERT = /^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*;?\s*$/is;
const FIELD = /^\s*'([^']+)'\s*:\s*(\?|'([^']*)')\s*$/;

/**
 * The one PartiQL statement the simulator runs: `INSERT INTO "table" VALUE {'name': ?, 'other': 'text', …}`,
 * each value a parameter (`?`, in order) or a string literal. DynamoDB adds the item only if no item
 * has its key (DuplicateItemException otherwise): an insert never overwrites (DynamoDB developer guide,
 * "PartiQL insert statements for DynamoDB").
 * @throws AwsError ValidationException for any other statement, or parameters that do not fit
 */
export function parseInsert(input: Record<string, unknown>): PartiqlInsert {
  const statement = typeof input.Statement === 'string' ? input.Statement : '';
  const match = INSERT.exec(statement);
  if (!match)
    throw new AwsError(
      'ValidationException',
      `the simulated DynamoDB runs PartiQL INSERT INTO "table" VALUE {…} only, not: ${statement.slice(0, 80)}`,
    );
  const parameters = [...((input.Parameters ?? []) as AttributeValue[])];
  const item: Record<string, AttributeValue> = {};
  for (const field of splitFields(match[2]!)) {
    const parts = FIELD.exec(field);
    if (!parts) throw new AwsError('ValidationException', `Statement wasn't well formed, can't be processed: ${field.trim()}`);
    const value = parts[2] === '?' ? parameters.shift() : { S: parts[3]! };
    if (value === undefined) throw new AwsError('ValidationException', "Number of parameters in request and statement don't match.");
    item[parts[1]!] = value;
  }
  if (parameters.length > 0) throw new AwsError('ValidationException', "Number of parameters in request and statement don't match.");
  return { table: match[1]!, item };
}

/** The tuple's fields, split at the commas outside string literals. */
function splitFields(tuple: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of tuple) {
    if (c === "'") quoted = !quoted;
    if (c === ',' && !quoted) {
      fields.push(current);
      current = '';
    } else current += c;
  }
  if (current.trim()) fields.push(current);
  return fields;
}
