import type { CallContext } from '../../../core/service.js';
import type { AuthorizationRequest } from '../../../iam/authorizer.js';
import { type KeyNames, tableArn } from '../dynamodb.js';
import { parseInsert } from '../partiql.js';

type Input = Record<string, unknown>;
type Item = Record<string, Record<string, unknown>>;

/** Words of DynamoDB's expression syntax that are not attribute names. */
const KEYWORDS = new Set(['set', 'remove', 'add', 'delete', 'and', 'or', 'not', 'between', 'in', 'size']);

/**
 * What DynamoDB authorizes for a call: the action on the table, or on the index a Query names, with
 * `dynamodb:LeadingKeys` (the partition key values the request reaches) and `dynamodb:Attributes`
 * (the top-level attributes it reads or writes) for fine-grained access control (DynamoDB developer
 * guide, "Using IAM policy conditions for fine-grained access control"). A PartiQL INSERT is
 * `dynamodb:PartiQLInsert`, with the keys of the put it is.
 */
export function dynamodbAuthorization(
  action: string,
  input: Input,
  ctx: CallContext,
  keysOf: (table: string, index?: string) => KeyNames | undefined,
): AuthorizationRequest[] {
  if (action === 'ExecuteStatement') {
    const { table, item } = parseInsert(input);
    return dynamodbAuthorization('PutItem', { TableName: table, Item: item }, ctx, keysOf).map((r) => ({
      ...r,
      action: 'dynamodb:PartiQLInsert',
    }));
  }
  const table = typeof input.TableName === 'string' ? input.TableName : undefined;
  if (!table) return [{ action: `dynamodb:${action}`, resource: '*', resourceAccount: ctx.account }];
  const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
  const arn = `${tableArn(ctx.region, ctx.account, table)}${index ? `/index/${index}` : ''}`;
  const keys = keysOf(table, index);
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Item;
  const item = (input.Item ?? input.Key) as Item | undefined;
  const leading = keys && item?.[keys.hash] ? [scalar(item[keys.hash]!)] : keys ? queriedKey(input, keys.hash, names, values) : [];
  const attributes = attributesOf(action, input, names, keys);
  return [
    {
      action: `dynamodb:${action}`,
      resource: arn,
      resourceAccount: ctx.account,
      context: {
        ...(leading.length > 0 ? { 'dynamodb:LeadingKeys': leading } : {}),
        ...(attributes.length > 0 ? { 'dynamodb:Attributes': attributes } : {}),
        ...(typeof input.Select === 'string' ? { 'dynamodb:Select': input.Select } : {}),
        ...(typeof input.ReturnValues === 'string' ? { 'dynamodb:ReturnValues': input.ReturnValues } : {}),
      },
    },
  ];
}

/** A Query's partition key value: `<key> = :value` in its KeyConditionExpression. */
function queriedKey(input: Input, hash: string, names: Record<string, string>, values: Item): string[] {
  const expression = typeof input.KeyConditionExpression === 'string' ? input.KeyConditionExpression : '';
  for (const match of expression.matchAll(/(#?[\w]+)\s*=\s*(:[\w]+)/g)) {
    const name = match[1]!.startsWith('#') ? names[match[1]!] : match[1];
    if (name === hash && values[match[2]!]) return [scalar(values[match[2]!]!)];
  }
  return [];
}

/** The top-level attributes a request names: an item's, an update's (with the key), a projection's. */
function attributesOf(action: string, input: Input, names: Record<string, string>, keys: KeyNames | undefined): string[] {
  const found = new Set<string>();
  if (action === 'PutItem') for (const name of Object.keys((input.Item ?? {}) as Item)) found.add(name);
  if (action === 'UpdateItem') {
    for (const name of Object.keys((input.Key ?? {}) as Item)) found.add(name);
    for (const name of expressionNames(input.UpdateExpression, names)) found.add(name);
  }
  for (const name of expressionNames(input.ProjectionExpression, names)) found.add(name);
  if (found.size > 0 && keys && action !== 'PutItem') found.add(keys.hash);
  return [...found];
}

function expressionNames(expression: unknown, names: Record<string, string>): string[] {
  if (typeof expression !== 'string') return [];
  const text = expression.replace(/:[\w]+/g, ' ').replace(/\w+\s*\(/g, ' (');
  return [...text.matchAll(/#?[A-Za-z_][\w]*/g)]
    .map((m) => (m[0].startsWith('#') ? names[m[0]] : m[0]))
    .filter((name): name is string => name !== undefined && !KEYWORDS.has(name.toLowerCase()));
}

/** An attribute value as a string (`{ S: 'x' }` → `x`). */
function scalar(value: Record<string, unknown>): string {
  return String(Object.values(value)[0]);
}
