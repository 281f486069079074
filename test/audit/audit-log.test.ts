import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamo, startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTables } from '../../drill/hub-tables.js';
import type { AuditEntry } from '../../shared/audit/audit-entry.js';
import { AuditLog, entryHash } from '../../shared/audit/audit-log.js';
import { verifyChain } from '../../shared/audit/verify-chain.js';
import { AwsClients } from '../../shared/aws/clients.js';

let dynamo: LocalDynamo;
let db: ReturnType<AwsClients['dynamo']>;
let table = 0;
let audit: AuditLog;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  table += 1;
  await createTables(dynamo.clientConfig, { catalog: `catalog${table}`, audit: `audit${table}` });
  audit = new AuditLog(db, `audit${table}`, () => new Date('2026-01-01T00:00:00Z'));
  for (const decision of ['copied', 'rejected', 'skipped', 'completed', 'failed'] as const)
    await audit.append({ decision, reason: `because ${decision}` });
});

async function entries(): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of audit.entries()) out.push(e);
  return out;
}

describe('audit log', () => {
  it('appends in sequence under concurrent writers and verifies clean', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => audit.append({ decision: 'skipped', reason: `parallel ${i}` })));
    const all = await entries();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(await verifyChain(all)).toEqual({ ok: true, entries: 13, head: { seq: 13, hash: all[12]!.hash } });
  });

  it('builds on the entry it wrote last: one write per append, no head read', async () => {
    const sent: string[] = [];
    const counting = {
      send: (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return db.send(command as never);
      },
    } as unknown as typeof db;
    const log = new AuditLog(counting, audit.table, () => new Date('2026-01-01T00:00:00Z'));
    await log.append({ decision: 'skipped', reason: 'first: reads the head' });
    await log.append({ decision: 'skipped', reason: 'second: builds on the first' });
    expect(sent).toEqual(['QueryCommand', 'ExecuteStatementCommand', 'ExecuteStatementCommand']);
    expect(await verifyChain(audit.entries())).toMatchObject({ ok: true, entries: 7 });
  });

  it('two writers (two Lambda containers) with stale heads retry on the collision and keep one chain', async () => {
    const other = new AuditLog(db, audit.table, () => new Date('2026-01-01T00:00:01Z'));
    for (let i = 0; i < 4; i++) {
      await audit.append({ decision: 'skipped', reason: `a${i}` });
      await other.append({ decision: 'skipped', reason: `b${i}` });
    }
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? audit : other).append({ decision: 'skipped', reason: `race ${i}` })));
    const all = await entries();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(all.slice(5, 13).map((e) => e.reason)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
    expect(await verifyChain(all)).toMatchObject({ ok: true, entries: 19 });
  });

  it('many writers appending at once (a burst across containers) all get through, in one unbroken chain', async () => {
    const before = (await entries()).length;
    const writers = Array.from({ length: 8 }, (_, w) => new AuditLog(db, audit.table, () => new Date(`2026-01-01T00:00:0${w}Z`)));
    await Promise.all(
      writers.map((writer, w) =>
        Promise.all(Array.from({ length: 15 }, (_, i) => writer.append({ decision: 'skipped', reason: `w${w}-${i}` }))),
      ),
    );
    const all = await entries();
    expect(all).toHaveLength(before + 8 * 15);
    expect(new Set(all.slice(before).map((e) => e.reason)).size).toBe(8 * 15);
    expect(await verifyChain(all)).toMatchObject({ ok: true, entries: before + 8 * 15 });
  }, 60_000);

  it('detects an edited entry at that entry', async () => {
    const third = (await entries())[2]!;
    await db.send(new PutCommand({ TableName: audit.table, Item: { ...third, reason: 'nothing to see' } }));
    expect(await verifyChain(audit.entries())).toMatchObject({ ok: false, seq: 3, problem: 'edited' });
  });

  it('detects a removed entry at the gap', async () => {
    await db.send(new DeleteCommand({ TableName: audit.table, Key: { chain: 'audit', seq: 2 } }));
    expect(await verifyChain(audit.entries())).toMatchObject({ ok: false, seq: 2, problem: 'removed' });
  });

  it('detects reordered entries where the order breaks', async () => {
    const all = await entries();
    const swapped = [all[0]!, all[2]!, all[1]!, all[3]!, all[4]!].map((e, i) => ({ ...e, seq: i + 1 }));
    // Re-hash each moved entry so only the links (not the hashes) give the reordering away.
    const rehashed = swapped.map(({ hash: _hash, ...rest }) => ({ ...rest, hash: entryHash(rest) }));
    expect(await verifyChain(rehashed)).toMatchObject({ ok: false, seq: 2, problem: 'reordered' });
  });

  it('names an entry moved in place (its key changed, its hash kept) as reordered, with where it was written', async () => {
    const all = await entries();
    await db.send(new PutCommand({ TableName: audit.table, Item: { ...all[2]!, seq: 2 } }));
    await db.send(new PutCommand({ TableName: audit.table, Item: { ...all[1]!, seq: 3 } }));
    expect(await verifyChain(audit.entries())).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'reordered',
      detail: 'entry #2 was written as #3: entries were moved',
    });
  });

  it('catches a forged first entry: the chain starts from the genesis hash', async () => {
    const all = await entries();
    // Entry #1 removed and the rest renumbered and re-hashed, so every hash and sequence number checks out.
    const renumbered = all.slice(1).map(({ hash: _hash, ...rest }, i) => ({ ...rest, seq: i + 1 }));
    const rehashed = renumbered.map((e) => ({ ...e, hash: entryHash(e) }));
    expect(await verifyChain(rehashed)).toMatchObject({ ok: false, seq: 1, problem: 'rewritten' });
  });

  it('says an edit with a recomputed hash could be an edit or a removal, at the first link that breaks', async () => {
    const all = await entries();
    const { hash: _hash, ...third } = { ...all[2]!, reason: 'nothing to see' };
    await db.send(new PutCommand({ TableName: audit.table, Item: { ...third, hash: entryHash(third) } }));
    const verdict = await verifyChain(audit.entries());
    expect(verdict).toMatchObject({ ok: false, seq: 4, problem: 'rewritten' });
    expect(verdict.ok === false && verdict.detail).toContain('#3 was edited and its hash recomputed, or entries were removed');
  });

  it('with an anchor, catches entries cut from the end and a log rewritten up to the anchor', async () => {
    const all = await entries();
    const anchor = { seq: 5, hash: all[4]!.hash };
    expect(await verifyChain(audit.entries(), { anchor })).toMatchObject({ ok: true, head: anchor });
    await db.send(new DeleteCommand({ TableName: audit.table, Key: { chain: 'audit', seq: 5 } }));
    await db.send(new DeleteCommand({ TableName: audit.table, Key: { chain: 'audit', seq: 4 } }));
    expect(await verifyChain(audit.entries())).toMatchObject({ ok: true, entries: 3 });
    expect(await verifyChain(audit.entries(), { anchor })).toMatchObject({ ok: false, seq: 4, problem: 'removed' });
    expect(await verifyChain(audit.entries(), { anchor: { seq: 2, hash: 'f'.repeat(16) } })).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'rewritten',
    });
  });
});
