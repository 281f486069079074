import { CopyImageCommand, CopySnapshotCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CopyDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DB_SNAPSHOT } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalHub, RECOVERY_NAMES } from '../../drill/local-hub.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import { applyRestore, type RestoredArtifact } from '../../shared/restore/apply-restore.js';
import { formatPlan, planRestore } from '../../shared/restore/restore-plan.js';
import type { RestoreRequest } from '../../shared/restore/restore-request.js';
import { landingRegion, restoreRoleRegion } from '../../shared/restore/restore-selection.js';
import { restoreTarget } from '../../shared/restore/restore-target.js';
import type { HubContext } from '../../shared/runtime/hub-context.js';
import { auditEntries, deployTestHub, imageOf, points, REGION, run, SOURCE_A, VAULT } from './hub-harness.js';

const DR_REGION = 'eu-central-1';
/** A region of the recovery account that is not one of the vault's. */
const THIRD_REGION = 'us-east-1';
const RECOVERY = '444444444444';
const SECRET = 'across-regions-placeholder';

let hub: LocalHub;
afterEach(() => hub?.close());

/** Source A with one artifact of every kind (a DB snapshot with its own option group), each with its copy in the DR region. */
async function protectedInBothRegions(recoveryRegions = [REGION]): Promise<RecoveryPoint[]> {
  hub = await deployTestHub({
    vault: { account: VAULT, region: REGION, drRegion: DR_REGION },
    recovery: [{ account: RECOVERY, regions: recoveryRegions }],
    rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 },
  });
  const volume = hub.ec2.createVolume(SOURCE_A, REGION, { encryption: 'cmk' });
  hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: volume.id });
  imageOf(hub, SOURCE_A, 'cmk', { name: 'web' });
  hub.rds.createDBSnapshot(SOURCE_A, REGION, {
    db: 'orders',
    type: 'manual',
    encryption: 'aws-managed',
    optionGroup: { name: 'orders-options', persistentOptions: false },
  });
  hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type: 'manual', encryption: 'cmk' });
  hub.ssm.putParameter(SOURCE_A, REGION, { name: '/orders/db/password', value: SECRET, type: 'SecureString' });
  await run(hub, 240);
  const protectedPoints = await points(hub, SOURCE_A);
  expect(protectedPoints.map((p) => [p.state, p.copies?.[0]?.state])).toEqual(Array(5).fill(['available', 'available']));
  return protectedPoints;
}

/** The context of the vault region a restore lands in, or else restores from (its restore role, catalog and audit log), as the CLI picks it. */
const landingContext = (request: Pick<RestoreRequest, 'fromRegion' | 'toRegion'>): HubContext =>
  restoreRoleRegion(request, hub.restoreContext) === REGION ? hub.restoreContext : hub.restoreContextIn(DR_REGION);

async function restore(request: RestoreRequest) {
  const ctx = landingContext(request);
  const plan = await planRestore(request, await restoreTarget(RECOVERY, RECOVERY_NAMES, ctx, landingRegion(request, ctx)), ctx);
  const log: string[] = [];
  const result = await applyRestore(plan, ctx, {
    wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined),
    log: (line) => log.push(line),
    pollMs: 60_000,
  });
  return { plan, result, log };
}

const restoreKey = (region: string) => hub.kms.resolveKey(`${RECOVERY_NAMES.restoreKeyAliasPrefix}${RECOVERY}`, VAULT, region);
const recoveryConfig = (region: string) => hub.cloud.clientConfig(hub.cloud.adminCredentials(RECOVERY), region);
const statusByKind = (artifacts: RestoredArtifact[]) => Object.fromEntries(artifacts.map((a) => [a.kind, a.status]));
const copyCalls = () => hub.cloud.calls.filter((c) => /^Copy(Snapshot|Image|DBSnapshot|DBClusterSnapshot)$/.test(c.action));

describe('a restore that lands in another vault region', () => {
  it('restores the DR copies into the recovery account in the vault region: each copied across under the restore key there, all usable, none copied twice on a rerun', async () => {
    const protectedPoints = await protectedInBothRegions();
    hub.loseAccount(SOURCE_A);
    const before = copyCalls().length;

    const request = { account: SOURCE_A, asOf: hub.cloud.clock.now(), fromRegion: DR_REGION, toRegion: REGION };
    const { plan, result, log } = await restore(request);
    expect(formatPlan(plan)[0]).toBe(
      `restore of account ${SOURCE_A} as of ${request.asOf.toISOString()} into ${RECOVERY} in ${REGION}, from the vault copies in ${DR_REGION} (each copied into ${REGION} first)`,
    );
    // The DR copies, not the vault copies of the vault region.
    expect(plan.items.map((i) => i.point.vaultCopyId).sort()).toEqual(protectedPoints.map((p) => p.copies![0]!.vaultCopyId).sort());
    expect(result).toMatchObject({ fromRegion: DR_REGION, toRegion: REGION });
    expect(statusByKind(result.artifacts)).toEqual({
      'ebs-snapshot': 'usable',
      ami: 'usable',
      'rds-snapshot': 'usable',
      'rds-cluster-snapshot': 'usable',
      'ssm-parameter': 'usable',
    });
    expect(log.join('\n')).toMatch(new RegExp(`re-encrypting snap-\\w+ from ${DR_REGION} into ${REGION} as snap-`));
    expect(log.join('\n')).not.toContain(SECRET);

    // Each copy was requested in the landing region, from the DR region, by the vault region's restore role.
    const across = copyCalls().slice(before);
    expect(across.map((c) => [c.action, c.region])).toEqual([
      ['CopySnapshot', REGION],
      ['CopyImage', REGION],
      ['CopyDBSnapshot', REGION],
      ['CopyDBClusterSnapshot', REGION],
    ]);
    expect(across.every((c) => (c.session ?? c.principal).includes('/backup-hub-restore/'))).toBe(true);
    const restoredId = (kind: RecoveryPoint['kind']) => result.artifacts.find((a) => a.kind === kind)!.restoredId!;
    const key = restoreKey(REGION).arn;
    expect(hub.ec2.snapshot(VAULT, REGION, restoredId('ebs-snapshot'))).toMatchObject({ state: 'completed', kmsKeyId: key });
    expect([...hub.ec2.snapshot(VAULT, REGION, restoredId('ebs-snapshot'))!.sharedWith]).toEqual([RECOVERY]);
    const db = hub.rds.instanceSnapshots.get(VAULT, REGION, restoredId('rds-snapshot').split(':').at(-1)!);
    // CopyDBSnapshot across Regions named the snapshot's own option group there.
    expect(db).toMatchObject({ status: 'available', kmsKeyId: key, optionGroup: { name: 'orders-options' } });

    // The recovery account uses them in that region: copies each into its own, reads the parameter there.
    const ec2 = new EC2Client(recoveryConfig(REGION));
    const { SnapshotId } = await ec2.send(
      new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: restoredId('ebs-snapshot'), Encrypted: true }),
    );
    const { ImageId } = await ec2.send(
      new CopyImageCommand({ SourceRegion: REGION, SourceImageId: restoredId('ami'), Name: 'web-restored', Encrypted: true }),
    );
    await new RDSClient(recoveryConfig(REGION)).send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: restoredId('rds-snapshot'),
        TargetDBSnapshotIdentifier: 'orders-restored',
        KmsKeyId: hub.kms.createKey(RECOVERY, REGION).arn,
      }),
    );
    await run(hub, 30);
    expect(hub.ec2.snapshot(RECOVERY, REGION, SnapshotId!)).toMatchObject({ state: 'completed' });
    expect(hub.ec2.images.store.get(REGION, ImageId!)).toMatchObject({ owner: RECOVERY, state: 'available' });
    expect(hub.rds.snapshots(DB_SNAPSHOT, RECOVERY).map((s) => [s.id, s.status])).toEqual([['orders-restored', 'available']]);
    const parameter = await new SSMClient(recoveryConfig(REGION)).send(
      new GetParameterCommand({ Name: '/orders/db/password', WithDecryption: true }),
    );
    expect(parameter.Parameter).toMatchObject({ Type: 'SecureString', Value: SECRET });

    // A rerun finds every restore copy it made: nothing is copied again, the same ids are usable.
    const rerunFrom = copyCalls().length;
    const rerun = await restore(request);
    expect(copyCalls().length).toBe(rerunFrom);
    const ids = (artifacts: RestoredArtifact[]) => artifacts.map((a) => a.restoredId).sort();
    expect(ids(rerun.result.artifacts)).toEqual(ids(result.artifacts));
    const restored = (await auditEntries(hub)).filter((e) => e.decision === 'restored');
    expect(restored.map((e) => e.reason)).toContain(
      `usable in ${RECOVERY} (${REGION}) as ${restoredId('ebs-snapshot')}: under ${RECOVERY_NAMES.restoreKeyAliasPrefix}${RECOVERY} in ${REGION}, shared with ${RECOVERY}`,
    );
  });

  it("restores the vault region's copies into the DR region with the DR restore role (the other direction)", async () => {
    const protectedPoints = await protectedInBothRegions();
    const before = copyCalls().length;
    const { result } = await restore({ point: protectedPoints.find((p) => p.kind === 'ebs-snapshot')!.pk, toRegion: DR_REGION });
    expect(result.artifacts.map((a) => a.status)).toEqual(['usable']);
    const [call] = copyCalls().slice(before);
    expect(call).toMatchObject({ action: 'CopySnapshot', region: DR_REGION });
    expect(call!.session ?? call!.principal).toContain('/backup-hub-restore-dr/');
    expect(hub.ec2.snapshot(VAULT, DR_REGION, result.artifacts[0]!.restoredId!)).toMatchObject({ kmsKeyId: restoreKey(DR_REGION).arn });
  });

  it("restores the DR copies into the recovery account in a region of its own that is not the vault's, with the DR restore role", async () => {
    await protectedInBothRegions([REGION, THIRD_REGION]);
    hub.loseAccount(SOURCE_A);
    // The vault region is down: the DR region's role, catalog and audit log do it all.
    hub.cloud.outages.add(REGION);
    const before = copyCalls().length;
    const request = { account: SOURCE_A, asOf: hub.cloud.clock.now(), fromRegion: DR_REGION, toRegion: THIRD_REGION };
    const { result } = await restore(request);
    expect(statusByKind(result.artifacts)).toEqual({
      'ebs-snapshot': 'usable',
      ami: 'usable',
      'rds-snapshot': 'usable',
      'rds-cluster-snapshot': 'usable',
      'ssm-parameter': 'usable',
    });
    const across = copyCalls().slice(before);
    expect(across.map((c) => c.region)).toEqual(Array(4).fill(THIRD_REGION));
    expect(across.every((c) => (c.session ?? c.principal).includes('/backup-hub-restore-dr/'))).toBe(true);
    const restoredId = (kind: RecoveryPoint['kind']) => result.artifacts.find((a) => a.kind === kind)!.restoredId!;
    const key = restoreKey(THIRD_REGION).arn;
    expect(hub.ec2.snapshot(VAULT, THIRD_REGION, restoredId('ebs-snapshot'))).toMatchObject({ state: 'completed', kmsKeyId: key });
    expect(restoredId('rds-snapshot')).toMatch(new RegExp(`^arn:aws:rds:${THIRD_REGION}:`));
    const parameter = await new SSMClient(recoveryConfig(THIRD_REGION)).send(
      new GetParameterCommand({ Name: '/orders/db/password', WithDecryption: true }),
    );
    expect(parameter.Parameter).toMatchObject({ Type: 'SecureString', Value: SECRET });
  });

  it('records an artifact whose copy into the landing region fails as failed, with the cause, and restores the others', async () => {
    await protectedInBothRegions();
    // The restore key in the landing region turned off: EC2 accepts the copies there and fails them
    // ("Given key ID is not accessible"); RDS refuses them outright. Parameters need no restore key.
    restoreKey(REGION).enabled = false;
    const { result, log } = await restore({ account: SOURCE_A, asOf: hub.cloud.clock.now(), fromRegion: DR_REGION, toRegion: REGION });
    expect(statusByKind(result.artifacts)).toEqual({
      'ebs-snapshot': 'failed',
      ami: 'failed',
      'rds-snapshot': 'failed',
      'rds-cluster-snapshot': 'failed',
      'ssm-parameter': 'usable',
    });
    const detail = (kind: RecoveryPoint['kind']) => result.artifacts.find((a) => a.kind === kind)!.detail;
    expect(detail('ebs-snapshot')).toMatch(/restore copy snap-\w+ failed: Given key ID is not accessible/);
    expect(detail('rds-snapshot')).toMatch(/KMSKeyNotAccessibleFault/);
    const failed = (await auditEntries(hub)).filter((e) => e.decision === 'failed' && e.reason?.startsWith('restore into'));
    expect(failed.map((e) => e.reason)).toEqual(Array(4).fill(expect.stringContaining(`restore into ${RECOVERY} (${REGION}) failed:`)));
    expect(log.at(-1)).toMatch(/done: 1 of 5 usable in 444444444444, 4 failed/);
  });

  it('refuses, before anything is done, a landing region that is the one restored from, no region, or holds no restore key', async () => {
    hub = await deployTestHub({ vault: { account: VAULT, region: REGION, drRegion: DR_REGION }, recovery: [{ account: RECOVERY }] });
    const asOf = hub.cloud.clock.now();
    await expect(restore({ account: SOURCE_A, asOf, fromRegion: DR_REGION, toRegion: DR_REGION })).rejects.toThrow(
      `--to-region ${DR_REGION} is the region restored from: leave --to-region out (the restore lands there; no copy across regions is needed)`,
    );
    await expect(restore({ account: SOURCE_A, asOf, toRegion: 'us-east' })).rejects.toThrow(
      '--to-region us-east is no AWS region name (such as us-east-1)',
    );
    // A region the recovery account's file does not list: the vault has no restore key there.
    await expect(restore({ account: SOURCE_A, asOf, toRegion: THIRD_REGION })).rejects.toThrow(
      `the vault has no usable restore key ${RECOVERY_NAMES.restoreKeyAliasPrefix}${RECOVERY} in ${THIRD_REGION}`,
    );
    // A target looked up in another region than the one the restore lands in is refused too.
    const ctx = hub.restoreContext;
    await expect(
      planRestore({ account: SOURCE_A, asOf, toRegion: DR_REGION }, await restoreTarget(RECOVERY, RECOVERY_NAMES, ctx), ctx),
    ).rejects.toThrow(`the restore lands in ${DR_REGION}, but its target was looked up in ${REGION}`);
    expect(copyCalls()).toEqual([]);
  });
});
