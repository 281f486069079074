import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { CloudCore } from '../../core/cloud-core.js';
import { checkNumber, checkString } from '../../core/constraints.js';
import { AwsError } from '../../core/errors.js';
import type { PolicyDocument, PolicyStatement } from '../../policy/resource-policy.js';
import { sessionArnOf } from '../iam/iam.js';
import type { ReceivedMessage } from '../sqs/queue.js';
import type { SqsSim } from '../sqs/sqs.js';
import { lambdaContext } from './context.js';
import { batchItemFailures, sqsRecord } from './sqs-event.js';

/** A function's code, as the caller supplies it: any async Lambda handler (a middy handler fits). */
export type FunctionHandler = (event: never, context: Context) => unknown;

export interface CreateFunctionInput {
  name: string;
  /** The code to run. */
  handler: FunctionHandler;
  /** The execution role's ARN: a role of the same account that trusts lambda.amazonaws.com. */
  role: string;
  /** The `Handler` setting (`handlers/ebs-snapshot.handler`), kept for reports. */
  handlerName?: string;
  environment?: Record<string, string>;
  /** 1 to 900 seconds (default 3). */
  timeoutSeconds?: number;
  /** 128 to 10,240 MB (default 128). */
  memoryMb?: number;
  /** Concurrent executions reserved for (and capping) the function; unreserved when absent. */
  reservedConcurrency?: number;
  description?: string;
}

/** A deployed function. */
export interface SimFunction {
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly role: string;
  readonly handler: FunctionHandler;
  readonly handlerName?: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly reservedConcurrency?: number;
  readonly description?: string;
  /** The resource-based policy that AddPermission builds (who may invoke it). */
  policy: PolicyDocument;
}

export interface AddPermissionInput {
  statementId: string;
  /** `lambda:InvokeFunction` */
  action: string;
  /** A service (`events.amazonaws.com`), an account id or an ARN. */
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
}

export interface CreateEventSourceMappingInput {
  /** The function's name or ARN, in the mapping's account and region. */
  functionName: string;
  /** The SQS queue's ARN. */
  eventSourceArn: string;
  /** Records per invocation, 1 to 10,000 (default 10). */
  batchSize?: number;
  /** Batches in flight at once, 2 to 1,000; without it the simulation uses Lambda's initial 5. */
  maximumConcurrency?: number;
  /** `FunctionResponseTypes: [ReportBatchItemFailures]` (default false, as in Lambda). */
  reportBatchItemFailures?: boolean;
  /** Default true. */
  enabled?: boolean;
}

/** An SQS event source mapping. */
export interface EventSourceMapping {
  readonly uuid: string;
  readonly functionArn: string;
  readonly eventSourceArn: string;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly reportBatchItemFailures: boolean;
  enabled: boolean;
}

/** Who invokes a function asynchronously: a service acting for a resource (an EventBridge rule). */
export interface AsyncInvoker {
  service: string;
  sourceArn: string;
  sourceAccount: string;
}

/** One invocation, for assertions and reports. */
export interface LambdaInvocation {
  function: string;
  at: number;
  /** The message ids of the batch (empty for an asynchronous invocation). */
  records: string[];
  /** The message ids left on the queue to be retried after their visibility timeout. */
  failures: string[];
  /** What the handler threw, or why its response was invalid. */
  error?: string;
}

/** Lambda scales an SQS event source to five concurrent batches first. */
const INITIAL_CONCURRENCY = 5;
/** A guard against a handler that keeps making its messages visible again without end. */
const MAX_DRAIN_ROUNDS = 10_000;
/** "The execution role … needs sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes" (Lambda Developer Guide, Using Lambda with Amazon SQS). */
const SQS_POLLER_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/**
 * CreateFunction's constraints (Lambda API reference): a name alone is at most 64 characters;
 * ordinary functions run 1 to 900 s with 128 to 10,240 MB ("Lambda quotas").
 */
const FUNCTION_NAME = { min: 1, max: 64, pattern: '[a-zA-Z0-9-_]+' };
const HANDLER = { max: 128, pattern: '[^\\s]+' };
const DESCRIPTION = { max: 256 };
const TIMEOUT = { min: 1, max: 900 };
const MEMORY = { min: 128, max: 10_240 };
/** "Keys start with a letter and are at least two characters" (Environment variables). */
const VARIABLE_KEY = /^[a-zA-Z][a-zA-Z0-9_]+$/;
/** The runtime's variables a function may not set (Lambda Developer Guide, "Defined runtime environment variables"). */
const RESERVED_KEYS = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/**
 * Simulated Lambda, run in simulated time: functions of every account and region, their
 * resource policies, SQS event source mappings (polling, batching, partial batch responses,
 * maximum concurrency) and asynchronous invocations (what an EventBridge rule makes). A handler
 * that throws never stops the simulation: the invocation is recorded, and an SQS batch comes back
 * after the visibility timeout, until the queue's redrive policy moves it.
 */
export class LambdaSim {
  readonly invocations: LambdaInvocation[] = [];
  readonly #functions = new Map<string, SimFunction>();
  readonly #mappings: EventSourceMapping[] = [];
  readonly #pending: { fn: SimFunction; event: unknown }[] = [];

  constructor(
    readonly cloud: CloudCore,
    private readonly sqs: SqsSim,
  ) {}

  /**
   * Creates a function, with the checks CreateFunction makes.
   * @throws AwsError ValidationException for a setting outside CreateFunction's constraints;
   * ResourceConflictException; InvalidParameterValueException (the environment, the role)
   */
  createFunction(account: string, region: string, input: CreateFunctionInput): SimFunction {
    const arn = functionArn(region, account, input.name);
    checkString('ValidationException', 'functionName', input.name, FUNCTION_NAME);
    if (input.handlerName !== undefined) checkString('ValidationException', 'handler', input.handlerName, HANDLER);
    if (input.description !== undefined) checkString('ValidationException', 'description', input.description, DESCRIPTION);
    const timeoutSeconds = input.timeoutSeconds ?? 3;
    checkNumber('ValidationException', 'timeout', timeoutSeconds, TIMEOUT.min, TIMEOUT.max);
    const memoryMb = input.memoryMb ?? 128;
    checkNumber('ValidationException', 'memorySize', memoryMb, MEMORY.min, MEMORY.max);
    if (this.#functions.has(arn)) throw new AwsError('ResourceConflictException', `Function already exist: ${input.name}`, 409);
    this.#checkEnvironment(account, region, arn, input.environment ?? {});
    // The account's 1,000 concurrent executions, less the 100 Lambda keeps unreserved.
    if (input.reservedConcurrency !== undefined) checkRange('ReservedConcurrentExecutions', input.reservedConcurrency, 0, 900);
    const role = this.cloud.iam.role(input.role);
    const assumable =
      role?.account === account &&
      this.cloud.decide(
        { service: 'lambda.amazonaws.com' },
        [
          {
            action: 'sts:AssumeRole',
            resource: role.arn,
            resourceAccount: account,
            resourcePolicy: { type: 'trust policy', owner: role.arn, document: role.trustPolicy },
            context: { 'aws:SourceAccount': account },
          },
        ],
        region,
        { standalone: true },
      )[0]!.allowed;
    if (!assumable) throw invalid('The role defined for the function cannot be assumed by Lambda.');
    const fn: SimFunction = {
      name: input.name,
      arn,
      account,
      region,
      role: input.role,
      handler: input.handler,
      environment: input.environment ?? {},
      timeoutSeconds,
      memoryMb,
      policy: { Version: '2012-10-17', Statement: [] },
      ...(input.handlerName === undefined ? {} : { handlerName: input.handlerName }),
      ...(input.reservedConcurrency === undefined ? {} : { reservedConcurrency: input.reservedConcurrency }),
      ...(input.description === undefined ? {} : { description: input.description }),
    };
    this.#functions.set(arn, fn);
    return fn;
  }

  /**
   * Lambda measures the variables as the compact JSON of the map, the text its error echoes; keys
   * follow a pattern and may not be the runtime's own.
   * @throws AwsError InvalidParameterValueException
   */
  #checkEnvironment(account: string, region: string, arn: string, variables: Record<string, string>): void {
    const keys = Object.keys(variables);
    const malformed = keys.find((key) => !VARIABLE_KEY.test(key));
    if (malformed !== undefined)
      throw invalid(`Environment variable key ${malformed} must start with a letter and hold only letters, digits and underscores.`);
    const reserved = keys.filter((key) => RESERVED_KEYS.has(key));
    if (reserved.length > 0)
      throw invalid(
        `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
      );
    const measured = JSON.stringify(variables);
    this.cloud.quotas.check({ quota: 'lambda.environmentSize', account, region, subject: arn, value: Buffer.byteLength(measured) }, () =>
      invalid(
        `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
      ),
    );
  }

  /**
   * A function by ARN, or by name in an account and region.
   * @throws AwsError ResourceNotFoundException
   */
  function(nameOrArn: string, account?: string, region?: string): SimFunction {
    const arn = nameOrArn.startsWith('arn:') ? nameOrArn : functionArn(region ?? '', account ?? '', nameOrArn);
    const fn = this.#functions.get(arn);
    if (!fn) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
    return fn;
  }

  functions(): SimFunction[] {
    return [...this.#functions.values()];
  }

  /**
   * Adds a statement to a function's resource-based policy, as AddPermission does.
   * @throws AwsError ResourceNotFoundException, ResourceConflictException
   */
  addPermission(functionArnOrName: string, input: AddPermissionInput): void {
    const fn = this.function(functionArnOrName);
    const statements = ([] as PolicyStatement[]).concat(fn.policy.Statement);
    if (statements.some((s) => s.Sid === input.statementId))
      throw new AwsError('ResourceConflictException', `The statement id (${input.statementId}) provided already exists.`, 409);
    const principal =
      /^\d{12}$/.test(input.principal) || input.principal.startsWith('arn:') ? { AWS: input.principal } : { Service: input.principal };
    const condition: PolicyStatement['Condition'] = {
      ...(input.sourceArn === undefined ? {} : { ArnLike: { 'AWS:SourceArn': input.sourceArn } }),
      ...(input.sourceAccount === undefined ? {} : { StringEquals: { 'AWS:SourceAccount': input.sourceAccount } }),
    };
    const statement: PolicyStatement = {
      Sid: input.statementId,
      Effect: 'Allow',
      Principal: principal,
      Action: input.action,
      Resource: fn.arn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    fn.policy = { Version: '2012-10-17', Statement: [...statements, statement] };
  }

  /**
   * Maps an SQS queue to a function, with the checks CreateEventSourceMapping makes: the queue
   * exists, the settings are within Lambda's limits, and the execution role may poll the queue.
   * @throws AwsError ResourceNotFoundException, InvalidParameterValueException
   */
  createEventSourceMapping(account: string, region: string, input: CreateEventSourceMappingInput): EventSourceMapping {
    const fn = this.function(input.functionName, account, region);
    const queue = this.sqs.queue(input.eventSourceArn);
    // Lambda refuses a queue that would hand a batch to another poller while the function may still run (Lambda Developer Guide, Using Lambda with Amazon SQS).
    if (queue.settings.visibilityTimeoutSeconds < fn.timeoutSeconds)
      throw invalid(
        `Queue visibility timeout: ${queue.settings.visibilityTimeoutSeconds} seconds is less than Function timeout: ${fn.timeoutSeconds} seconds`,
      );
    const batchSize = checkRange('BatchSize', input.batchSize ?? 10, 1, 10_000);
    if (input.maximumConcurrency !== undefined) checkRange('MaximumConcurrency', input.maximumConcurrency, 2, 1000);
    const role = this.cloud.iam.role(fn.role);
    // The poller calls SQS with the function's role, in a session named after the function.
    const poller = role && { account: role.account, arn: role.arn, sessionArn: sessionArnOf(role, fn.name), role };
    const decisions = poller
      ? this.cloud.decide(
          poller,
          SQS_POLLER_ACTIONS.map((action) => this.sqs.request(queue, action.slice('sqs:'.length))),
          region,
          { standalone: true },
        )
      : [];
    const missing = poller ? decisions.find((d) => !d.allowed)?.action : SQS_POLLER_ACTIONS[0];
    if (missing) throw invalid(`The provided execution role does not have permissions to call ${missing.slice('sqs:'.length)} on SQS`);
    const mapping: EventSourceMapping = {
      uuid: randomUUID(),
      functionArn: fn.arn,
      eventSourceArn: input.eventSourceArn,
      batchSize,
      concurrency: input.maximumConcurrency ?? INITIAL_CONCURRENCY,
      reportBatchItemFailures: input.reportBatchItemFailures ?? false,
      enabled: input.enabled ?? true,
    };
    this.#mappings.push(mapping);
    return mapping;
  }

  /**
   * Queues an asynchronous invocation (Lambda's event queue), once the function's resource-based
   * policy lets the invoking service do so for that source. {@link drain} runs it.
   * @throws AwsError ResourceNotFoundException, AccessDeniedException
   */
  invokeAsync(functionArn: string, event: unknown, invoker: AsyncInvoker): void {
    const fn = this.function(functionArn);
    const request = {
      action: 'lambda:InvokeFunction',
      resource: fn.arn,
      resourceAccount: fn.account,
      resourcePolicy: { type: 'function policy' as const, owner: fn.arn, document: fn.policy },
      context: { 'aws:SourceArn': invoker.sourceArn, 'aws:SourceAccount': invoker.sourceAccount },
    };
    this.cloud.authorize({ service: invoker.service }, [request], fn.region, { standalone: true });
    this.#pending.push({ fn, event });
  }

  /**
   * Runs every queued asynchronous invocation, then polls every enabled mapping's queue and
   * invokes its function until nothing is left: each round takes up to the mapping's concurrency
   * in batches and runs them at once; successes are deleted, failures stay in flight until their
   * visibility timeout.
   * @returns the invocations made.
   */
  async drain(): Promise<LambdaInvocation[]> {
    const start = this.invocations.length;
    for (let round = 0; ; round++) {
      if (round === MAX_DRAIN_ROUNDS)
        throw new Error(`drain did not settle after ${MAX_DRAIN_ROUNDS} rounds: a handler keeps its messages visible`);
      for (let next = this.#pending.shift(); next; next = this.#pending.shift()) await this.#invokeAsync(next.fn, next.event);
      const batches = this.#mappings
        .filter((m) => m.enabled)
        .flatMap((mapping) => this.#takeBatches(mapping).map((messages) => ({ mapping, messages })));
      if (batches.length === 0) break;
      await Promise.all(batches.map(({ mapping, messages }) => this.#invokeBatch(mapping, messages)));
    }
    return this.invocations.slice(start);
  }

  /** Forgets an account's functions and mappings (disaster drills). */
  removeAccount(account: string): void {
    for (const [arn, fn] of this.#functions) if (fn.account === account) this.#functions.delete(arn);
    for (let i = this.#mappings.length - 1; i >= 0; i--)
      if (this.#mappings[i]!.functionArn.split(':')[4] === account) this.#mappings.splice(i, 1);
  }

  /** Up to `concurrency` batches for one round, within the function's reserved concurrency. */
  #takeBatches(mapping: EventSourceMapping): ReceivedMessage[][] {
    const batches: ReceivedMessage[][] = [];
    const limit = Math.min(mapping.concurrency, this.function(mapping.functionArn).reservedConcurrency ?? Infinity);
    while (batches.length < limit) {
      const batch = this.#takeBatch(mapping);
      if (batch.length === 0) break;
      batches.push(batch);
    }
    return batches;
  }

  /** Up to `batchSize` messages; one ReceiveMessage returns 10 at most. */
  #takeBatch(mapping: EventSourceMapping): ReceivedMessage[] {
    const batch: ReceivedMessage[] = [];
    while (batch.length < mapping.batchSize) {
      const received = this.sqs.receive(mapping.eventSourceArn, Math.min(10, mapping.batchSize - batch.length));
      if (received.length === 0) break;
      batch.push(...received);
    }
    return batch;
  }

  async #invokeBatch(mapping: EventSourceMapping, messages: ReceivedMessage[]): Promise<void> {
    const fn = this.function(mapping.functionArn);
    const at = this.cloud.clock.nowMs();
    const ids = messages.map((m) => m.messageId);
    let failures: string[];
    let error: string | undefined;
    try {
      const response = await fn.handler({ Records: messages.map((m) => sqsRecord(m, mapping.eventSourceArn)) } as never, this.#context(fn));
      failures = mapping.reportBatchItemFailures ? batchItemFailures(response, ids) : [];
    } catch (thrown) {
      // A thrown error (or an invalid partial response) fails the whole batch.
      failures = ids;
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    for (const message of messages) {
      if (!failures.includes(message.messageId)) this.sqs.delete(mapping.eventSourceArn, message.receiptHandle);
    }
    this.invocations.push({ function: fn.name, at, records: ids, failures, ...(error === undefined ? {} : { error }) });
  }

  async #invokeAsync(fn: SimFunction, event: unknown): Promise<void> {
    const at = this.cloud.clock.nowMs();
    let error: string | undefined;
    try {
      await fn.handler(event as never, this.#context(fn));
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    this.invocations.push({ function: fn.name, at, records: [], failures: [], ...(error === undefined ? {} : { error }) });
  }

  #context(fn: SimFunction): Context {
    return lambdaContext(fn.name, fn.account, fn.region, this.cloud.clock.now(), {
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
    });
  }
}

/** `arn:aws:lambda:<region>:<account>:function:<name>` */
export const functionArn = (region: string, account: string, name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;

const invalid = (message: string) => new AwsError('InvalidParameterValueException', message);

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalid(`${name} must be an integer between ${min} and ${max}, got ${value}`);
  return value;
}
