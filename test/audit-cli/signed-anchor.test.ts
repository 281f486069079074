import { KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type LocalDynamo, SimCloud, startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditAnchorLocation } from '../../accounts/stack/names.js';
import { openAwsSource, openLocalSource } from '../../cli/audit/connect.js';
import { anchoredLines } from '../../cli/audit/report-context.js';
import { run } from '../../cli/audit.js';
import { createTables } from '../../drill/hub-tables.js';
import { AnchorStore, anchorObjectKey, anchorVerifier } from '../../shared/audit/anchor.js';
import { anchorAuditHead } from '../../shared/audit/anchor-audit.js';
import { AuditLog } from '../../shared/audit/audit-log.js';
import { AwsClients } from '../../shared/aws/clients.js';
import { writeFixtureAccounts } from '../report/fixture.js';
import { tempDirs } from '../temp-dirs.js';

const temp = tempDirs();
afterAll(temp.remove);

const VAULT = '999999999999';
const REGION = 'eu-west-1';
const where = auditAnchorLocation({ id: VAULT, auditAnchors: { account: VAULT } }, REGION);

/**
 * `backup-hub audit verify` on the real-AWS code path: the audit log on DynamoDB (dynalite, through
 * the standard credential chain), the anchors in the simulated cloud's S3 and KMS.
 */
describe('backup-hub audit verify against the newest signed anchor', () => {
  let dynamo: LocalDynamo;
  let accountsDir: string;
  let s3: S3Client;
  let connect: Parameters<typeof run>[2];
  const saved = { ...process.env };

  beforeAll(async () => {
    // Prepare: seven entries, the first five under a signed anchor.
    dynamo = await startLocalDynamo();
    await createTables(dynamo.clientConfig, { catalog: 'backup-hub-catalog', audit: 'backup-hub-audit' });
    const audit = new AuditLog(
      new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo(REGION),
      'backup-hub-audit',
      () => new Date(),
    );
    const cloud = new SimCloud();
    cloud.addAccount({ id: VAULT });
    cloud.kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256', alias: 'alias/backup-hub-audit-anchor' });
    cloud.s3.createBucket(VAULT, REGION, where.bucket, {
      objectLockEnabled: true,
      versioning: 'Enabled',
      defaultRetention: { mode: 'COMPLIANCE', days: 30 },
    });
    const config = cloud.clientConfig(cloud.adminCredentials(VAULT), REGION);
    const kms = new KMSClient(config);
    s3 = new S3Client({ ...config, forcePathStyle: true });
    const anchors = new AnchorStore(s3, where.bucket, where.owner);
    for (const decision of ['copied', 'completed', 'copied', 'completed', 'rejected'] as const) await audit.append({ decision });
    await anchorAuditHead({ audit, anchors, kms, keyId: where.keyId, vault: VAULT, now: () => new Date() });
    for (const decision of ['pruned', 'held'] as const) await audit.append({ decision });
    connect = {
      aws: (...args) => ({ ...openAwsSource(...args), anchors: { store: anchors, verifier: () => anchorVerifier(kms, where.keyId) } }),
      local: openLocalSource,
    };
    accountsDir = await writeFixtureAccounts(await temp.make('anchor-accounts-'));
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
  });
  afterAll(async () => {
    process.env = saved;
    await dynamo.close();
  });

  const verify = async (...args: string[]) => {
    const out: string[] = [];
    const code = await run(
      ['verify', '--accounts', accountsDir, '--quiet', ...args],
      { out: (t) => out.push(t), err: (t) => out.push(t) },
      connect,
    );
    return { code, text: out.join('\n') };
  };

  it('checks the anchor and the entries from it, and names the entries written after it', async () => {
    const { code, text } = await verify();
    expect(code).toBe(0);
    expect(text).toContain(`signed anchor: #5 `);
    expect(text).toContain(`s3://${where.bucket}/${anchorObjectKey(5)}`);
    expect(text).toContain("audit log intact: the anchor's signature holds, and #5 and the 2 entries after it check out");
    expect(text).toContain('after the anchor: entries #6..#7 (2), linked but not yet signed');
  });

  it('warns when the newest anchor is hours older than the hourly anchor would leave it', () => {
    const verdict = {
      ok: true as const,
      entries: 1,
      walked: 'since-anchor' as const,
      anchor: { seq: 5, hash: 'h', at: 't', signedAt: '2026-01-01T00:00:00Z', object: 's3://b/k' },
    };
    expect(anchoredLines(verdict, new Date('2026-01-01T02:00:00Z')).join('\n')).not.toMatch(/WARNING/);
    expect(anchoredLines(verdict, new Date('2026-01-01T05:30:00Z'))[1]).toMatch(/^WARNING: the newest anchor is 5 hours old/);
  });

  it('walks every entry with --full, and prints the anchor in JSON', async () => {
    expect((await verify('--full')).text).toContain('every entry (7) checks out, and #5 still has the hash the anchor signed');
    const { text } = await verify('--format', 'json');
    const json = JSON.parse(text.slice(text.indexOf('{'))) as { auditLog: unknown };
    expect(json.auditLog).toMatchObject({
      ok: true,
      walked: 'since-anchor',
      anchor: { seq: 5 },
      unanchored: { entries: 2, from: 6, to: 7 },
    });
  });

  it("checks the report's audit log section from the signed anchor too", async () => {
    const out: string[] = [];
    const code = await run(
      ['--accounts', accountsDir, '--format', 'json', '--quiet'],
      { out: (t) => out.push(t), err: (t) => out.push(t) },
      connect,
    );
    expect(code).toBe(0);
    expect((JSON.parse(out[0]!) as { auditLog: unknown }).auditLog).toMatchObject({ ok: true, entries: 3, anchor: { seq: 5 } });
  });

  it('fails with exit status 1 and says so when a newer anchor in the bucket is forged', async () => {
    const forged = { vault: VAULT, seq: 7, hash: 'a'.repeat(64), at: 'x', signedAt: 'x', keyArn: 'x', signature: 'AAAA' };
    await s3.send(new PutObjectCommand({ Bucket: where.bucket, Key: anchorObjectKey(7), Body: JSON.stringify(forged) }));
    const { code, text } = await verify();
    expect(code).toBe(1);
    expect(text).toMatch(
      /audit log BROKEN at entry #7 \(forged-anchor\): anchor #7 names the key x, not the audit anchor key arn:aws:kms:/,
    );
  });
});
