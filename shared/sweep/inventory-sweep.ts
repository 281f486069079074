import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { queueName } from '../../accounts/stack/names.js';
import { describeError, isDeterministicAwsError } from '../aws/aws-errors.js';
import { sqsClient } from '../aws/clients.js';
import { type RecoveryPoint, recoveryPointKey, resourceKey } from '../catalog/recovery-point.js';
import { type InventoryItem, inventoryKey, type SweepPass, type SweepState } from '../catalog/source-inventory.js';
import type { SourceRecord } from '../config/source-registry.js';
import { Rejection } from '../core/errors.js';
import type { SweepTrigger } from '../events/sweep-trigger.js';
import type { ArtifactKind, KindDeps, ListedArtifact, SourceRegion, SweptSource } from '../kinds/common/artifact-kind.js';
import { chunks } from '../kinds/common/inventory.js';
import { ARTIFACT_KINDS, type ArtifactKindName, artifactKind } from '../kinds/index.js';
import { kindDeps } from '../pipeline/kind-deps.js';
import type { HubContext } from '../runtime/hub-context.js';
import { BudgetExhausted, Pacer, type RunClock } from './pacer.js';
import { RetentionScreen } from './retention-screen.js';
import { budgetOf, type SweepSettings } from './sweep-settings.js';

/**
 * An artifact younger than this is left to its event this pass (EventBridge delivers within
 * seconds to minutes); the next pass protects it if no event did.
 */
export const EVENT_GRACE_MS = 10 * 60_000;
/**
 * A kind's queue holding more messages than this is busy with events (a bad day, a backlog): the
 * sweep does not add to it, and the next pass protects what those events did not.
 */
export const BUSY_QUEUE = 100;
/** Source regions swept at once, each on its own budget. */
const SOURCES_IN_FLIGHT = 8;
/** A pass unfinished after this long (or three periods, if longer) logs at error level: the budget is too small for the source. */
const BEHIND_MS = 24 * 3_600_000;
/** SendMessageBatch takes at most 10 messages. */
const SEND_BATCH = 10;

export interface SweepOptions {
  settings: SweepSettings;
  /** A clock for one source region's listing: sources are listed side by side, each waiting on its own budget. */
  clock: () => RunClock;
  /** How long the run may take, in ms: a pass that needs longer goes on in the next run. */
  runMs: number;
  /** Only this source account (and region); every allowed source otherwise. */
  only?: { account: string; region?: string };
  /** Start a pass even when the last one is recent (on demand). */
  force?: boolean;
  /** List and report what it would protect; record and queue nothing. */
  dryRun?: boolean;
  /** Receives a line per page listed (long listings take a while). */
  progress?: (line: string) => void;
}

/** An artifact the sweep hands to the pipeline (in a dry run, would hand). */
export interface SweptArtifact {
  kind: ArtifactKindName;
  sourceId: string;
  resourceId: string;
  createdAt: string;
}

/** What one run did in one source account and region. */
export interface SourceSweep extends SourceRegion {
  /** `finished`: the pass listed everything; `unfinished`: it goes on in the next run; `not due`: the last pass is recent. */
  status: 'finished' | 'unfinished' | 'not due' | 'failed';
  /** Why a pass is unfinished or failed. */
  why?: string;
  pass?: string;
  /** The first pass in this source: it protects everything that was there before the hub. */
  backfill: boolean;
  /** API calls this run made in the source (every attempt), and how many of them were throttled. */
  calls: number;
  throttled: number;
  budget: number;
  listed: { artifacts: number; resources: number };
  protect: SweptArtifact[];
  /** Unknown artifacts left for the next pass because their kind's queue is busy with events. */
  deferred: number;
  /** Unknown artifacts the retention would not keep (older than it, not among the newest `keepLast`). */
  beyondRetention: number;
}

export interface SweepReport {
  sources: SourceSweep[];
}

/**
 * The inventory sweep: pages through each source account and region's artifacts of every kind
 * with the kind's reader role, and hands what the catalog does not know (and the retention would
 * keep) to the kind's queue, where the pipeline verifies, claims and copies it exactly as an event's,
 * recording trigger `sweep`. It records the resources each kind protects (volumes, instances,
 * databases, parameters) for the audit's `unprotected` table. Each source region is paced by its own
 * token bucket (`callsPerSecond`, the share of the source's API rate the sweep may take); a pass
 * resumes from its cursor in the next run, and a run that stops early says so.
 *
 * @example
 * const report = await sweep(ctx, { settings, clock: () => realClock, runMs: 600_000 });
 */
export async function sweep(ctx: HubContext, options: SweepOptions): Promise<SweepReport> {
  const records = await ctx.sources.all();
  const sources = [...records]
    .filter(([account]) => options.only === undefined || options.only.account === account)
    .flatMap(([account, record]) =>
      record.regions
        .filter((region) => options.only?.region === undefined || options.only.region === region)
        .map((region) => ({ account, region })),
    );
  if (options.only && sources.length === 0) {
    const regions = records.get(options.only.account)?.regions;
    throw new Error(
      regions
        ? `${options.only.account} is not a source in ${options.only.region} (its regions: ${regions.join(', ')})`
        : `${options.only.account} is not a source of this vault (its sources: ${[...records.keys()].join(', ')})`,
    );
  }
  const run = new SweepRun(ctx, options, records);
  const results: SourceSweep[] = [];
  const queue = [...sources];
  const worker = async () => {
    for (let source = queue.shift(); source !== undefined; source = queue.shift()) results.push(await run.source(source));
  };
  await Promise.all(Array.from({ length: Math.min(SOURCES_IN_FLIGHT, queue.length) }, worker));
  return { sources: results.sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region)) };
}

/** What listing one source region in a run goes with. */
interface SourceRun {
  pacer: Pacer;
  screen: RetentionScreen;
  result: SourceSweep;
  clock: RunClock;
  parameters: SweptSource['parameters'];
}

/** One run: what its sources share (the deadline, the kinds' queues). */
class SweepRun {
  readonly #deadline: number;
  readonly #queues = new Map<ArtifactKindName, Promise<{ url: string; busy: boolean }>>();

  constructor(
    private readonly ctx: HubContext,
    private readonly options: SweepOptions,
    /** The sources the vault stack recorded: their retention, budget and opted-in parameters. */
    private readonly records: Map<string, SourceRecord>,
  ) {
    this.#deadline = options.clock().now() + options.runMs;
  }

  async source(source: SourceRegion): Promise<SourceSweep> {
    const { ctx, options } = this;
    const inventory = ctx.inventory;
    const stored = await inventory.state(source.account, source.region);
    // A dry run lists from the start, and leaves a pass under way to the runs that record.
    const state: SweepState = options.dryRun ? { ...stored, pass: undefined } : stored;
    const record = this.records.get(source.account)!;
    const budget = budgetOf(options.settings, record);
    const result: SourceSweep = {
      ...source,
      status: 'finished',
      backfill: state.passes === 0,
      calls: 0,
      throttled: 0,
      budget,
      listed: { artifacts: 0, resources: 0 },
      protect: [],
      deferred: 0,
      beyondRetention: 0,
    };
    const clock = options.clock();
    const now = clock.now();
    if (
      !state.pass &&
      !options.force &&
      state.last &&
      now - Date.parse(state.last.startedAt) < 0.9 * options.settings.everyMinutes * 60_000
    )
      return { ...result, status: 'not due' };
    const startedAt = new Date(now).toISOString();
    const pass: SweepPass = state.pass ?? {
      id: `sweep-${startedAt}`,
      startedAt,
      cursor: {},
      done: [],
      calls: 0,
      queued: 0,
      resources: 0,
      runs: 0,
    };
    pass.runs += 1;
    result.pass = pass.id;
    const pacer = new Pacer(budget, clock, this.#deadline);
    let alarm = false;
    const screen = new RetentionScreen(ctx.catalog, record.targets, new Date(now));
    const callsBefore = pass.calls;
    const save = async () => {
      pass.calls = callsBefore + pacer.calls;
      if (!options.dryRun) await inventory.saveState({ ...state, pass });
    };
    try {
      for (const name of ARTIFACT_KINDS.filter((k) => !pass.done.includes(k))) {
        await this.#kind(artifactKind(name), source, pass, { pacer, screen, result, clock, parameters: record.ssmParameters });
        await save();
      }
      if (!options.dryRun) await this.#finish(state, pass, source, clock);
    } catch (error) {
      result.status = error instanceof BudgetExhausted ? 'unfinished' : 'failed';
      result.why = error instanceof Rejection ? `${error.code}: ${error.message}` : describeError(error);
      // No retry changes these (the reader role refused, say): a person must look, so it alarms.
      alarm = error instanceof Rejection || isDeterministicAwsError(error);
      await save();
    } finally {
      result.calls = pacer.calls;
      result.throttled = pacer.throttled;
    }
    this.#log(result, pass, alarm, clock);
    return result;
  }

  /** Lists one kind from its cursor to its end, or until the run's time is up. */
  async #kind(kind: ArtifactKind, source: SourceRegion, pass: SweepPass, run: SourceRun) {
    const deps = pacedDeps(kind, this.ctx, run.pacer);
    let token = pass.cursor[kind.name];
    for (let page = 1; ; page++) {
      const listed = await kind.inventory({ ...source, parameters: run.parameters }, token, deps);
      run.result.listed.artifacts += listed.artifacts.length;
      run.result.listed.resources += listed.resources.length;
      pass.resources += listed.resources.length;
      if (!this.options.dryRun) await this.#recordResources(kind, source, pass, listed.resources);
      await this.#protect(kind, source, pass, listed.artifacts, { ...run, deps });
      this.options.progress?.(
        `${kind.name} ${source.account}/${source.region}: page ${page}, ${listed.artifacts.length} artifacts and ${listed.resources.length} resources (${run.pacer.calls} calls so far)`,
      );
      token = listed.next;
      if (token === undefined) {
        delete pass.cursor[kind.name];
        pass.done.push(kind.name);
        return;
      }
      pass.cursor[kind.name] = token;
    }
  }

  async #recordResources(
    kind: ArtifactKind,
    source: SourceRegion,
    pass: SweepPass,
    resources: { resourceId: string; tags: Record<string, string> }[],
  ) {
    const items: InventoryItem[] = resources.map((r) => ({
      pk: inventoryKey(kind.name, source.account, source.region, r.resourceId),
      inventoryAccount: source.account,
      kind: kind.name,
      ...source,
      resourceId: r.resourceId,
      resourcePk: resourceKey(kind.name, source.account, source.region, r.resourceId),
      tags: r.tags,
      seenInPass: pass.id,
    }));
    await this.ctx.inventory.record(items);
  }

  /** Hands the artifacts the catalog does not know, and the retention would keep, to the kind's queue. */
  async #protect(
    kind: ArtifactKind,
    source: SourceRegion,
    pass: SweepPass,
    artifacts: ListedArtifact[],
    run: SourceRun & { deps: KindDeps<unknown> },
  ) {
    const settled = run.clock.now() - EVENT_GRACE_MS;
    const candidates = artifacts.filter((a) => a.skip === undefined && Date.parse(a.createdAt) <= settled);
    const unknown = await this.#unknown(kind.name, candidates);
    if (unknown.length === 0) return;
    const { kept, beyond } = await run.screen.select(kind.name, source, unknown);
    run.result.beyondRetention += beyond;
    const chosen = kind.screen && kept.length ? await kind.screen(source, kept, run.deps) : kept;
    if (chosen.length === 0) return;
    if (!this.options.dryRun) {
      const queue = await this.#queue(kind.name);
      if (queue.busy) {
        run.result.deferred += chosen.length;
        return;
      }
      await this.#send(queue.url, kind.name, pass, chosen);
      pass.queued += chosen.length;
    }
    run.result.protect.push(
      ...chosen.map((a) => ({ kind: kind.name, sourceId: a.sourceId, resourceId: a.resourceId, createdAt: a.createdAt })),
    );
  }

  /** Of listed artifacts, those the catalog holds no point of (in any state). */
  async #unknown(kind: ArtifactKindName, listed: ListedArtifact[]): Promise<ListedArtifact[]> {
    const keyOf = (a: ListedArtifact) =>
      recoveryPointKey(kind, a.ref.account, a.ref.region, a.sourceId, 'byKey' in a.known ? a.known.byKey.life : undefined);
    const known = await this.ctx.catalog.known(listed.filter((a) => 'byKey' in a.known).map(keyOf));
    const unknown: ListedArtifact[] = [];
    for (const a of listed) {
      const held = 'byKey' in a.known ? known.has(keyOf(a)) : await this.#recordedInResource(kind, a);
      if (!held) unknown.push(a);
    }
    return unknown;
  }

  async #recordedInResource(kind: ArtifactKindName, a: ListedArtifact): Promise<boolean> {
    const points = this.ctx.catalog.byResource<Pick<RecoveryPoint, 'sourceId' | 'createdAt'>>(
      resourceKey(kind, a.ref.account, a.ref.region, a.resourceId),
      ['sourceId', 'createdAt'],
    );
    for await (const point of points) if (point.sourceId === a.sourceId && point.createdAt === a.createdAt) return true;
    return false;
  }

  /** The kind's queue, and whether it is busy with events: read once a run. */
  #queue(kind: ArtifactKindName): Promise<{ url: string; busy: boolean }> {
    let queue = this.#queues.get(kind);
    if (!queue) {
      const sqs = sqsClient(this.ctx.aws, this.ctx.config.vaultRegion);
      queue = (async () => {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(kind) }));
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'],
          }),
        );
        const backlog = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
        return { url: QueueUrl!, busy: backlog > BUSY_QUEUE };
      })();
      this.#queues.set(kind, queue);
    }
    return queue;
  }

  async #send(url: string, kind: ArtifactKindName, pass: SweepPass, artifacts: ListedArtifact[]): Promise<void> {
    const sqs = sqsClient(this.ctx.aws, this.ctx.config.vaultRegion);
    for (const batch of chunks(artifacts, SEND_BATCH)) {
      let entries = batch.map((a, i) => ({ Id: String(i), MessageBody: JSON.stringify(triggerOf(kind, pass, a)) }));
      // An entry SQS refused (throttled) is sent again; one it refuses for good is left to the next pass.
      for (let tries = 0; entries.length && tries < 3; tries++) {
        const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
        const retry = new Set(Failed.filter((f) => !f.SenderFault).map((f) => f.Id));
        entries = entries.filter((e) => retry.has(e.Id));
      }
    }
  }

  /** A pass that listed every kind: forget what the source no longer holds, and record it as the last. */
  async #finish(state: SweepState, pass: SweepPass, source: SourceRegion, clock: RunClock): Promise<void> {
    const stale: InventoryItem[] = [];
    for await (const item of this.ctx.inventory.resources(source.account))
      if (item.region === source.region && item.seenInPass !== pass.id) stale.push(item);
    await this.ctx.inventory.forget(stale);
    const { pass: _done, ...rest } = state;
    await this.ctx.inventory.saveState({
      ...rest,
      last: { ...pass, finishedAt: new Date(clock.now()).toISOString() },
      passes: state.passes + 1,
    });
  }

  #log(result: SourceSweep, pass: SweepPass, alarm: boolean, clock: RunClock): void {
    const { logger } = this.ctx;
    const facts = {
      account: result.account,
      region: result.region,
      pass: pass.id,
      status: result.status,
      backfill: result.backfill,
      calls: result.calls,
      throttled: result.throttled,
      budgetPerSecond: result.budget,
      queued: result.protect.length,
      deferred: result.deferred,
      ...(result.why ? { why: result.why } : {}),
    };
    const behind = Math.max(BEHIND_MS, 3 * this.options.settings.everyMinutes * 60_000);
    if (result.status === 'unfinished' && clock.now() - Date.parse(pass.startedAt) > behind)
      logger.error('sweep falling behind', {
        ...facts,
        passStartedAt: pass.startedAt,
        advice: 'raise the source’s sweep.callsPerSecond in its account file',
      });
    else if (result.status === 'failed') (alarm ? logger.error : logger.warn).call(logger, 'sweep failed', facts);
    else if (result.status === 'unfinished') logger.warn('sweep unfinished: the next run goes on from where this one stopped', facts);
    else logger.info('sweep', facts);
  }
}

/** The kind's deps with every call in the source paced by the source region's budget. */
function pacedDeps(kind: ArtifactKind, ctx: HubContext, pacer: Pacer): KindDeps<unknown> {
  const deps = kindDeps(kind, ctx);
  return { ...deps, client: (region, credentials) => paced(deps.client(region, credentials), pacer) };
}

/** A kind's client, or each client of its bundle (SSM's ssm and s3), with every call through the pacer. */
function paced<C>(client: C, pacer: Pacer): C {
  if (typeof (client as { send?: unknown }).send !== 'function')
    return Object.fromEntries(Object.entries(client as object).map(([name, one]) => [name, paced(one, pacer)])) as C;
  return new Proxy(client as object, {
    get: (target, property, receiver) =>
      property === 'send'
        ? (command: unknown) => pacer.call(() => (target as { send(c: unknown): Promise<unknown> }).send(command))
        : Reflect.get(target, property, receiver),
  }) as C;
}

function triggerOf(kind: ArtifactKindName, pass: SweepPass, artifact: ListedArtifact): SweepTrigger {
  const { account, region, sourceId, announced } = artifact.ref;
  return { 'backup-hub-sweep': pass.id, kind, account, region, sourceId, time: pass.startedAt, ...(announced ? { announced } : {}) };
}

/** A run's report without the lists: what the function returns (a backfill's list can be long). */
export function sweepSummary(report: SweepReport) {
  return {
    sources: report.sources.map(({ protect, ...source }) => ({ ...source, queued: protect.length })),
  };
}
