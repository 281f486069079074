import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { auditAnchorLocation } from '../../accounts/stack/names.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { AnchorStore, anchorVerifier } from '../../shared/audit/anchor.js';
import { verifyAnchored } from '../../shared/audit/verify-anchored.js';
import { kmsClient, s3Client } from '../../shared/aws/clients.js';
import { deployTestHub, REGION, run, SOURCE_A, snapshotOf, VAULT } from './hub-harness.js';

const LOG_ARCHIVE = '555555555555';

let hub: LocalHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

/** The vault's administrator verifies, as `backup-hub audit verify` does with their credentials. */
async function verifyAsAdministrator(deployed: LocalHub) {
  const { aws, audit } = deployed.inspector;
  const where = auditAnchorLocation(deployed.accounts.vault, REGION);
  const anchors = new AnchorStore(s3Client(aws, REGION), where.bucket, where.owner);
  return verifyAnchored({ audit, anchors, verifier: await anchorVerifier(kmsClient(aws, REGION), where.keyId) });
}

describe('the audit anchor on the deployed hub', () => {
  it('signs the head every hour into the compliance-locked bucket; no one else may sign or delete an anchor', async () => {
    // Prepare
    hub = await deployTestHub();
    snapshotOf(hub, SOURCE_A, 'none');
    // Act: the hourly schedule runs the audit anchor function.
    await run(hub, 70);
    // Assess
    const verdict = await verifyAsAdministrator(hub);
    expect(verdict).toMatchObject({
      ok: true,
      walked: 'since-anchor',
      anchor: { object: expect.stringContaining(`-${VAULT}-${REGION}/`) },
    });
    const admin = hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION);
    const sign = new SignCommand({
      KeyId: auditAnchorLocation(hub.accounts.vault, REGION).keyId,
      Message: Buffer.from('a forged head'),
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    await expect(new KMSClient(admin).send(sign)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const [bucket, key] = verdict.anchor!.object.replace('s3://', '').split(/\/(.*)/);
    const version = hub.s3.bucket(bucket!)!.latest(key!)!;
    const remove = new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: version.versionId });
    await expect(new S3Client({ ...admin, forcePathStyle: true }).send(remove)).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(hub.s3.bucket(bucket!)!.latest(key!)?.versionId).toBe(version.versionId);
  });

  it('keeps the anchors in a log-archive account when the vault file names one, and the vault verifies against them there', async () => {
    hub = await deployTestHub({ logArchive: { account: LOG_ARCHIVE } });
    snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 70);
    const verdict = await verifyAsAdministrator(hub);
    expect(verdict).toMatchObject({
      ok: true,
      anchor: { object: expect.stringContaining(`backup-hub-audit-anchors-${LOG_ARCHIVE}-${REGION}/`) },
    });
    expect(hub.s3.bucket(`backup-hub-audit-anchors-${VAULT}-${REGION}`)).toBeUndefined();
    expect(hub.s3.bucket(`backup-hub-audit-anchors-${LOG_ARCHIVE}-${REGION}`)?.account).toBe(LOG_ARCHIVE);
  });
});
