import {
  CopyImageCommand,
  CopySnapshotCommand,
  DescribeImagesCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
} from '@aws-sdk/client-ec2';
import { CopyDBClusterSnapshotCommand, CopyDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, roleArn } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalHub } from '../../drill/local-hub.js';
import type { RecoveryPoint } from '../../shared/catalog/recovery-point.js';
import type { RestoreTarget } from '../../shared/kinds/common/artifact-kind.js';
import { applyRestore, type RestoreResult } from '../../shared/restore/apply-restore.js';
import { formatPlan, planRestore, type RestorePlan } from '../../shared/restore/restore-plan.js';
import { pointKeyOf, type RestoreRequest, RestoreRequestError } from '../../shared/restore/restore-request.js';
import { restoreTarget } from '../../shared/restore/restore-target.js';
import { auditEntries, deployTestHub, imageOf, points, REGION, run, SOURCE_A, VAULT } from './hub-harness.js';

const RECOVERY = '444444444444';
const NAMES = { recoveryRole: 'backup-hub-recovery', restoreKeyAliasPrefix: 'alias/backup-hub-restore-' };
const SECRET = 'correct-horse-battery-staple';

let hub: LocalHub;
afterEach(() => hub?.close());

/** Source A with one artifact of every kind (and a parameter updated twice), all copied into the vault. */
async function protectedAccount(): Promise<LocalHub> {
  hub = await deployTestHub({ recovery: [{ account: RECOVERY }], rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 } });
  const volume = hub.ec2.createVolume(SOURCE_A, REGION, { id: 'vol-0000000000000dada', encryption: 'aws-managed' });
  hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: volume.id });
  imageOf(hub, SOURCE_A, 'cmk', { name: 'web' });
  hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'orders', type: 'automated', encryption: 'aws-managed' });
  hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'ledger', type: 'manual', encryption: 'cmk' });
  hub.ssm.putParameter(SOURCE_A, REGION, {
    name: '/orders/db/password',
    value: 'old-password',
    type: 'SecureString',
    description: 'orders database password',
  });
  hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/feature-flags', value: 'search,checkout', type: 'StringList' });
  await run(hub, 5);
  hub.ssm.putParameter(SOURCE_A, REGION, { name: '/orders/db/password', value: SECRET, type: 'SecureString', overwrite: true });
  await run(hub, 90);
  expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(Array(7).fill('available'));
  return hub;
}

const recoveryConfig = () => hub.cloud.clientConfig(hub.cloud.adminCredentials(RECOVERY), REGION);
const target = () => restoreTarget(RECOVERY, NAMES, hub.restoreContext);

async function restore(
  request: RestoreRequest,
  into?: RestoreTarget,
): Promise<{ plan: RestorePlan; result: RestoreResult; log: string[] }> {
  const log: string[] = [];
  const plan = await planRestore(request, into ?? (await target()), hub.restoreContext);
  const result = await applyRestore(plan, hub.restoreContext, {
    wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined),
    log: (line) => log.push(line),
    pollMs: 60_000,
  });
  return { plan, result, log };
}

const vaultCopyOf = async (kind: RecoveryPoint['kind']) => (await points(hub, SOURCE_A)).find((p) => p.kind === kind)!;

describe('restore into a clean account', () => {
  it('before any restore, the recovery account can neither see nor copy what the vault holds, even when shared under the vault CMK', async () => {
    await protectedAccount();
    const ec2 = new EC2Client(recoveryConfig());
    const snapshot = await vaultCopyOf('ebs-snapshot');
    const { SnapshotId: unseen } = await ec2.send(
      new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: snapshot.vaultCopyId, Encrypted: true }),
    );
    // Shared as it is, the copy still fails: the vault CMK admits vault principals only.
    await new EC2Client(hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION)).send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: snapshot.vaultCopyId,
        Attribute: 'createVolumePermission',
        OperationType: 'add',
        UserIds: [RECOVERY],
      }),
    );
    const { SnapshotId: keyless } = await ec2.send(
      new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: snapshot.vaultCopyId, Encrypted: true }),
    );
    await run(hub, 30);
    expect(hub.ec2.snapshot(RECOVERY, REGION, unseen!)).toMatchObject({ state: 'error', stateMessage: 'Source snapshot ID is not valid' });
    expect(hub.ec2.snapshot(RECOVERY, REGION, keyless!)).toMatchObject({ state: 'error', stateMessage: 'Given key ID is not accessible' });

    await expect(ec2.send(new DescribeImagesCommand({ ImageIds: [(await vaultCopyOf('ami')).vaultCopyId!] }))).rejects.toThrow(
      /does not exist/,
    );
    const rds = new RDSClient(recoveryConfig());
    const db = await vaultCopyOf('rds-snapshot');
    await expect(
      rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: `arn:aws:rds:${REGION}:${VAULT}:snapshot:${db.vaultCopyId}`,
          TargetDBSnapshotIdentifier: 'mine',
        }),
      ),
    ).rejects.toThrow(/not found/i);
    await expect(new SSMClient(recoveryConfig()).send(new GetParameterCommand({ Name: '/orders/db/password' }))).rejects.toThrow(
      /not found/i,
    );
  });

  it('lets the recovery account use its restore key only through EC2 and RDS, never directly', async () => {
    hub = await deployTestHub({ recovery: [{ account: RECOVERY }] });
    const alias = hub.kms.aliases(VAULT, REGION).find((a) => a.name === `${NAMES.restoreKeyAliasPrefix}${RECOVERY}`)!;
    const recovery = { account: RECOVERY, arn: `arn:aws:iam::${RECOVERY}:root` };
    expect(hub.kms.authorize(alias.targetKeyArn, recovery, 'Decrypt', { viaService: `ec2.${REGION}.amazonaws.com` }).arn).toBe(
      alias.targetKeyArn,
    );
    expect(hub.kms.authorize(alias.targetKeyArn, recovery, 'Decrypt', { viaService: `rds.${REGION}.amazonaws.com` }).arn).toBe(
      alias.targetKeyArn,
    );
    expect(() => hub.kms.authorize(alias.targetKeyArn, recovery, 'Decrypt')).toThrow(/not authorized to perform: kms:Decrypt/);
    expect(() => hub.kms.authorize(alias.targetKeyArn, recovery, 'Decrypt', { viaService: `ssm.${REGION}.amazonaws.com` })).toThrow(
      /key policy/,
    );
  });

  it('restores a lost account into a fresh one: every artifact usable there, every parameter with its value and type', async () => {
    await protectedAccount();
    hub.loseAccount(SOURCE_A);
    expect(hub.ec2.snapshots({ account: SOURCE_A })).toEqual([]);

    const { plan, result, log } = await restore({ account: SOURCE_A, asOf: hub.cloud.clock.now() });
    expect(plan.unrestorable).toEqual([]);
    expect(plan.items.map((i) => i.point.kind)).toEqual([
      'ebs-snapshot',
      'ami',
      'rds-snapshot',
      'rds-cluster-snapshot',
      'ssm-parameter',
      'ssm-parameter',
    ]);
    expect(result.artifacts.map((a) => [a.kind, a.status])).toEqual(
      expect.arrayContaining(plan.items.map((i) => [i.point.kind, 'usable'])),
    );
    expect(result.artifacts).toHaveLength(6);
    // The newest version of the parameter, not the older one.
    expect(plan.items.find((i) => i.point.resourceId === '/orders/db/password')?.point.sourceId).toBe('/orders/db/password:2');
    const restored = (kind: RecoveryPoint['kind']) => result.artifacts.find((a) => a.kind === kind)!.restoredId!;

    // The recovery account can now copy every snapshot and image into its own keys, and read every parameter.
    const ec2 = new EC2Client(recoveryConfig());
    const { SnapshotId } = await ec2.send(
      new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: restored('ebs-snapshot'), Encrypted: true }),
    );
    const { ImageId } = await ec2.send(
      new CopyImageCommand({ SourceRegion: REGION, SourceImageId: restored('ami'), Name: 'web-restored', Encrypted: true }),
    );
    const ownKey = hub.kms.createKey(RECOVERY, REGION).arn;
    const rds = new RDSClient(recoveryConfig());
    await rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: restored('rds-snapshot'),
        TargetDBSnapshotIdentifier: 'orders-restored',
        KmsKeyId: ownKey,
      }),
    );
    await rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: restored('rds-cluster-snapshot'),
        TargetDBClusterSnapshotIdentifier: 'ledger-restored',
        KmsKeyId: ownKey,
      }),
    );
    await run(hub, 30);
    expect(hub.ec2.snapshot(RECOVERY, REGION, SnapshotId!)).toMatchObject({ state: 'completed', encrypted: true });
    expect(hub.ec2.images.store.get(REGION, ImageId!)).toMatchObject({ owner: RECOVERY, state: 'available' });
    expect(hub.rds.snapshots(DB_SNAPSHOT, RECOVERY).map((s) => [s.id, s.status])).toEqual([['orders-restored', 'available']]);
    expect(hub.rds.snapshots(DB_CLUSTER_SNAPSHOT, RECOVERY).map((s) => [s.id, s.status])).toEqual([['ledger-restored', 'available']]);
    const ssm = new SSMClient(recoveryConfig());
    const read = async (name: string) => (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!;
    expect(await read('/orders/db/password')).toMatchObject({ Type: 'SecureString', Value: SECRET });
    expect(await read('/app/feature-flags')).toMatchObject({ Type: 'StringList', Value: 'search,checkout' });
    expect(hub.ssm.parameter(RECOVERY, REGION, '/orders/db/password')?.latest().description).toBe('orders database password');

    // Every outcome is audited; no value reaches the audit log or the step log.
    const restoredEntries = (await auditEntries(hub)).filter((e) => e.decision === 'restored');
    expect(restoredEntries).toHaveLength(6);
    expect(JSON.stringify(await auditEntries(hub))).not.toContain(SECRET);
    expect(log.join('\n')).not.toContain(SECRET);
    expect(log.at(-1)).toMatch(/done: 6 of 6 usable in 444444444444, 0 failed, in \d+ min/);
  });

  it('makes exactly the calls its dry run lists, and nothing before --apply', async () => {
    await protectedAccount();
    const callsOf = (from: number) =>
      hub.cloud.calls
        .slice(from)
        // The catalog and audit log (DynamoDB) are the hub's own records, not restore actions.
        .filter(
          (c) =>
            [roleArn(VAULT, 'backup-hub-restore'), roleArn(RECOVERY, 'backup-hub-recovery')].includes(c.principal) &&
            !c.error &&
            !/^Describe/.test(c.action) &&
            c.service !== 'dynamodb',
        )
        .map((c) => `${c.service}:${c.action}`);
    const before = hub.cloud.calls.length;
    const plan = await planRestore({ account: SOURCE_A, asOf: hub.cloud.clock.now() }, await target(), hub.restoreContext);
    // Planning reads, and assumes the recovery role to check it is there; it changes nothing.
    expect(callsOf(before)).toEqual(['sts:AssumeRole']);
    const text = formatPlan(plan).join('\n');
    expect(text).toContain(`restore key: alias/backup-hub-restore-${RECOVERY}`);
    expect(text).toMatch(/ec2:CopySnapshot\s+copy snap-\w+ in the vault, re-encrypted under alias\/backup-hub-restore-444444444444/);

    const applied = hub.cloud.calls.length;
    await applyRestore(plan, hub.restoreContext, {
      wait: (ms) => hub.cloud.advance(ms, { tickMs: 60_000 }).then(() => undefined),
      log: () => {},
      pollMs: 60_000,
    });
    const planned = new Set(plan.items.flatMap((i) => i.actions.map((a) => a.call)));
    expect(new Set(callsOf(applied).filter((c) => c !== 'sts:AssumeRole'))).toEqual(
      new Set([...planned].filter((c) => c !== 'sts:AssumeRole')),
    );
  });

  it('restores one recovery point, and a second run finds its own copies instead of copying again', async () => {
    await protectedAccount();
    const snapshot = await vaultCopyOf('ebs-snapshot');
    const parameter = (await points(hub, SOURCE_A)).find((p) => p.sourceId === '/orders/db/password:1')!;
    const first = await restore({ point: pointKeyOf(`ebs-snapshot/${SOURCE_A}/${REGION}/${snapshot.sourceId}`) });
    const again = await restore({ point: snapshot.pk });
    expect(again.result.artifacts[0]).toMatchObject({ status: 'usable', restoredId: first.result.artifacts[0]!.restoredId });
    expect(
      hub.cloud.calls.filter(
        (c) => c.action === 'CopySnapshot' && c.account === VAULT && c.principal === roleArn(VAULT, 'backup-hub-restore'),
      ),
    ).toHaveLength(1);

    // An older version, by its `<kind>/<account>/<region>/<id>` name, then again: the second finds it written.
    await restore({ point: pointKeyOf(`ssm-parameter/${SOURCE_A}/${REGION}/${parameter.sourceId}#${parameter.life}`) });
    const rerun = await restore({ point: parameter.pk });
    expect(rerun.result.artifacts[0]).toMatchObject({ status: 'usable', detail: expect.stringContaining('already there') });
  });

  it('reports an artifact restored only once its audit entry is appended: an append that fails is retried with the artifact', async () => {
    hub = await deployTestHub({ recovery: [{ account: RECOVERY }] });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/token', value: SECRET, type: 'SecureString' });
    await run(hub, 5);
    const [point] = await points(hub, SOURCE_A);
    // Enough failures to outlast the SDK's own retries of the first append (5 attempts in the simulated cloud).
    hub.cloud.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'InternalServerError', times: 5, account: VAULT });
    const { result, log } = await restore({ point: point!.pk });

    expect(log.some((line) => /will retry: InternalServerError/.test(line))).toBe(true);
    expect(result.artifacts).toEqual([expect.objectContaining({ status: 'usable', sourceId: point!.sourceId })]);
    const restored = (await auditEntries(hub)).filter((e) => e.sourceId === point!.sourceId && e.decision === 'restored');
    expect(restored).toHaveLength(1);
  });

  it('never overwrites a parameter that exists with another value: that one fails, the others are restored', async () => {
    await protectedAccount();
    await new SSMClient(recoveryConfig()).send(
      new PutParameterCommand({ Name: '/app/feature-flags', Value: 'newer-data', Type: 'StringList' }),
    );
    const { result } = await restore({ account: SOURCE_A, asOf: hub.cloud.clock.now() });
    const flags = result.artifacts.find((a) => a.resourceId === '/app/feature-flags')!;
    expect(flags).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/already exists in the recovery account with another value; it was not overwritten/),
    });
    expect(result.artifacts.filter((a) => a.status === 'usable')).toHaveLength(5);
    expect(hub.ssm.parameter(RECOVERY, REGION, '/app/feature-flags')?.latest().plaintext).toBe('newer-data');
  });

  it('fails a parameter Parameter Store refuses for good at the first refusal, without retrying (15.7)', async () => {
    hub = await deployTestHub({ recovery: [{ account: RECOVERY }] });
    hub.ssm.putParameter(SOURCE_A, REGION, { name: '/app/token', value: SECRET, type: 'SecureString' });
    await run(hub, 5);
    const [point] = await points(hub, SOURCE_A);
    hub.cloud.faults.add({
      service: 'ssm',
      operation: 'PutParameter',
      error: 'ParameterPatternMismatchException',
      times: 9,
      account: RECOVERY,
    });
    const { result } = await restore({ point: point!.pk });
    expect(result.artifacts[0]).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/^ParameterPatternMismatchException: cannot write \/app\/token in the recovery account: /),
    });
    expect(hub.cloud.calls.filter((c) => c.action === 'PutParameter' && c.account === RECOVERY)).toHaveLength(1);
  });

  it('lists what cannot be restored, and refuses clearly a request it cannot serve', async () => {
    await protectedAccount();
    hub.rds.createDBClusterSnapshot(SOURCE_A, REGION, { cluster: 'plain', type: 'manual', encryption: 'none' });
    await run(hub, 30);
    const plan = await planRestore({ account: SOURCE_A, asOf: hub.cloud.clock.now() }, await target(), hub.restoreContext);
    expect(plan.unrestorable).toEqual([
      expect.objectContaining({
        kind: 'rds-cluster-snapshot',
        resourceId: 'plain',
        reason: expect.stringMatching(/^no available recovery point; the newest .* failed: .*unencrypted/),
      }),
    ]);
    // As of before anything existed, there is nothing to restore.
    await expect(
      planRestore({ account: SOURCE_A, asOf: new Date('2025-12-31T00:00:00Z') }, await target(), hub.restoreContext),
    ).rejects.toThrow(/holds no recovery point of account 111111111111 created by 2025-12-31/);
    await expect(restoreTarget('555555555555', NAMES, hub.restoreContext)).rejects.toThrow(
      /no usable restore key alias\/backup-hub-restore-555555555555 .* role: recovery/,
    );
    expect(() => pointKeyOf('snap-0123')).toThrow(RestoreRequestError);
    // The recovery stack is gone: planning a restore with parameters stops before anything is copied.
    hub.cloud.iam.removeAccount(RECOVERY);
    await expect(planRestore({ account: SOURCE_A, asOf: hub.cloud.clock.now() }, await target(), hub.restoreContext)).rejects.toThrow(
      /deploy the recovery stack in 444444444444/,
    );
  });
});
