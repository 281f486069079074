import { createRequire } from 'node:module';
import { AwsError } from '../../core/errors.js';
import { patchDynalite } from './dynalite-whole-index-keys.js';
import { parseInsert } from './partiql.js';

const require = createRequire(import.meta.url);

/** An error of dynalite's validations and actions: the status and body DynamoDB would answer with. */
interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type?: string; message?: string };
}

/** The part of a dynalite store (db/index.js `create`) the engine touches. */
interface DynaliteStore {
  tableDb: { awsAccountId: string; awsRegion: string };
  db: { close(callback: (error?: Error) => void): void };
}

interface DynaliteValidations {
  checkTypes(data: unknown, types: unknown): Record<string, unknown>;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: DynaliteStore): void;
}

type DynaliteAction = (
  store: DynaliteStore,
  data: Record<string, unknown>,
  callback: (error: DynaliteError | null, data?: unknown) => void,
) => void;

/** The operations dynalite 4 implements (its index.js `validOperations`). */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
];

/**
 * One account and region's DynamoDB: a dynalite store (in memory, or LevelDB in a folder) driven
 * in-process. dynalite's HTTP server would add a loopback round trip to every call for nothing:
 * the simulated cloud has already decoded, authenticated and authorized the request, so the
 * engine runs dynalite's own validations and actions on it, exactly as its server does after
 * parsing (index.js), and answers with dynalite's result or DynamoDB's error.
 */
export class DynamoEngine {
  readonly #store: DynaliteStore;
  readonly #validations: DynaliteValidations;

  constructor(options: { account: string; region: string; path?: string }) {
    patchDynalite();
    const db = require('dynalite/db/index.js') as { create(options: Record<string, unknown>): DynaliteStore };
    this.#validations = require('dynalite/validations/index.js') as DynaliteValidations;
    this.#store = db.create({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
    // Table and index ARNs name the account and region this engine serves (dynalite reads them from the environment).
    this.#store.tableDb.awsAccountId = options.account;
    this.#store.tableDb.awsRegion = options.region;
  }

  /**
   * Runs one DynamoDB operation on the decoded JSON request.
   * @returns the response object
   * @throws AwsError with DynamoDB's error code (ValidationException, ResourceNotFoundException, ConditionalCheckFailedException, …)
   */
  run(operation: string, input: Record<string, unknown>): Promise<unknown> {
    if (operation === 'ExecuteStatement') return this.#insert(input);
    if (!OPERATIONS.includes(operation))
      return Promise.reject(new AwsError('UnknownOperationException', `The simulated DynamoDB (dynalite) does not implement ${operation}`));
    const name = operation[0]!.toLowerCase() + operation.slice(1);
    const validation = require(`dynalite/validations/${name}.js`) as { types: unknown; custom?: unknown };
    const action = require(`dynalite/actions/${name}.js`) as DynaliteAction;
    return new Promise((resolve, reject) => {
      try {
        const data = this.#validations.checkTypes(input, validation.types);
        this.#validations.checkValidations(data, validation.types, validation.custom, this.#store);
        action(this.#store, data, (error, result) => (error ? reject(awsErrorOf(error)) : resolve(result ?? {})));
      } catch (error) {
        reject(awsErrorOf(error as DynaliteError));
      }
    });
  }

  /** A PartiQL INSERT ({@link parseInsert}): a put on the condition that no item has the key. */
  async #insert(input: Record<string, unknown>): Promise<unknown> {
    const { table, item } = parseInsert(input);
    const { Table } = (await this.run('DescribeTable', { TableName: table })) as {
      Table: { KeySchema: { AttributeName: string; KeyType: string }[] };
    };
    const hash = Table.KeySchema.find((k) => k.KeyType === 'HASH')!.AttributeName;
    try {
      await this.run('PutItem', {
        TableName: table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': hash },
      });
    } catch (error) {
      if (error instanceof AwsError && error.code === 'ConditionalCheckFailedException')
        throw new AwsError('DuplicateItemException', 'Duplicate primary key exists in table');
      throw error;
    }
    return {};
  }

  /** Closes the store (a folder's LevelDB lock is released). */
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.#store.db.close((error) => (error ? reject(error) : resolve())));
  }
}

/** dynalite's `{ __type: 'com.amazonaws.dynamodb.v20120810#Code', message }` as the simulated cloud's error; anything else is a bug, rethrown. */
function awsErrorOf(error: DynaliteError): Error {
  if (error.statusCode === undefined || !error.body?.__type) return error;
  return new AwsError(error.body.__type.split('#').pop()!, error.body.message ?? '', error.statusCode);
}
