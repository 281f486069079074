import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CloudCore } from '../../core/cloud-core.js';
import { lambdaContext } from './context.js';
import { batchItemFailures, sqsRecord } from './sqs-event.js';
import type { ReceivedMessage } from '../sqs/queue.js';
import type { SqsSim } from '../sqs/sqs.js';

/** A function behind an SQS event source mapping (a middy handler fits). */
export type SqsFunctionHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void> | SQSBatchResponse | void;
/** A function run by an EventBridge schedule. */
export type ScheduledFunctionHandler = (event: ScheduledEvent, context: Context) => unknown;

export interface SqsFunctionOptions {
  name: string;
  queueArn: string;
  handler: SqsFunctionHandler;
  /** Records per invocation, 1 to 10,000 (default 10). */
  batchSize?: number;
  /** Batches in flight at once, 2 to 1,000; without it the simulation uses Lambda's initial 5. */
  maximumConcurrency?: number;
  /** `FunctionResponseTypes: [ReportBatchItemFailures]` (default true). */
  reportBatchItemFailures?: boolean;
}

export interface ScheduledFunctionOptions {
  name: string;
  /** `rate(...)` in milliseconds; the first run is one period after the function is added. */
  everyMs: number;
  handler: ScheduledFunctionHandler;
}

/** One invocation, for assertions and reports. */
export interface LambdaInvocation {
  function: string;
  at: number;
  /** The message ids of the batch (empty for a scheduled run). */
  records: string[];
  /** The message ids left on the queue to be retried after their visibility timeout. */
  failures: string[];
  /** What the handler threw, or why its response was invalid. */
  error?: string;
}

interface SqsFunction extends Required<Omit<SqsFunctionOptions, 'maximumConcurrency'>> {
  concurrency: number;
}
interface ScheduledFunction extends ScheduledFunctionOptions {
  nextAt: number;
}

/** Lambda scales an SQS event source to five concurrent batches first. */
const INITIAL_CONCURRENCY = 5;
/** A guard against a handler that keeps making its messages visible again without end. */
const MAX_DRAIN_ROUNDS = 10_000;

/**
 * Lambda functions of one account and region, run in simulated time: SQS event source
 * mappings (polling, batching, partial batch responses, maximum concurrency) and schedules.
 * A handler that throws never stops the simulation: the invocation is recorded and its
 * messages come back after the visibility timeout, until the queue's redrive policy moves them.
 */
export class SimLambda {
  readonly invocations: LambdaInvocation[] = [];
  readonly #sqsFunctions: SqsFunction[] = [];
  readonly #scheduled: ScheduledFunction[] = [];

  constructor(
    private readonly cloud: CloudCore,
    private readonly sqs: SqsSim,
    private readonly home: { account: string; region: string },
  ) {}

  /**
   * Adds a function with an SQS event source mapping on `queueArn`.
   * @throws Error for an unknown queue, a duplicate name or settings outside Lambda's limits.
   */
  addSqsFunction(options: SqsFunctionOptions): void {
    const { batchSize = 10, maximumConcurrency, reportBatchItemFailures = true } = options;
    this.#checkName(options.name);
    this.sqs.queue(options.queueArn);
    checkRange('batchSize', batchSize, 1, 10_000);
    if (maximumConcurrency !== undefined) checkRange('maximumConcurrency', maximumConcurrency, 2, 1000);
    this.#sqsFunctions.push({ ...options, batchSize, reportBatchItemFailures, concurrency: maximumConcurrency ?? INITIAL_CONCURRENCY });
  }

  /**
   * Adds a function run every `everyMs` of simulated time.
   * @throws Error for a duplicate name or a non-positive period.
   */
  addScheduledFunction(options: ScheduledFunctionOptions): void {
    this.#checkName(options.name);
    if (!(options.everyMs > 0)) throw new Error(`everyMs must be positive, got ${options.everyMs}`);
    this.#scheduled.push({ ...options, nextAt: this.cloud.clock.nowMs() + options.everyMs });
  }

  /**
   * Polls every SQS-triggered function's queue and invokes it until no message is visible:
   * each round takes up to `maximumConcurrency` batches per function and runs them at once;
   * successes are deleted, failures stay in flight until their visibility timeout.
   * @returns the invocations made.
   */
  async drain(): Promise<LambdaInvocation[]> {
    const start = this.invocations.length;
    for (let round = 0; ; round++) {
      if (round === MAX_DRAIN_ROUNDS) throw new Error(`drain did not settle after ${MAX_DRAIN_ROUNDS} rounds: a handler keeps its messages visible`);
      const batches = this.#sqsFunctions.flatMap((fn) => this.#takeBatches(fn).map((messages) => ({ fn, messages })));
      if (batches.length === 0) break;
      await Promise.all(batches.map(({ fn, messages }) => this.#invokeBatch(fn, messages)));
    }
    return this.invocations.slice(start);
  }

  /**
   * Moves simulated time forward in ticks; after each tick (clock timers fired) it runs the
   * schedules that came due and drains the queues.
   * @returns the invocations made.
   */
  async advance(ms: number, { tickMs = 1000 }: { tickMs?: number } = {}): Promise<LambdaInvocation[]> {
    if (!(tickMs > 0)) throw new Error(`tickMs must be positive, got ${tickMs}`);
    const start = this.invocations.length;
    const { clock } = this.cloud;
    const end = clock.nowMs() + ms;
    await this.drain();
    while (clock.nowMs() < end) {
      clock.advanceTo(Math.min(clock.nowMs() + tickMs, end));
      await this.#runDueSchedules();
      await this.drain();
    }
    return this.invocations.slice(start);
  }

  /**
   * Lets a quiet stretch of simulated time pass at once: clock timers fire, queues are drained, but
   * no schedule runs in between; each resumes at its next period after the stretch. For tests that
   * need days to pass (retention), where running every 5-minute schedule would only cost time.
   */
  async skip(ms: number): Promise<void> {
    const { clock } = this.cloud;
    clock.advance(ms);
    const now = clock.nowMs();
    for (const fn of this.#scheduled) if (fn.nextAt <= now) fn.nextAt += Math.ceil((now - fn.nextAt + 1) / fn.everyMs) * fn.everyMs;
    await this.drain();
  }

  #checkName(name: string): void {
    if ([...this.#sqsFunctions, ...this.#scheduled].some((fn) => fn.name === name)) throw new Error(`Function ${name} already exists`);
  }

  /** Up to `concurrency` batches for one round. */
  #takeBatches(fn: SqsFunction): ReceivedMessage[][] {
    const batches: ReceivedMessage[][] = [];
    while (batches.length < fn.concurrency) {
      const batch = this.#takeBatch(fn);
      if (batch.length === 0) break;
      batches.push(batch);
    }
    return batches;
  }

  /** Up to `batchSize` messages; one ReceiveMessage returns 10 at most. */
  #takeBatch(fn: SqsFunction): ReceivedMessage[] {
    const batch: ReceivedMessage[] = [];
    while (batch.length < fn.batchSize) {
      const received = this.sqs.receive(fn.queueArn, Math.min(10, fn.batchSize - batch.length));
      if (received.length === 0) break;
      batch.push(...received);
    }
    return batch;
  }

  async #invokeBatch(fn: SqsFunction, messages: ReceivedMessage[]): Promise<void> {
    const at = this.cloud.clock.nowMs();
    const ids = messages.map((m) => m.messageId);
    let failures: string[];
    let error: string | undefined;
    try {
      const response = await fn.handler({ Records: messages.map((m) => sqsRecord(m, fn.queueArn)) }, this.#context(fn.name));
      failures = fn.reportBatchItemFailures ? batchItemFailures(response, ids) : [];
    } catch (thrown) {
      // A thrown error (or an invalid partial response) fails the whole batch.
      failures = ids;
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    for (const message of messages) {
      if (!failures.includes(message.messageId)) this.sqs.delete(fn.queueArn, message.receiptHandle);
    }
    this.invocations.push({ function: fn.name, at, records: ids, failures, ...(error === undefined ? {} : { error }) });
  }

  async #runDueSchedules(): Promise<void> {
    const now = this.cloud.clock.nowMs();
    for (const fn of this.#scheduled) {
      for (; fn.nextAt <= now; fn.nextAt += fn.everyMs) await this.#invokeScheduled(fn);
    }
  }

  async #invokeScheduled(fn: ScheduledFunction): Promise<void> {
    const at = this.cloud.clock.nowMs();
    let error: string | undefined;
    try {
      await fn.handler(this.#scheduledEvent(fn.name), this.#context(fn.name));
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    this.invocations.push({ function: fn.name, at, records: [], failures: [], ...(error === undefined ? {} : { error }) });
  }

  /** The event an EventBridge schedule rule sends. */
  #scheduledEvent(name: string): ScheduledEvent {
    const { account, region } = this.home;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account,
      time: this.cloud.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:events:${region}:${account}:rule/${name}-schedule`],
      detail: {},
    };
  }

  #context(functionName: string): Context {
    return lambdaContext(functionName, this.home.account, this.home.region, this.cloud.clock.now());
  }
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer between ${min} and ${max}, got ${value}`);
}
