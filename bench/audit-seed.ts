import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../shared/audit/audit-entry.js';
import { entryHash, GENESIS_HASH } from '../shared/audit/audit-log.js';
import { recoveryPointKey, resourceKey } from '../shared/catalog/recovery-point.js';
import type { ArtifactKindName } from '../shared/kinds/index.js';

/** BatchWriteItem takes at most 25 items a request. */
const BATCH = 25;
const PARALLEL_BATCHES = 4;
const KINDS: ArtifactKindName[] = ['ebs-snapshot', 'ebs-snapshot', 'ebs-snapshot', 'rds-snapshot', 'ssm-parameter', 'ami'];
const REGIONS = ['eu-west-1', 'eu-central-1'];
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface SeedShape {
  points: number;
  accounts: number;
  /** Recovery points per resource, one a day, the newest a few hours before `until`. */
  pointsPerResource: number;
  /** Audit entries per recovery point (a copy is at least `copied` then `completed`). */
  auditEntriesPerPoint: number;
  until: Date;
}

export const accountIds = (n: number): string[] => Array.from({ length: n }, (_, i) => String(100000000000 + i + 1));

/**
 * A catalog as the hub would have written it, spread over accounts, regions and kinds: mostly
 * available copies, and a few pending (1 %), failed (2 %) and pruned (1 %) ones. The sparse index
 * keys are set here as Catalog writes them, since BatchWrite bypasses it.
 */
export function* recoveryPoints(shape: SeedShape): Generator<Record<string, unknown>> {
  const accounts = accountIds(shape.accounts);
  for (let i = 0; i < shape.points; i++) {
    const resource = Math.floor(i / shape.pointsPerResource);
    const nth = i % shape.pointsPerResource;
    const account = accounts[resource % accounts.length]!;
    const region = REGIONS[resource % REGIONS.length]!;
    const kind = KINDS[resource % KINDS.length]!;
    const resourceId = `res-${String(resource).padStart(6, '0')}`;
    const sourceId = `${resourceId}-p${nth}`;
    const createdAt = new Date(
      shape.until.getTime() - (shape.pointsPerResource - 1 - nth) * DAY_MS - HOUR_MS - (resource % 360) * 60_000,
    ).toISOString();
    const roll = (i * 7919) % 100;
    const state = roll === 0 ? 'pending' : roll < 3 ? 'failed' : roll === 3 ? 'pruned' : 'available';
    const pk = resourceKey(kind, account, region, resourceId);
    yield {
      pk: recoveryPointKey(kind, account, region, sourceId),
      kind,
      account,
      region,
      sourceId,
      resourceId,
      resourcePk: pk,
      createdAt,
      recordedAt: createdAt,
      updatedAt: createdAt,
      state,
      stage: state === 'pending' ? 'copying' : 'done',
      sourceEncryption: 'aws-managed',
      sourceKeyArn: `arn:aws:kms:${region}:${account}:key/00000000-0000-0000-0000-000000000000`,
      vaultCopyId: `snap-${i.toString(16).padStart(17, '0')}`,
      vaultKeyArn: 'arn:aws:kms:eu-west-1:999999999999:key/11111111-1111-1111-1111-111111111111',
      eventId: `evt-${i}`,
      tags: { 'backup-hub:source-account': account, 'backup-hub:source-id': sourceId },
      ...(state === 'failed' ? { failureReason: 'vault copy failed in AWS (benchmark)', openState: 'failed' } : {}),
      ...(state === 'pending' ? { openState: 'pending' } : {}),
      ...(state === 'available' ? { availableResourcePk: pk, completedAt: createdAt } : {}),
    };
  }
}

/** A hash-chained audit log as the hub appends it: one `copied` and one `completed` entry per point, and a rejection now and then. */
export function* auditEntries(shape: SeedShape): Generator<AuditEntry> {
  const total = shape.points * shape.auditEntriesPerPoint;
  const accounts = accountIds(shape.accounts);
  const start = shape.until.getTime() - 30 * DAY_MS;
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= total; seq++) {
    const rejected = seq % 100 === 0;
    const base = {
      decision: rejected ? ('rejected' as const) : seq % 2 ? ('copied' as const) : ('completed' as const),
      reason: rejected ? 'forged-ownership: snapshot owned by another account (benchmark)' : 'vault copy requested',
      eventId: `evt-${Math.floor(seq / shape.auditEntriesPerPoint)}`,
      kind: 'ebs-snapshot' as const,
      account: accounts[seq % accounts.length]!,
      region: 'eu-west-1',
      chain: 'audit',
      seq,
      at: new Date(start + Math.floor((seq / total) * 30 * DAY_MS)).toISOString(),
      prevHash,
    };
    const entry: AuditEntry = { ...base, hash: entryHash(base) };
    prevHash = entry.hash;
    yield entry;
  }
}

/**
 * Writes items with BatchWriteItem, a few batches at a time, retrying what DynamoDB leaves unprocessed.
 *
 * @example
 * await batchWrite(db, 'backup-hub-catalog', recoveryPoints(shape), (n) => console.error(`${n} written`));
 */
export async function batchWrite(
  db: DynamoDBDocumentClient,
  table: string,
  items: Iterable<object>,
  progress?: (written: number) => void,
): Promise<number> {
  let written = 0;
  let inFlight: Promise<void>[] = [];
  let batch: object[] = [];
  const send = async (chunk: object[]) => {
    let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length) {
      const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (UnprocessedItems?.[table] ?? []) as typeof requests;
    }
    written += chunk.length;
    if (written % 10_000 < BATCH) progress?.(written);
  };
  for (const item of items) {
    batch.push(item);
    if (batch.length < BATCH) continue;
    inFlight.push(send(batch));
    batch = [];
    if (inFlight.length >= PARALLEL_BATCHES) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  if (batch.length) inFlight.push(send(batch));
  await Promise.all(inFlight);
  return written;
}
