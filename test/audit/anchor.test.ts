import { KMSClient } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamo, SimCloud, startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTables } from '../../drill/hub-tables.js';
import { AnchorStore, anchorObjectKey, anchorVerifier } from '../../shared/audit/anchor.js';
import { AnchorRefusedError, anchorAuditHead } from '../../shared/audit/anchor-audit.js';
import type { AuditEntry } from '../../shared/audit/audit-entry.js';
import { AuditLog, entryHash } from '../../shared/audit/audit-log.js';
import { verifyAnchored } from '../../shared/audit/verify-anchored.js';
import { AwsClients } from '../../shared/aws/clients.js';

const VAULT = '999999999999';
const REGION = 'eu-west-1';
const BUCKET = `backup-hub-audit-anchors-${VAULT}-${REGION}`;
const KEY_ALIAS = 'alias/backup-hub-audit-anchor';
const now = () => new Date('2026-01-01T00:00:00Z');

let dynamo: LocalDynamo;
let db: ReturnType<AwsClients['dynamo']>;
let table = 0;
let cloud: SimCloud;
let audit: AuditLog;
let anchors: AnchorStore;
let kms: KMSClient;
let s3: S3Client;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo(REGION);
});
afterAll(() => dynamo.close());

beforeEach(async () => {
  // Prepare: an audit log of five entries, a P-256 signing key and an Object Lock bucket in compliance mode.
  table += 1;
  await createTables(dynamo.clientConfig, { catalog: `catalog${table}`, audit: `audit${table}` });
  audit = new AuditLog(db, `audit${table}`, now);
  for (const decision of ['copied', 'completed', 'rejected', 'copied', 'completed'] as const) await audit.append({ decision });
  cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  cloud.kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256', alias: KEY_ALIAS });
  cloud.s3.createBucket(VAULT, REGION, BUCKET, {
    objectLockEnabled: true,
    versioning: 'Enabled',
    defaultRetention: { mode: 'COMPLIANCE', days: 365 },
  });
  const config = cloud.clientConfig(cloud.adminCredentials(VAULT), REGION);
  kms = new KMSClient(config);
  s3 = new S3Client({ ...config, forcePathStyle: true });
  anchors = new AnchorStore(s3, BUCKET, VAULT);
});

const anchor = () => anchorAuditHead({ audit, anchors, kms, keyId: KEY_ALIAS, vault: VAULT, now });
const verify = async (full = false) => verifyAnchored({ audit, anchors, verifier: await anchorVerifier(kms, KEY_ALIAS), full });

describe('signed anchors of the audit log', () => {
  it('signs the head into the locked bucket, then verifies from it and names the entries written after it', async () => {
    // Act
    const first = await anchor();
    await audit.append({ decision: 'pruned' });
    await audit.append({ decision: 'held' });
    const verdict = await verify();
    // Assess
    expect(first).toMatchObject({ anchored: true, seq: 5, checked: 5, object: `s3://${BUCKET}/${anchorObjectKey(5)}` });
    expect(verdict).toMatchObject({
      ok: true,
      walked: 'since-anchor',
      entries: 3,
      anchor: { seq: 5 },
      unanchored: { entries: 2, from: 6, to: 7 },
    });
    const stored = cloud.s3.bucket(BUCKET)!.latest(anchorObjectKey(5))!;
    expect(stored.retention?.mode).toBe('COMPLIANCE');
  });

  it('resumes each anchor from the one before: the second reads only the entries since the first', async () => {
    await anchor();
    await audit.append({ decision: 'pruned' });
    const second = await anchor();
    expect(second).toMatchObject({ anchored: true, seq: 6, checked: 2 });
    expect(await anchor()).toEqual({ anchored: false, reason: 'no entry since anchor #6' });
    expect(await verify()).toMatchObject({ ok: true, entries: 1, anchor: { seq: 6 }, unanchored: { entries: 0 } });
  });

  it('reports an entry after the anchor that was edited', async () => {
    await anchor();
    await audit.append({ decision: 'pruned', reason: 'past retention' });
    const edited = { ...(await audit.head())!, reason: 'nothing to see' };
    await db.send(new PutCommand({ TableName: audit.table, Item: edited }));
    expect(await verify()).toMatchObject({ ok: false, seq: 6, problem: 'edited', anchor: { seq: 5 } });
  });

  it('reports the signed entry rewritten with its hash recomputed, which the chain alone cannot see', async () => {
    await anchor();
    const [signed] = await collect(audit.entriesFrom(5));
    const { hash: _hash, ...content } = { ...signed!, reason: 'rewritten' };
    await db.send(new PutCommand({ TableName: audit.table, Item: { ...content, hash: entryHash(content) } as AuditEntry }));
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: false, seq: 5, problem: 'rewritten' });
    expect(verdict.ok || verdict.detail).toMatch(/no longer has the hash the anchor signed/);
  });

  it('reports an older entry rewritten up to the anchor in a full verify', async () => {
    await anchor();
    const rewritten = await collect(audit.entries());
    let prevHash = rewritten[0]!.prevHash;
    for (const entry of rewritten) {
      const { hash: _hash, ...content } = { ...entry, prevHash, ...(entry.seq === 2 ? { reason: 'rewritten' } : {}) };
      const hash = entryHash(content);
      await db.send(new PutCommand({ TableName: audit.table, Item: { ...content, hash } }));
      prevHash = hash;
    }
    expect(await verify(true)).toMatchObject({ ok: false, seq: 5, problem: 'rewritten', walked: 'full' });
  });

  it('reports a forged newer anchor (its signature does not match what it says) and refuses to sign on top of it', async () => {
    await anchor();
    const signed = JSON.parse((await cloud.s3.bucket(BUCKET)!.latest(anchorObjectKey(5))!).body.toString()) as Record<string, unknown>;
    // A newer anchor in the bucket, signed by nobody: it lists first.
    const forged = { ...signed, seq: 9, hash: 'f'.repeat(64) };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: anchorObjectKey(9), Body: JSON.stringify(forged) }));
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: false, seq: 9, problem: 'forged-anchor' });
    expect(verdict.ok || verdict.detail).toMatch(/signature does not match/);
    await expect(anchor()).rejects.toThrow(AnchorRefusedError);
  });

  it('reports an anchor object that is not an anchor, and walks the whole chain while there is none', async () => {
    expect(await verify()).toMatchObject({ ok: true, walked: 'full', entries: 5, unanchored: { entries: 5, from: 1, to: 5 } });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: anchorObjectKey(1), Body: 'not json' }));
    expect(await verify()).toMatchObject({ ok: false, problem: 'forged-anchor', detail: expect.stringMatching(/is not JSON/) });
  });

  it('finds the newest anchor behind a delete marker: a verify is not turned back to an older anchor', async () => {
    await anchor();
    await audit.append({ decision: 'pruned' });
    await anchor();
    // A delete without a version id is allowed under Object Lock: it only puts a marker on top.
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: anchorObjectKey(6) }));
    expect(await verify()).toMatchObject({ ok: true, anchor: { seq: 6 }, unanchored: { entries: 0 } });
  });

  it('refuses to sign a chain that broke since the last anchor', async () => {
    await anchor();
    await audit.append({ decision: 'pruned' });
    await db.send(new PutCommand({ TableName: audit.table, Item: { ...(await audit.head())!, decision: 'held' } }));
    await expect(anchor()).rejects.toThrow(/broken at entry #6 \(edited\)/);
  });
});

async function collect(entries: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of entries) out.push(e);
  return out;
}
