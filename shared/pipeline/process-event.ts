import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { pointFacts } from '../audit/audit-entry.js';
import { describeError, isDeterministicAwsError } from '../aws/aws-errors.js';
import { type PointTrigger, type RecoveryPoint, recoveryPointKey, resourceKey } from '../catalog/recovery-point.js';
import { Deferral, PermanentFailure, Rejection } from '../core/errors.js';
import { describeIssues, type EventEnvelope, eventEnvelopeSchema } from '../events/envelope.js';
import { isSweepTrigger, sweepEnvelope, sweepTriggerSchema } from '../events/sweep-trigger.js';
import type { ArtifactKind, ArtifactRef, HubIntermediate, SourceArtifact } from '../kinds/common/artifact-kind.js';
import type { HubContext } from '../runtime/hub-context.js';
import { type AdvanceResult, advance, claimLeaseUntil, handOnSlot } from './advance.js';
import { PROPAGATION_WINDOW_MS } from './copy-timing.js';
import { kindDeps } from './kind-deps.js';
import { reopenPoint } from './reopen.js';

/** A claimed point untouched this long is taken to belong to a crashed worker and is resumed. */
const STALE_CLAIM_MS = 10 * 60_000;

export type EventOutcome =
  | { outcome: 'copied' | 'reencrypting' | 'waiting' | 'skipped' | 'rejected' | 'failed'; reason: string }
  | { outcome: 'deferred'; reason: string; delaySeconds: number };

/**
 * Handles one message of a kind's queue, an announced event or the inventory sweep's trigger for
 * an artifact no event announced: validate it, check the sender is an allowed source, verify every
 * artifact against the source account, claim it in the catalog and push it through its stages.
 * Every path ends in an audit entry (a sweep's marked `trigger: sweep`) and one log line.
 * Transient errors are thrown so the queue retries them.
 *
 * @example
 * const { outcome, reason } = await processEvent(record.body, ebsSnapshot, ctx);
 */
export async function processEvent(body: string, kind: ArtifactKind, ctx: HubContext): Promise<EventOutcome> {
  let trigger: Trigger | undefined;
  try {
    const message = parseMessage(body);
    trigger = message.trigger;
    if (kind.completion && !message.sweep && trigger.event.account === ctx.config.vaultAccountId)
      return await completeVaultCopy(trigger, kind, ctx);
    await checkMessage(message, kind, ctx);
    const triggers = message.refs ? { refs: message.refs } : kind.triggers(trigger.event);
    if ('skip' in triggers) {
      const retired = triggers.deleted ? await retireDeleted(triggers.deleted, trigger.event, kind, ctx) : '';
      return await conclude(ctx, trigger, { outcome: 'skipped', reason: `${triggers.skip}${retired}` }, kind);
    }
    const results: EventOutcome[] = [];
    for (const ref of triggers.refs) results.push(...(await handleRef(ref, trigger, kind, ctx)));
    return log(ctx, trigger, summarize(results), kind);
  } catch (error) {
    if (error instanceof Rejection) return conclude(ctx, trigger, { outcome: 'rejected', reason: `${error.code}: ${error.message}` }, kind);
    if (error instanceof Deferral)
      return conclude(ctx, trigger, { outcome: 'deferred', reason: error.message, delaySeconds: error.delaySeconds }, kind);
    if (error instanceof PermanentFailure || isDeterministicAwsError(error))
      return conclude(ctx, trigger, { outcome: 'failed', reason: describeError(error) }, kind);
    throw error;
  }
}

/** What a message asks the pipeline to do: an event (its artifacts are the kind's to read), or the sweep naming one artifact. */
interface Trigger {
  event: EventEnvelope;
  by: PointTrigger;
}

/** A message as read: its trigger, and for the sweep's the one artifact it names and the kind it was meant for. */
interface Message {
  trigger: Trigger;
  sweep?: { kind: string };
  refs?: ArtifactRef[];
}

/**
 * A vault copy settled (the vault's own completion event): its point completes now, not at the
 * reconciler's next run. The event only names the copy; the vault's own Describe of it says whose it
 * is and where it stands, so a duplicate, late, early or false event changes nothing.
 */
async function completeVaultCopy(trigger: Trigger, kind: ArtifactKind, ctx: HubContext): Promise<EventOutcome> {
  const { event } = trigger;
  const completion = kind.completion!;
  if (event.region !== ctx.config.vaultRegion)
    throw new Rejection('region-not-allowed', `the vault's own events come from ${ctx.config.vaultRegion}, not ${event.region}`);
  const named = completion.copyNamed(event);
  if ('skip' in named) return conclude(ctx, trigger, { outcome: 'skipped', reason: named.skip }, kind);
  const { vaultCopyId } = named;
  const copy = await completion.read(vaultCopyId, kindDeps(kind, ctx));
  if ('skip' in copy) return conclude(ctx, trigger, { outcome: 'skipped', reason: copy.skip }, kind);
  const { source, status } = copy;
  const point = await ctx.catalog.get(recoveryPointKey(kind.name, source.account, source.region, source.sourceId, source.life));
  const skip = async (reason: string) => log(ctx, trigger, await record(ctx, trigger, { outcome: 'skipped', reason }, kind, source), kind);
  if (!point) return skip(`no recovery point holds ${vaultCopyId} (copy of ${source.sourceId})`);
  if (point.stage !== 'copying' || point.vaultCopyId !== vaultCopyId) {
    // Out of order: the copy settled before its request reached the catalog, and the worker holding the point is still on it.
    const requesting = point.stage === 'claimed' || point.stage === 'reencrypting';
    if (requesting && point.leaseUntil !== undefined && Date.parse(point.leaseUntil) > ctx.now().getTime())
      throw new Deferral(`${vaultCopyId} settled before its point recorded the copy request: looking again`, BUSY_RETRY_SECONDS);
    return skip(`duplicate: ${source.sourceId} is ${point.state} (${point.stage}); ${vaultCopyId} changes nothing`);
  }
  if (status.status === 'pending' || status.status === 'missing')
    return skip(
      `the vault sees ${vaultCopyId} ${status.status}: the event is early or false; the copy's own completion event or the reconciler completes it`,
    );
  let result: AdvanceResult;
  try {
    result = await advance(point, kind, ctx, 'stored', status);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return skip(`duplicate: another worker completed ${source.sourceId} meanwhile`);
  }
  // Its slot goes to the next in the line now.
  await handOnSlot(kind, ctx);
  return result === 'available'
    ? log(ctx, trigger, { outcome: 'copied', reason: `${vaultCopyId} is available: ${source.sourceId} is protected` }, kind)
    : log(ctx, trigger, fromAdvance(result, point), kind);
}

/**
 * The source says the resource itself is gone: it stops counting against its RPO target (a new
 * version of it counts again). Its vault copies stay.
 */
async function retireDeleted(resourceId: string, event: EventEnvelope, kind: ArtifactKind, ctx: HubContext): Promise<string> {
  const retired = await ctx.catalog.retire(resourceKey(kind.name, event.account, event.region, resourceId), {
    at: event.time,
    reason: `deleted in the source (event ${event.id})`,
    by: `${event.account} (${event['detail-type']})`,
  });
  return retired ? '; retired: no longer counted against its RPO target' : '';
}

function parseMessage(body: string): Message {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Rejection('malformed-event', 'message body is not JSON');
  }
  if (isSweepTrigger(json)) {
    const parsed = sweepTriggerSchema.safeParse(json);
    if (!parsed.success) throw new Rejection('malformed-event', `not a sweep trigger: ${describeIssues(parsed.error)}`);
    const { account, region, sourceId, announced } = parsed.data;
    return {
      trigger: { event: sweepEnvelope(parsed.data), by: 'sweep' },
      sweep: { kind: parsed.data.kind },
      refs: [{ account, region, sourceId, ...(announced ? { announced } : {}) }],
    };
  }
  const parsed = eventEnvelopeSchema.safeParse(json);
  if (!parsed.success) throw new Rejection('malformed-event', `not an EventBridge event: ${describeIssues(parsed.error)}`);
  return { trigger: { event: parsed.data, by: 'event' } };
}

/** The sender must be a recorded source in one of its regions, and the message one this kind's queue takes. */
async function checkMessage({ trigger, sweep }: Message, kind: ArtifactKind, ctx: HubContext): Promise<void> {
  const { event } = trigger;
  const regions = (await ctx.sources.source(event.account))?.regions;
  if (!regions)
    throw new Rejection(
      'unknown-account',
      `account ${event.account} is not a source of this vault (add accounts/<name>.yml with role: source, list it in the vault file's allowedSources, and redeploy the vault)`,
    );
  if (!regions.includes(event.region))
    throw new Rejection(
      'region-not-allowed',
      `region ${event.region} is not allowed for account ${event.account} (allowed: ${regions.join(', ')})`,
    );
  if (sweep ? sweep.kind !== kind.name : !kind.detailTypes.includes(event['detail-type'])) {
    throw new Rejection(
      'malformed-event',
      `${sweep ? `a ${sweep.kind} sweep trigger` : event['detail-type']} reached the ${kind.name} queue, which takes only ${kind.detailTypes.join(' / ')}`,
    );
  }
}

/**
 * Verifies what an event announces against the source and handles each artifact it resolves to, in
 * order: an event may announce only a resource (an SSM parameter, not which of its versions), and
 * then every artifact of it the vault lacks is handled, oldest first.
 */
async function handleRef(announced: ArtifactRef, trigger: Trigger, kind: ArtifactKind, ctx: HubContext): Promise<EventOutcome[]> {
  const found = await verified(announced, trigger.event, kind, ctx);
  switch (found.found) {
    case 'intermediate':
      return [await continueOriginal(found, trigger, kind, ctx)];
    case 'part-of-another':
      return [await record(ctx, trigger, { outcome: 'skipped', reason: found.skip }, kind, found.ref)];
    case 'artifacts': {
      if (found.artifacts.length === 0) {
        const reason = `nothing new: the vault already holds every artifact of ${announced.sourceId} that the source holds`;
        return [await record(ctx, trigger, { outcome: 'skipped', reason }, kind, announced)];
      }
      const results: EventOutcome[] = [];
      for (const artifact of found.artifacts) results.push(await handleArtifact(artifact, trigger, kind, ctx));
      return results;
    }
  }
}

async function handleArtifact(artifact: SourceArtifact, trigger: Trigger, kind: ArtifactKind, ctx: HubContext): Promise<EventOutcome> {
  const { event } = trigger;
  // The source names the artifact: an event may announce only a resource (an SSM parameter, not its version).
  const ref = artifact.ref;
  // Verify tells each SSM version's life; the other kinds confirm the life on the ref.
  const life = artifact.life ?? ref.life;
  const now = ctx.now().toISOString();
  const candidate: RecoveryPoint = {
    pk: recoveryPointKey(kind.name, ref.account, ref.region, ref.sourceId, life),
    kind: kind.name,
    account: ref.account,
    region: ref.region,
    sourceId: ref.sourceId,
    ...(life === undefined ? {} : { life }),
    resourceId: artifact.resourceId,
    resourcePk: resourceKey(kind.name, ref.account, ref.region, artifact.resourceId),
    createdAt: artifact.createdAt,
    recordedAt: now,
    updatedAt: now,
    state: 'pending',
    stage: 'claimed',
    sourceEncryption: artifact.encryption,
    sourceKeyArn: artifact.keyArn,
    eventId: event.id,
    ...(trigger.by === 'sweep' ? { trigger: 'sweep' as const } : {}),
    tags: artifact.tags,
    leaseUntil: claimLeaseUntil(ctx.now()),
  };
  if (artifact.missed !== undefined) return recordMissed(candidate, artifact.missed, trigger, kind, ctx);
  const { claimed, point } = (await recordedWithoutLife(candidate, ctx)) ?? (await ctx.catalog.claim(candidate));
  // A later event of the same artifact takes a failed point up again, unless the failure lies in the artifact itself.
  const reopening =
    !claimed && point.state === 'failed'
      ? await reopenPoint(point, { trigger: trigger.by, by: event.id, eventId: event.id }, ctx, kind)
      : undefined;
  if (reopening && 'reopened' in reopening) return fromAdvance(await advance(reopening.reopened, kind, ctx), reopening.reopened);
  if (!claimed && !isResumable(point, event, ctx)) {
    const notReopened = reopening && 'refused' in reopening ? `; not reopened: ${reopening.refused}` : '';
    return record(
      ctx,
      trigger,
      {
        outcome: 'skipped',
        reason: `duplicate: ${ref.sourceId} already has a recovery point (${point.state}, ${point.stage})${notReopened}`,
      },
      kind,
      candidate,
    );
  }
  return fromAdvance(await advance(point, kind, ctx, claimed ? 'claimed' : 'stored'), point);
}

/**
 * An artifact the source no longer holds and the vault never copied: a failed point with the reason,
 * in the audit log and at error level (the alert alarm), once; a later event that finds the same gap
 * is a duplicate of it.
 */
async function recordMissed(
  candidate: RecoveryPoint,
  why: string,
  trigger: Trigger,
  kind: ArtifactKind,
  ctx: HubContext,
): Promise<EventOutcome> {
  const reason = `missed: ${why}`;
  const { leaseUntil: _lease, ...missed } = candidate;
  const { claimed, point } = await ctx.catalog.claim({
    ...missed,
    state: 'failed',
    stage: 'done',
    failureReason: reason,
    failureAboutArtifact: true,
  });
  if (!claimed)
    return record(
      ctx,
      trigger,
      { outcome: 'skipped', reason: `duplicate: ${point.sourceId} is already recorded as missed` },
      kind,
      candidate,
    );
  // The resource exists and has a gap: it counts against its target, as one whose copy failed does.
  await ctx.catalog.recordSeen(point);
  await ctx.audit.append({ decision: 'failed', reason, ...pointFacts(point) });
  ctx.metrics.copyFailed(point, 'Missed');
  ctx.logger.error('copy missed', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason });
  return { outcome: 'failed', reason };
}

/**
 * The artifact as its source describes it. A source that does not know an artifact its event
 * announced moments ago may only not have propagated it yet ("Eventual consistency in the Amazon EC2
 * API"): within the propagation window the event comes back later; after it, the rejection stands.
 */
async function verified(announced: ArtifactRef, event: EventEnvelope, kind: ArtifactKind, ctx: HubContext) {
  try {
    return await kind.verify(announced, kindDeps(kind, ctx));
  } catch (error) {
    const recent = ctx.now().getTime() - Date.parse(event.time) < PROPAGATION_WINDOW_MS;
    if (error instanceof Rejection && error.code === 'not-found' && recent)
      throw new Deferral(`${error.message}; the event is recent, so the source may not show it yet: looking again`, 60);
    throw error;
  }
}

/**
 * The point an earlier version of the hub recorded for this very life, before points had lives: its
 * key has no life, and it is the same life when it records the same creation time.
 */
async function recordedWithoutLife(
  candidate: RecoveryPoint,
  ctx: HubContext,
): Promise<{ claimed: false; point: RecoveryPoint } | undefined> {
  if (candidate.life === undefined) return undefined;
  const earlier = await ctx.catalog.get(recoveryPointKey(candidate.kind, candidate.account, candidate.region, candidate.sourceId));
  return earlier && earlier.life === undefined && earlier.createdAt === candidate.life ? { claimed: false, point: earlier } : undefined;
}

/** The source announced the hub's own re-encrypted copy: that means the original can now be copied. */
async function continueOriginal(
  { intermediateOf, originalLife, ref }: HubIntermediate,
  trigger: Trigger,
  kind: ArtifactKind,
  ctx: HubContext,
): Promise<EventOutcome> {
  const point = await ctx.catalog.get(recoveryPointKey(kind.name, ref.account, ref.region, intermediateOf, originalLife));
  const reason = `${ref.sourceId} is the hub's re-encrypted copy of ${intermediateOf}`;
  if (point && point.stage === 'reencrypting') await advance(point, kind, ctx);
  return record(ctx, trigger, { outcome: 'skipped', reason }, kind, ref);
}

/** A claim left by an earlier attempt at this same event (a retry), or abandoned by a crashed worker, is taken up again; the lease keeps it single. */
function isResumable(point: RecoveryPoint, event: EventEnvelope, ctx: HubContext): boolean {
  if (point.stage !== 'claimed') return false;
  return point.eventId === event.id || ctx.now().getTime() - Date.parse(point.updatedAt) > STALE_CLAIM_MS;
}

/** Long enough for the holder of a lease to finish its calls. */
const BUSY_RETRY_SECONDS = 60;

function fromAdvance(result: AdvanceResult, point: RecoveryPoint): EventOutcome {
  switch (result) {
    case 'reencrypting':
      return { outcome: 'reencrypting', reason: `${point.sourceId} is being re-encrypted in the source before the vault copy` };
    case 'waiting':
      // Recorded in the catalog: the message is done, the reconciler starts the copy when a slot frees.
      return { outcome: 'waiting', reason: `${point.sourceId} waits in the catalog for a copy slot` };
    case 'failed':
      return { outcome: 'failed', reason: `${point.sourceId} could not be copied (see the audit log)` };
    case 'busy':
      return { outcome: 'deferred', reason: `${point.sourceId} is being handled by another worker`, delaySeconds: BUSY_RETRY_SECONDS };
    default:
      return { outcome: 'copied', reason: `${point.sourceId} copied into the vault` };
  }
}

/** Several artifacts in one event: the least settled outcome speaks for the event. */
function summarize(results: EventOutcome[]): EventOutcome {
  const order: EventOutcome['outcome'][] = ['deferred', 'failed', 'rejected', 'waiting', 'reencrypting', 'copied', 'skipped'];
  return [...results].sort((a, b) => order.indexOf(a.outcome) - order.indexOf(b.outcome))[0]!;
}

/** Records an outcome that no stage recorded, in the audit log, and logs it: what ends a message that went no further. */
async function conclude(ctx: HubContext, trigger: Trigger | undefined, outcome: EventOutcome, kind: ArtifactKind): Promise<EventOutcome> {
  await record(ctx, trigger, outcome, kind);
  return log(ctx, trigger, outcome, kind);
}

/**
 * Records an outcome that no stage recorded in the audit log, with the kind of the queue it came
 * from (known even for a message that is not an event at all, so `audit --kind` finds it).
 */
async function record(
  ctx: HubContext,
  trigger: Trigger | undefined,
  outcome: EventOutcome,
  kind: ArtifactKind,
  artifact?: { sourceId: string; life?: string },
): Promise<EventOutcome> {
  const event = trigger?.event;
  await ctx.audit.append({
    decision:
      outcome.outcome === 'copied' || outcome.outcome === 'reencrypting' || outcome.outcome === 'waiting' ? 'skipped' : outcome.outcome,
    reason: outcome.reason,
    eventId: event?.id,
    ...(trigger?.by === 'sweep' ? { trigger: 'sweep' as const } : {}),
    kind: kind.name,
    account: event?.account,
    region: event?.region,
    sourceId: artifact?.sourceId,
    life: artifact?.life,
  });
  return outcome;
}

/** The one log line of a handled message; an event (not the sweep's trigger) counts in the source's events metric. */
function log(ctx: HubContext, trigger: Trigger | undefined, outcome: EventOutcome, kind: ArtifactKind): EventOutcome {
  if (trigger?.by !== 'sweep') ctx.metrics.eventHandled(kind.name, trigger?.event.account, outcome.outcome);
  ctx.logger.info('event handled', {
    eventId: trigger?.event.id,
    trigger: trigger?.by,
    kind: kind.name,
    account: trigger?.event.account,
    outcome: outcome.outcome,
    reason: outcome.reason,
  });
  return outcome;
}
