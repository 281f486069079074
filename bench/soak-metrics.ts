import type { LocalHub } from '../drill/local-hub.js';
import type { AuditEntry } from '../shared/audit/audit-entry.js';
import type { RecoveryPoint } from '../shared/catalog/recovery-point.js';
import { SOAK_KINDS, type VaultCopy } from './soak-kinds.js';

/** Where one input event ended, read from the hub's own records. */
export type Settlement = 'copied' | 'skipped' | 'rejected' | 'dlq';

/** Everything the figures are computed from; each field is a record the hub (or the simulated AWS) keeps. */
export interface HubRecords {
  points: RecoveryPoint[];
  audit: AuditEntry[];
  /** Event ids of the messages in the dead-letter queues. */
  dlqEventIds: Set<string>;
  /** The vault's copies of every kind, as the simulated services hold them. */
  vaultCopies: VaultCopy[];
}

/**
 * The settlements of one event (more than one, or none, is an accounting error):
 * - copied: the catalog holds an available recovery point claimed by this event;
 * - skipped: the audit log says skipped (not a trigger, or a duplicate of an artifact another
 *   event claimed) and no recovery point was claimed by it;
 * - rejected: the audit log says rejected;
 * - dlq: its message is in a dead-letter queue.
 */
export function settlementsOf(eventId: string, index: RecordIndex): Settlement[] {
  const out: Settlement[] = [];
  if (index.copied.has(eventId)) out.push('copied');
  if (index.skipped.has(eventId) && !index.claimants.has(eventId)) out.push('skipped');
  if (index.rejected.has(eventId)) out.push('rejected');
  if (index.dlq.has(eventId)) out.push('dlq');
  return out;
}

export interface RecordIndex {
  copied: Set<string>;
  claimants: Set<string>;
  skipped: Set<string>;
  rejected: Set<string>;
  dlq: Set<string>;
  /** Rejection counts by their code (`forged-ownership`, …). */
  rejectedBy: Record<string, number>;
}

export function indexRecords(records: HubRecords): RecordIndex {
  const decided = (decision: AuditEntry['decision']) =>
    new Set(records.audit.filter((e) => e.decision === decision && e.eventId).map((e) => e.eventId!));
  const rejectedBy: Record<string, number> = {};
  for (const e of records.audit.filter((e) => e.decision === 'rejected')) {
    const code = e.reason?.split(':')[0] ?? 'unknown';
    rejectedBy[code] = (rejectedBy[code] ?? 0) + 1;
  }
  return {
    copied: new Set(records.points.filter((p) => p.state === 'available').map((p) => p.eventId)),
    claimants: new Set(records.points.map((p) => p.eventId)),
    skipped: decided('skipped'),
    rejected: decided('rejected'),
    dlq: records.dlqEventIds,
    rejectedBy,
  };
}

/** Vault copies beyond the first of one source artifact, by the provenance the simulated services hold. */
export function duplicateCopies(vaultCopies: VaultCopy[]): number {
  const perSource = new Map<string, number>();
  for (const copy of vaultCopies) {
    const key = `${copy.kind}|${copy.region}|${copy.source}`;
    perSource.set(key, (perSource.get(key) ?? 0) + 1);
  }
  return [...perSource.values()].reduce((sum, n) => sum + n - 1, 0);
}

/** The most copies that ran at once in any one destination region (what a copy quota bounds). */
export function peakPerRegion(vaultCopies: VaultCopy[]): Record<string, number> {
  const regions = [...new Set(vaultCopies.map((c) => c.region))];
  return Object.fromEntries(regions.map((region) => [region, peakConcurrent(vaultCopies.filter((c) => c.region === region))]));
}

/** The most copies that ran at once: a sweep over their [start, end) intervals. */
export function peakConcurrent(vaultCopies: VaultCopy[]): number {
  const edges = vaultCopies.flatMap((c) => [
    { at: c.startMs, delta: 1 },
    { at: c.endMs, delta: -1 },
  ]);
  // A copy that settles at the instant another starts frees its slot first, as EC2 counts.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const { delta } of edges) {
    running += delta;
    peak = Math.max(peak, running);
  }
  return peak;
}

/** Copy-slot milliseconds the copies kept busy. */
export function busySlotMs(vaultCopies: VaultCopy[]): number {
  return vaultCopies.reduce((sum, c) => sum + (c.endMs - c.startMs), 0);
}

/** Reads the records the figures come from. */
export async function readRecords(hub: LocalHub, accounts: readonly string[]): Promise<HubRecords> {
  const points: RecoveryPoint[] = [];
  for (const account of accounts) for await (const p of hub.inspector.catalog.byAccount(account)) points.push(p);
  const audit: AuditEntry[] = [];
  for await (const e of hub.inspector.audit.entries()) audit.push(e);
  const dlqEventIds = new Set(
    Object.values(hub.queues).flatMap((q) => hub.sqs.messages(q.dlqArn).map((m) => (JSON.parse(m.body) as { id: string }).id)),
  );
  return { points, audit, dlqEventIds, vaultCopies: SOAK_KINDS.flatMap((kind) => kind.vaultCopies(hub)) };
}
