import { type CallRecord, type LockState, lockExpiresOn, lockState, refusalOf } from '@backup-hub/aws-sim';
import { auditAnchorLocation } from '../accounts/stack/names.js';
import { AnchorStore, anchorVerifier } from '../shared/audit/anchor.js';
import type { AuditEntry } from '../shared/audit/audit-entry.js';
import { type AnchoredVerdict, verifyAnchored } from '../shared/audit/verify-anchored.js';
import { kmsClient, s3Client } from '../shared/aws/clients.js';
import { type CopyInRegion, copiesOf, type RecoveryPoint } from '../shared/catalog/recovery-point.js';
import type { SweepState } from '../shared/catalog/source-inventory.js';
import { lastConfigChanges } from '../shared/config-capture/last-changes.js';
import { type CaptureLink, CaptureLinker } from '../shared/config-capture/point-capture.js';
import type { Finding } from '../shared/doctor/finding.js';
import { TAG } from '../shared/kinds/common/provenance-tags.js';
import { policyOf } from '../shared/report/account-policy.js';
import { type AuditSources, buildAuditReport } from '../shared/report/audit-report.js';
import type { LostCopy } from '../shared/report/lost-copies.js';
import type { UnprotectedResource } from '../shared/report/unprotected.js';
import { type AttackAttempt, type AttackSection, isAttackCall } from './attack.js';
import type { ReportedConfigChange } from './config-change.js';
import { eventResult, type ReportedOutcome } from './event-outcome.js';
import type { RestoreSection } from './game-day.js';
import type { LocalHub } from './local-hub.js';
import { type ResidueEntry, residueOf } from './residue.js';

export interface ReportedEvent {
  id: string;
  account?: string;
  outcome: ReportedOutcome;
  reason?: string;
  /** The message ended in the dead-letter queue. */
  dlq?: true;
}

export interface ReportedArtifact {
  kind: RecoveryPoint['kind'];
  account: string;
  region: string;
  sourceId: string;
  resourceId: string;
  sourceEncryption: RecoveryPoint['sourceEncryption'];
  state: RecoveryPoint['state'];
  vaultCopyId?: string;
  vaultKeyArn?: string;
  /** One per vault region: the vault copy, then its copy in the DR region. */
  /** The copy in each vault region; EBS and AMI copies with the lock AWS holds on each (as `lock` below). */
  copies: (CopyInRegion & Pick<ReportedArtifact, 'lock'>)[];
  failureReason?: string;
  /** The event that caused it, or the sweep's pass when no event announced it. */
  eventId: string;
  /**
   * EBS and AMI copies: the snapshot lock AWS holds on the vault copy (for an AMI, the one that ends
   * first over its snapshots), as the simulated EC2 has it, not as the hub recorded it; null: none.
   */
  lock?: { mode: LockState; until: string } | null;
  trigger?: 'sweep';
  /** The configuration capture that holds its resource as of its creation (none for what no capture covers). */
  configCapture?: CaptureLink;
}

/** Where the inventory sweep stands in one source account and region. */
export interface ReportedSweep {
  account: string;
  region: string;
  /** Passes finished (the first one is the backfill). */
  passes: number;
  /** The last finished pass: when, its API calls in the source, what it handed to the pipeline, the resources it saw, over how many runs. */
  last?: { startedAt: string; finishedAt: string; calls: number; queued: number; resources: number; runs: number };
  /** A pass still under way. */
  underWay?: { startedAt: string; calls: number; runs: number };
}

/**
 * A call the simulated cloud refused for want of a permission: an IAM policy, key policy, trust,
 * bus or queue policy, share attribute or organization policy that did not allow it. A refusal
 * inside another service's call (KMS refusing a copy's Decrypt) names the call and what was refused.
 */
export interface RefusedCall {
  principal: string;
  /** `service:Action`. */
  call: string;
  account: string;
  region: string;
  /** What was refused: the call's own action, or one a service made on its behalf (`kms:Decrypt` via `ec2…`). */
  refused: { action: string; resource: string; via?: string };
  /** The policies that refused it (`identity`, `key policy`, `trust policy`, `bus policy`, `scp`, …). */
  refusedBy: string[];
  explicitDeny: boolean;
  /** The AWS error the call ended with, if it failed (a refusal inside an EBS copy fails the copy later instead). */
  error?: string;
  /** Simulated time. */
  at: string;
}

/** A vault alarm at the end of the drill: its state, since when (simulated), and why. */
export interface ReportedAlarm {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  since: string;
  /** In ALARM, what the page says: the alarm's description (account, kind, worst resource), then CloudWatch's state reason. */
  reason: string;
  /** Notifications published to the alarm topic for it. */
  notifications: number;
}

export interface DrillReport {
  drill: string;
  vault: { account: string; region: string; keyArn: string };
  events: ReportedEvent[];
  artifacts: ReportedArtifact[];
  totals: Record<ReportedOutcome | 'events' | 'dlq' | 'vaultCopies' | 'sourceLeftovers' | 'swept' | 'lost' | 'unprotected', number>;
  /** The hash chain walked whole, and the newest signed anchor checked (its signature, and its entry unchanged). */
  auditLog: {
    entries: number;
    intact: boolean;
    problem?: string;
    anchor?: AnchoredVerdict['anchor'];
    /** The entries written after the newest anchor: linked, not yet signed. */
    unanchored?: AnchoredVerdict['unanchored'];
  };
  /** What the hub shared or made in each source and has not undone: after settling, only points still in progress. */
  residue: ResidueEntry[];
  /** Every call a policy refused: none when the stacks grant what the hub does. */
  refusedCalls: RefusedCall[];
  /** AWS quotas the deployed stacks exceed, tolerated by the simulation so the drill could run: AWS would refuse these stacks. */
  quotaExceeded: { quota: string; subject: string; value: number; limit: number }[];
  simulatedMinutes: number;
  /** The game day: disasters with the RPO they cost, restores with what came back and the RTO. */
  restore: RestoreSection;
  /** What the sources hold (as the inventory sweep saw it) that nothing protects within its RPO: the audit's table. */
  unprotected: UnprotectedResource[];
  /** Points whose vault copy the integrity sweep found gone. */
  lost: LostCopy[];
  sweep: ReportedSweep[];
  /** Every alarm in the vault account, as CloudWatch evaluated it on simulated time. */
  alarms: ReportedAlarm[];
  /** What the drill's doctor steps found, as `backup-hub doctor --format json` prints it. */
  doctor: Finding[];
  /** The ransomware game day: one entry per destructive attempt (drill steps `attack`). */
  attacks: AttackAttempt[];
  /** What the vault held before the first attack and lost since (none: all survived), and what it holds now. */
  afterAttacks?: Omit<AttackSection, 'attempts'>;
  /** Each changeConfig step: what it changed, and what `backup-hub config diff` lists between the captures before and after it. */
  configChanges: ReportedConfigChange[];
}

/** Builds the report from what the hub itself recorded: the audit log, the catalog, the DLQs and the vault's snapshots. */
export async function collectReport(
  hub: LocalHub,
  run: {
    name: string;
    refusedAtBus: { id: string; account?: string; reason: string }[];
    restore?: RestoreSection;
    doctor?: Finding[];
    attacks?: AttackSection;
    configChanges?: ReportedConfigChange[];
  },
): Promise<DrillReport> {
  const entries: AuditEntry[] = [];
  for await (const entry of hub.inspector.audit.entries()) entries.push(entry);
  const dlqIds = new Set(Object.values(hub.queues).flatMap((q) => hub.sqs.messages(q.dlqArn).map((m) => eventIdOf(m.body))));
  const byEvent = new Map<string, AuditEntry[]>();
  // The sweep's entries name its pass, not a delivered event: its work shows in the artifacts and `sweep`.
  for (const entry of entries)
    if (entry.eventId && entry.trigger !== 'sweep') byEvent.set(entry.eventId, [...(byEvent.get(entry.eventId) ?? []), entry]);
  const events: ReportedEvent[] = [
    ...run.refusedAtBus.map((r) => ({ id: r.id, account: r.account, outcome: 'rejected' as const, reason: r.reason })),
    ...[...byEvent].map(([id, list]) => ({
      id,
      account: list.find((e) => e.account)?.account,
      ...eventResult(list),
      ...(dlqIds.has(id) ? { dlq: true as const } : {}),
    })),
  ];
  const artifacts: ReportedArtifact[] = [];
  const points: RecoveryPoint[] = [];
  const linker = captureLinker(hub);
  for (const account of hub.accounts.vault.allowedSources) {
    for await (const p of hub.inspector.catalog.byAccount(account)) {
      points.push(p);
      artifacts.push({
        kind: p.kind,
        account: p.account,
        region: p.region,
        sourceId: p.sourceId,
        resourceId: p.resourceId,
        sourceEncryption: p.sourceEncryption,
        state: p.state,
        vaultCopyId: p.vaultCopyId,
        vaultKeyArn: p.vaultKeyArn,
        copies: copiesOf(p, hub.config.vaultRegion).map((c) => ({ ...c, ...lockOf(hub, p.kind, c.region, c.vaultCopyId) })),
        failureReason: p.failureReason,
        eventId: p.eventId,
        ...lockOf(hub, p.kind, hub.config.vaultRegion, p.vaultCopyId),
        ...(p.trigger === 'sweep' ? { trigger: 'sweep' as const } : {}),
        // A refused read of the captures leaves the link out; refusedCalls says what was refused.
        configCapture: await linker.linkOf(p).catch(() => undefined),
      });
    }
  }
  const count = (outcome: ReportedOutcome) => events.filter((e) => e.outcome === outcome).length;
  const verdict = await verifyAgainstAnchor(hub);
  const audit = await buildAuditReport(
    {
      accounts: [...(await hub.inspector.sources.all()).keys()],
      onlyTheseAccounts: false,
      since: new Date(hub.startedAt).toISOString(),
      until: hub.cloud.clock.now().toISOString(),
    },
    auditSources(hub),
  );
  const vault = hub.config.vaultAccountId;
  return {
    drill: run.name,
    vault: { account: vault, region: hub.config.vaultRegion, keyArn: hub.config.vaultKeyArn },
    events,
    artifacts,
    totals: {
      events: events.length,
      copied: count('copied'),
      skipped: count('skipped'),
      rejected: count('rejected'),
      failed: count('failed'),
      pending: count('pending'),
      dlq: dlqIds.size,
      vaultCopies: artifacts.filter((a) => a.state === 'available' && a.vaultCopyId !== undefined).length,
      swept: artifacts.filter((a) => a.trigger === 'sweep').length,
      lost: audit.lost.length,
      unprotected: audit.unprotected.length,
      sourceLeftovers: hub.ec2.snapshots().filter((s) => s.owner !== vault && s.tags.has(TAG.intermediateOf)).length,
    },
    auditLog: {
      entries: verdict.entries,
      intact: verdict.ok,
      ...(verdict.ok ? {} : { problem: verdict.detail }),
      ...(verdict.anchor ? { anchor: verdict.anchor } : {}),
      ...(verdict.unanchored ? { unanchored: verdict.unanchored } : {}),
    },
    residue: residueOf(hub, points),
    refusedCalls: refusedCalls(
      [...hub.cloud.calls, ...hub.cloud.serviceRequests].filter((c) => !isAttackCall(c)),
      hub.lostAccounts,
    ),
    quotaExceeded: hub.quotaExceeded.map(({ quota, subject, value, limit }) => ({ quota, subject, value, limit })),
    simulatedMinutes: Math.round((hub.cloud.clock.nowMs() - hub.startedAt) / 60_000),
    restore: run.restore ?? { disasters: [], outages: [], rpo: [], runs: [] },
    unprotected: audit.unprotected,
    lost: audit.lost,
    sweep: await sweepStates(hub),
    alarms: vaultAlarms(hub),
    doctor: run.doctor ?? [],
    configChanges: run.configChanges ?? [],
    attacks: run.attacks?.attempts ?? [],
    ...(run.attacks ? { afterAttacks: { lost: run.attacks.lost, survived: run.attacks.survived } } : {}),
  };
}

/** The lock AWS holds on an EBS or AMI vault copy that still exists; nothing for other kinds or a copy that is gone. */
function lockOf(hub: LocalHub, kind: RecoveryPoint['kind'], region: string, copyId: string | undefined): Pick<ReportedArtifact, 'lock'> {
  if ((kind !== 'ebs-snapshot' && kind !== 'ami') || copyId === undefined) return {};
  const account = hub.config.vaultAccountId;
  const image = kind === 'ami' ? hub.ec2.images.store.get(region, copyId) : undefined;
  const ids = kind === 'ami' ? (image?.blockDevices ?? []).map((d) => d.snapshotId) : [copyId];
  const snapshots = ids.map((id) => hub.ec2.snapshot(account, region, id));
  if (snapshots.length === 0 || snapshots.some((s) => s === undefined)) return {};
  const now = hub.cloud.clock.nowMs();
  const locks = snapshots.map((s) => (s!.lock ? { mode: lockState(s!.lock, s!, now), until: lockExpiresOn(s!.lock, s!) } : undefined));
  const weakest = locks.reduce((a, b) =>
    a === undefined || b === undefined ? undefined : (b.until ?? Infinity) < (a.until ?? Infinity) ? b : a,
  );
  if (!weakest || weakest.mode === 'expired') return { lock: null };
  return {
    lock: { mode: weakest.mode, until: weakest.until === undefined ? 'at completion + duration' : new Date(weakest.until).toISOString() },
  };
}

/** `backup-hub audit verify --full` as the vault's administrator runs it: the whole chain, against the newest signed anchor. */
async function verifyAgainstAnchor(hub: LocalHub): Promise<AnchoredVerdict> {
  const { aws, audit } = hub.inspector;
  const region = hub.config.vaultRegion;
  const { bucket, owner, keyId } = auditAnchorLocation(hub.accounts.vault, region);
  const anchors = new AnchorStore(s3Client(aws, region), bucket, owner);
  return verifyAnchored({ audit, anchors, verifier: await anchorVerifier(kmsClient(aws, region), keyId), full: true });
}

async function sweepStates(hub: LocalHub): Promise<ReportedSweep[]> {
  const states: SweepState[] = [];
  for (const [account, { regions }] of await hub.context.sources.all())
    for (const region of regions) states.push(await hub.context.inventory.state(account, region));
  return states.map(({ account, region, passes, last, pass }) => ({
    account,
    region,
    passes,
    ...(last
      ? {
          last: {
            startedAt: last.startedAt,
            finishedAt: last.finishedAt,
            calls: last.calls,
            queued: last.queued,
            resources: last.resources,
            runs: last.runs,
          },
        }
      : {}),
    ...(pass ? { underWay: { startedAt: pass.startedAt, calls: pass.calls, runs: pass.runs } } : {}),
  }));
}

/** What the audit report reads, as the auditor reads it (the vault's inspector, not a handler's role). */
export function auditSources(hub: LocalHub): AuditSources {
  const { catalog, inventory, audit } = hub.inspector;
  // The vault key's policy lets the restore role, not the auditor's, decrypt the captures: as `backup-hub config` reads them.
  const { aws, config } = hub.restoreContext;
  const captured = hub.accounts.sources.flatMap((source) => source.regions.map((region) => ({ account: source.id, region })));
  return {
    catalog,
    inventory,
    audit,
    policy: (account: string) => policyOf(hub.accounts, account),
    configChanges: (range) =>
      lastConfigChanges(s3Client(aws, config.vaultRegion), { account: config.vaultAccountId, region: config.vaultRegion }, captured, range),
  };
}

/**
 * Every recorded call with a refused authorization, and why. Assuming a role of an account lost in
 * the game day is refused with no policy at fault: the role is gone (the sweep goes on trying a
 * source until an operator removes it from the account files).
 */
export function refusedCalls(calls: readonly CallRecord[], lostAccounts: ReadonlyMap<string, number> = new Map()): RefusedCall[] {
  const intoLostAccount = (call: CallRecord) => {
    const lostAt = lostAccounts.get(call.roleArn?.split(':')[4] ?? '');
    return lostAt !== undefined && call.at >= lostAt;
  };
  return calls.flatMap((c) => {
    const refusal = refusalOf(c);
    if (!refusal || intoLostAccount(c)) return [];
    return [
      {
        principal: c.principal,
        call: `${c.service}:${c.action}`,
        account: c.account,
        region: c.region,
        refused: { action: refusal.action, resource: refusal.resource, ...(refusal.via ? { via: refusal.via } : {}) },
        refusedBy: refusal.refusedBy ?? [],
        explicitDeny: refusal.explicitDeny === true,
        ...(c.error ? { error: c.error } : {}),
        at: new Date(c.at).toISOString(),
      },
    ];
  });
}

function vaultAlarms(hub: LocalHub): ReportedAlarm[] {
  const notified = hub.cloud.sns.published.map((m) => (JSON.parse(m.message) as { AlarmName?: string }).AlarmName);
  return hub.cloud.cloudwatch
    .alarms(hub.config.vaultAccountId, hub.config.vaultRegion)
    .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName))
    .map((a) => ({
      name: a.AlarmName,
      state: a.state,
      since: new Date(a.stateUpdatedAt).toISOString(),
      reason: a.state === 'ALARM' && a.AlarmDescription ? `${a.AlarmDescription} (${a.stateReason})` : a.stateReason,
      notifications: notified.filter((name) => name === a.AlarmName).length,
    }));
}

function eventIdOf(body: string): string {
  try {
    return String((JSON.parse(body) as { id?: unknown }).id);
  } catch {
    return '(unparseable message)';
  }
}

/** The captures read as `backup-hub config` reads them: through the restore role. */
function captureLinker(hub: LocalHub): CaptureLinker {
  const { config, aws } = hub.restoreContext;
  return new CaptureLinker(s3Client(aws, config.vaultRegion), {
    account: config.vaultAccountId,
    region: config.vaultRegion,
    keyArn: config.vaultKeyArn,
  });
}
