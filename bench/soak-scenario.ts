import { type EventEnvelope, type ServiceEvent, seededRandom } from '@backup-hub/aws-sim';
import type { LocalHub } from '../drill/local-hub.js';
import type { ArtifactKindName } from '../shared/kinds/index.js';
import { type Picker, SOAK_KINDS, type SoakArtifact, type SoakKind } from './soak-kinds.js';

export const VAULT = '999999999999';
export const REGION = 'eu-west-1';
/** The region a region-mismatch event names in its resource ARN, while the event itself says REGION. */
export const OTHER_REGION = 'eu-central-1';
/** The vault's DR region: every vault copy is copied there too, under its own copy quotas. */
export const DR_REGION = 'eu-north-1';
/** Three ordinary sources, and one whose AWS endpoints are broken for good: every event it sends is a poison message. */
export const SOURCES = ['111111111111', '222222222222', '333333333333'] as const;
export const POISON_SOURCE = '444444444444';
/** The source that also runs in OTHER_REGION, outside the vault's: half its RDS and Aurora snapshots are taken there. */
export const TWO_REGION_SOURCE: (typeof SOURCES)[number] = '222222222222';

/** The regions each source announces from. */
export const regionsOf = (account: string): string[] => (account === TWO_REGION_SOURCE ? [REGION, OTHER_REGION] : [REGION]);

/** Where an artifact of a kind is taken: RDS and Aurora snapshots of the two-region source half the time in its second region. */
function regionFor(kind: SoakKind, owner: string, draw: number): string {
  const rds = kind.kind === 'rds-snapshot' || kind.kind === 'rds-cluster-snapshot';
  return rds && owner === TWO_REGION_SOURCE && draw < 0.5 ? OTHER_REGION : REGION;
}

/** One source snapshotting by the thousand: `events` more backups of its own, announced ahead of everyone's. */
export interface Runaway {
  account: string;
  events: number;
}

/** What the generator makes an event to be; it shapes the event and never counts an outcome. */
type Intent = 'backup' | 'failed' | 'poison' | 'forged-not-found' | 'forged-ownership' | 'region-mismatch';

export interface SoakDelivery {
  event: EventEnvelope;
  via: string;
  kind: ArtifactKindName;
  /** Where the artifact was taken. */
  region: string;
}

/** Shares of the input events, per the issue: 1% poison, forged events, a few failure events; 5% delivered twice. */
const MIX: [Intent, number][] = [
  ['poison', 0.01],
  ['forged-not-found', 0.01],
  ['forged-ownership', 0.01],
  ['region-mismatch', 0.01],
  ['failed', 0.01],
];
export const DUPLICATE_SHARE = 0.05;

/** The soak's input: the burst, and the events of the changes made once it has settled. */
export interface SoakInput {
  /** The events announcing every artifact, the bad ones among them, and the duplicate deliveries. */
  burst(): SoakDelivery[];
  /** Makes the changes that follow the burst (a parameter deleted and created again) and returns their events. */
  afterBurst(): SoakDelivery[];
}

/**
 * Creates the source artifacts of every kind silently (as if taken earlier) and returns how to
 * build the events that announce them, to be called once the artifacts are ready, and the changes
 * that follow. Seeded: the same `events` gives the same run.
 */
export function prepareDeliveries(hub: LocalHub, events: number, runaway?: Runaway): SoakInput {
  const random = seededRandom(events);
  const pick: Picker = (from) => from[Math.floor(random() * from.length)]!;
  const ordinary = Array.from({ length: events }, (_, i) => {
    const account = SOURCES[i % SOURCES.length]!;
    const other = SOURCES[(i + 1) % SOURCES.length]!;
    const kind = kindOf(random());
    const intent = intentOf(random(), kind);
    const owner = intent === 'poison' ? POISON_SOURCE : account;
    const region = regionFor(kind, owner, random());
    return { i, kind, intent, owner, other, region, artifact: kind.create(hub, owner, region, pick), twice: random() < DUPLICATE_SHARE };
  });
  // Drawn apart, so that the ordinary events are the same with or without the runaway.
  const extra = seededRandom(events + 1);
  const pickExtra: Picker = (from) => from[Math.floor(extra() * from.length)]!;
  const runawayPlanned = Array.from({ length: runaway?.events ?? 0 }, (_, n) => {
    const owner = runaway!.account;
    const kind = kindOf(extra());
    const region = regionFor(kind, owner, extra());
    const other = SOURCES.find((s) => s !== owner)!;
    return {
      i: events + n,
      kind,
      intent: 'backup' as Intent,
      owner,
      other,
      region,
      artifact: kind.create(hub, owner, region, pickExtra),
      twice: false,
    };
  });
  // The runaway's events come first: with the slots taken in arrival order, they would hold every one.
  const planned = [...runawayPlanned, ...ordinary];
  /** The region a region-mismatch event names in its resource ARN: one the artifact was not taken in. */
  const elsewhere = (region: string) => (region === REGION ? OTHER_REGION : REGION);
  return {
    burst: () =>
      planned.flatMap(({ i, kind, intent, owner, other, region, artifact, twice }) => {
        const delivery = {
          ...deliver(intent, artifact, owner, other, elsewhere(region), `soak-${i}`, hub.cloud.clock.now()),
          kind: kind.kind,
          region,
        };
        return twice ? [delivery, delivery] : [delivery];
      }),
    // Only what the burst announced as a backup is changed after it: a forged or poisoned claim has no later life.
    afterBurst: () =>
      planned.flatMap(({ i, kind, intent, owner, other, region, artifact }) =>
        intent === 'backup' && artifact.afterBurst
          ? [
              {
                ...deliver(
                  'backup',
                  { announce: artifact.afterBurst },
                  owner,
                  other,
                  elsewhere(region),
                  `soak-${i}-later`,
                  hub.cloud.clock.now(),
                ),
                kind: kind.kind,
                region,
              },
            ]
          : [],
      ),
  };
}

function kindOf(draw: number): SoakKind {
  let edge = 0;
  for (const kind of SOAK_KINDS) {
    edge += kind.share;
    if (draw < edge) return kind;
  }
  return SOAK_KINDS[0]!;
}

/** An intent the kind cannot express (a failure event for a kind without one) becomes a plain backup. */
function intentOf(draw: number, kind: SoakKind): Intent {
  let edge = 0;
  for (const [intent, share] of MIX) {
    edge += share;
    if (draw < edge) return expressible(intent, kind) ? intent : 'backup';
  }
  return 'backup';
}

function expressible(intent: Intent, kind: SoakKind): boolean {
  if (intent === 'failed') return kind.kind === 'ebs-snapshot' || kind.kind === 'ami';
  if (intent === 'region-mismatch')
    return kind.kind === 'ebs-snapshot' || kind.kind === 'rds-snapshot' || kind.kind === 'rds-cluster-snapshot';
  return true;
}

function deliver(
  intent: Intent,
  artifact: SoakArtifact,
  owner: string,
  other: string,
  elsewhere: string,
  id: string,
  at: Date,
): Omit<SoakDelivery, 'kind' | 'region'> {
  const envelope = (event: ServiceEvent, account = event.account): Omit<SoakDelivery, 'kind' | 'region'> => ({
    event: { version: '0', id, time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), ...event, account } as EventEnvelope,
    via: account,
  });
  switch (intent) {
    case 'forged-not-found':
      return envelope(artifact.announce(), other);
    case 'forged-ownership':
      artifact.shareWith?.(other);
      return envelope(artifact.announce(), other);
    case 'region-mismatch':
      return envelope(artifact.inRegion!(elsewhere), owner);
    case 'failed':
      return envelope(artifact.failed!(), owner);
    default:
      return envelope(artifact.announce(), owner);
  }
}

/** Every service the pipeline calls, and the throttling error each answers with. */
const THROTTLED: { service: string; operation: string; error: string }[] = [
  { service: 'ec2', operation: '*', error: 'RequestLimitExceeded' },
  { service: 'rds', operation: '*', error: 'Throttling' },
  { service: 'ssm', operation: '*', error: 'ThrottlingException' },
  { service: 'kms', operation: '*', error: 'ThrottlingException' },
  { service: 'sts', operation: 'AssumeRole', error: 'Throttling' },
  // The hub's own deferrals; the Lambda poller's receives and deletes are the platform's, not the function's.
  { service: 'sqs', operation: 'SendMessage', error: 'RequestThrottled' },
];
export const THROTTLE_CODES = new Set(THROTTLED.map((t) => t.error));

/** What each service answers when it is broken (HTTP 500), for the poison source. */
const BROKEN: { service: string; error: string }[] = [
  { service: 'ec2', error: 'InternalError' },
  { service: 'rds', error: 'InternalFailure' },
  { service: 'ssm', error: 'InternalServerError' },
];

/** Background throttling on every call the pipeline makes, and the poison source's services failing for good. */
export function injectFaults(hub: LocalHub, throttleShare: number): void {
  const forever = Number.MAX_SAFE_INTEGER;
  if (throttleShare > 0) for (const call of THROTTLED) hub.cloud.faults.add({ ...call, times: forever, probability: throttleShare });
  for (const { service, error } of BROKEN) hub.cloud.faults.add({ service, operation: '*', error, times: forever, account: POISON_SOURCE });
}
