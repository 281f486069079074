import { afterEach, describe, expect, it } from 'vitest';
import { RECONCILER } from '../../accounts/stack/names.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { COPY_PENDING_TIMEOUT_MS, PROPAGATION_WINDOW_MS } from '../../shared/pipeline/copy-timing.js';
import {
  auditEntries,
  deployTestHub,
  ebsEvent,
  points,
  REGION,
  run,
  SOURCE_A,
  SOURCE_B,
  snapshotOf,
  VAULT,
  vaultSnapshots,
} from './hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

const vaultCopyCalls = (h: LocalHub) => h.cloud.calls.filter((c) => c.action === 'CopySnapshot' && c.account === VAULT && !c.error);

/**
 * The handler dies once right after EC2 accepted the copy, before the catalog learns of it.
 * @returns whether it has crashed yet
 */
function crashAfterCopyRequest(h: LocalHub): () => boolean {
  const catalog = h.context.catalog;
  const update = catalog.update.bind(catalog);
  let crashed = false;
  catalog.update = async (point, changes, expected) => {
    if (changes.stage === 'copying' && !crashed) {
      crashed = true;
      throw new Error('Lambda timed out');
    }
    return update(point, changes, expected);
  };
  return () => crashed;
}

describe('a crash between CopySnapshot and the catalog write', () => {
  it('the retry finds the vault copy by its provenance tags and records it, without copying again', async () => {
    hub = await deployTestHub();
    const crashed = crashAfterCopyRequest(hub);
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 90);

    expect(crashed()).toBe(true);
    expect(vaultCopyCalls(hub)).toHaveLength(1);
    const copies = vaultSnapshots(hub);
    expect(copies).toHaveLength(1);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ sourceId: source.id, state: 'available', vaultCopyId: copies[0]!.id });
  });
});

describe('flow control', () => {
  it('beyond the copy quota, points wait in the catalog (no message goes round the queue) and start as slots free', async () => {
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, copyQuota: 2 } });
    for (let i = 0; i < 6; i++) snapshotOf(hub, SOURCE_A, 'none');
    let peak = 0;
    for (let minute = 0; minute < 120; minute++) {
      await run(hub, 1);
      peak = Math.max(peak, vaultSnapshots(hub).filter((s) => s.state === 'pending').length);
    }
    expect(peak).toBe(2);
    expect((await points(hub, SOURCE_A)).map((p) => p.state)).toEqual(Array(6).fill('available'));
    // Four were refused once by EC2 and then waited; none was re-sent to the queue for the quota.
    expect(hub.cloud.calls.filter((c) => c.action === 'CopySnapshot' && c.error === 'ResourceLimitExceeded').length).toBeLessThanOrEqual(
      4 + 120 / 5,
    );
    expect(hub.cloud.calls.filter((c) => c.action === 'SendMessage')).toHaveLength(0);
    const waits = (await auditEntries(hub)).filter((e) => e.decision === 'deferred');
    expect(waits).toHaveLength(4);
    expect(waits[0]!.reason).toMatch(/waiting for a copy slot: .*quota ebs-snapshot:999999999999:eu-west-1 is full/);
  });

  it('a throttling storm longer than the SDK retries requeues the event instead of spending its receive count: copied once, no dead letter', async () => {
    hub = await deployTestHub();
    // 5 SDK attempts a call: 40 throttled DescribeSnapshots in the source outlast 8 deliveries, beyond maxReceiveCount (5).
    hub.cloud.faults.add({ service: 'ec2', operation: 'DescribeSnapshots', error: 'RequestLimitExceeded', times: 40, account: SOURCE_A });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 240);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ sourceId: source.id, state: 'available' }]);
    expect(vaultCopyCalls(hub)).toHaveLength(1);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(0);
    expect(
      hub.cloud.calls.filter((c) => c.action === 'DescribeSnapshots' && c.account === SOURCE_A && c.error === 'RequestLimitExceeded'),
    ).toHaveLength(40);
  });

  it('throttling that never ends is a failure in the end: the event reaches the dead-letter queue with the reason', async () => {
    hub = await deployTestHub();
    hub.cloud.faults.add({
      service: 'ec2',
      operation: 'DescribeSnapshots',
      error: 'RequestLimitExceeded',
      times: Number.MAX_SAFE_INTEGER,
      account: SOURCE_A,
    });
    snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 8 * 60);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(1);
    const [failure] = (await auditEntries(hub)).filter((e) => e.decision === 'failed');
    expect(failure!.reason).toMatch(/^RequestLimitExceeded: .*\(gave up after 5 attempts; the message goes to the dead-letter queue\)$/);
    expect(vaultSnapshots(hub)).toHaveLength(0);
  });

  it('InvalidSnapshot.NotFound on the first two CopySnapshot calls, right after the share, ends available', async () => {
    hub = await deployTestHub();
    hub.cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'InvalidSnapshot.NotFound', times: 2, account: VAULT });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ sourceId: source.id, state: 'available' }]);
    expect(hub.cloud.calls.filter((c) => c.action === 'CopySnapshot' && c.account === VAULT).map((c) => c.error)).toEqual([
      'InvalidSnapshot.NotFound',
      'InvalidSnapshot.NotFound',
      undefined,
    ]);
    expect(vaultSnapshots(hub)).toHaveLength(1);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(0);
  });

  it('an authorization error that outlasts the propagation window fails the point, code first, and the share is taken back', async () => {
    hub = await deployTestHub();
    hub.cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'UnauthorizedOperation', times: 1000, account: VAULT });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 120);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ sourceId: source.id, state: 'failed' });
    expect(point!.failureReason).toMatch(/^UnauthorizedOperation: /);
    // Retried with backoff for the window (15 minutes: 30 s, then about as long as already waited), then no more.
    const copies = hub.cloud.calls.filter((c) => c.action === 'CopySnapshot' && c.account === VAULT);
    expect(copies.length).toBeGreaterThanOrEqual(4);
    expect(copies.length).toBeLessThanOrEqual(10);
    expect(copies.at(-1)!.at - copies[0]!.at).toBeGreaterThanOrEqual(PROPAGATION_WINDOW_MS);
    expect([...source.sharedWith]).toEqual([]);
    expect((await auditEntries(hub)).filter((e) => e.decision === 'cleaned').map((e) => e.reason)).toEqual([
      `removed the vault's createVolumePermission on ${source.id} (the point failed)`,
    ]);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(0);

    // The cause is fixed: the next event of the same snapshot reopens the point, and it is copied.
    hub.cloud.faults.clear();
    hub.forward(ebsEvent(SOURCE_A, source.id, { id: 'after-the-fix' }), SOURCE_A);
    await run(hub, 60);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ sourceId: source.id, state: 'available', attempt: 2, eventId: 'after-the-fix' }]);
    const reopened = (await auditEntries(hub)).filter((e) => e.decision === 'reopened');
    expect(reopened.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^attempt 2 by event after-the-fix; it had failed: UnauthorizedOperation: /),
    ]);
    expect(vaultSnapshots(hub)).toHaveLength(1);
  });

  it('a vault copy still pending past the timeout is marked failed with the reason, and alerted', async () => {
    const alerts: string[] = [];
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: () => 2 * COPY_PENDING_TIMEOUT_MS } });
    const logger = hub.context.logger;
    logger.error = ((message: string) => void alerts.push(message)) as typeof logger.error;
    snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 30);
    // A quiet day: the copy stays pending (nothing to run minute by minute), then the reconciler runs again.
    await hub.cloud.skip(COPY_PENDING_TIMEOUT_MS);
    await run(hub, 30);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'failed' });
    expect(point!.failureReason).toMatch(/^CopyTimedOut: vault copy snap-\w+ still pending \d+ h after it was requested \(limit 24 h\)/);
    expect((await auditEntries(hub)).filter((e) => e.decision === 'failed').map((e) => e.reason)).toEqual([point!.failureReason]);
    expect(alerts).toContain('copy failed');
  });
  it("a vault copy that fails in AWS is marked failed with EC2's reason, and alerted", async () => {
    const alerts: string[] = [];
    hub = await deployTestHub();
    const logger = hub.context.logger;
    logger.error = ((message: string) => void alerts.push(message)) as typeof logger.error;
    // A source admin narrowed the share key policy: EC2 accepts the vault's copy, then fails it.
    const alias = hub.kms.aliases(SOURCE_A, REGION).find((a) => a.name === hub.config.shareKeyAlias)!;
    const shareKey = hub.kms.key(alias.targetKeyArn)!;
    const adminOnly = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SOURCE_A}:root` }, Action: 'kms:*', Resource: '*' }],
    };
    hub.kms.putKeyPolicy(shareKey, JSON.stringify(adminOnly), { account: SOURCE_A, arn: `arn:aws:iam::${SOURCE_A}:root` });
    const volume = hub.ec2.createVolume(SOURCE_A, REGION, { encryption: 'cmk', kmsKeyArn: shareKey.arn });
    hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: volume.id });
    await run(hub, 30);
    const [point] = await points(hub, SOURCE_A);
    const [copy] = vaultSnapshots(hub);
    expect(copy).toMatchObject({ state: 'error' });
    expect(point).toMatchObject({ state: 'failed', vaultCopyId: copy!.id });
    expect(point!.failureReason).toContain(copy!.stateMessage!);
    expect((await auditEntries(hub)).filter((e) => e.decision === 'failed').map((e) => e.reason)).toEqual([point!.failureReason]);
    expect(alerts).toContain('copy failed');
  });
});

describe('a re-encrypting copy in the source that ends in error', () => {
  it('fails the point with the reason at once (no dead letter) and deletes the errored intermediate', async () => {
    hub = await deployTestHub();
    // A source admin denied the reader encryption under the share key: its re-encrypting copy is accepted, then fails.
    const alias = hub.kms.aliases(SOURCE_A, REGION).find((a) => a.name === hub.config.shareKeyAlias)!;
    const shareKey = hub.kms.key(alias.targetKeyArn)!;
    const readerDenied = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${SOURCE_A}:root` }, Action: 'kms:*', Resource: '*' },
        {
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${SOURCE_A}:role/${hub.config.readerRoleName}-ebs-snapshot` },
          Action: ['kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext'],
          Resource: '*',
        },
      ],
    };
    hub.kms.putKeyPolicy(shareKey, JSON.stringify(readerDenied), { account: SOURCE_A, arn: `arn:aws:iam::${SOURCE_A}:root` });
    const source = snapshotOf(hub, SOURCE_A, 'aws-managed');
    await run(hub, 30);

    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ sourceId: source.id, state: 'failed' });
    expect(point!.failureReason).toMatch(/^CopyFailedInAws: re-encrypted copy snap-\w+ failed: Given key ID is not accessible/);
    expect(hub.ec2.snapshots({ account: SOURCE_A }).map((s) => s.id)).toEqual([source.id]);
    expect((await auditEntries(hub)).filter((e) => e.decision === 'cleaned').map((e) => e.reason)).toEqual([
      `deleted the intermediate copy ${point!.intermediateId} (the point failed)`,
    ]);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(0);
    expect(vaultSnapshots(hub)).toEqual([]);
  });
});

describe('a source lost while its vault copy is in flight', () => {
  it('the vault copy still counts: available, with the cleanup the lost source could not do recorded', async () => {
    hub = await deployTestHub();
    const source = snapshotOf(hub, SOURCE_A, 'aws-managed');
    await run(hub, 25); // re-encrypted in the source; the vault copy (20 minutes) has started
    const [copying] = await points(hub, SOURCE_A);
    expect(copying).toMatchObject({ sourceId: source.id, stage: 'copying' });
    hub.loseAccount(SOURCE_A);
    await run(hub, 30);
    const [point] = await points(hub, SOURCE_A);
    expect(point).toMatchObject({ state: 'available', vaultCopyId: copying!.vaultCopyId });
    expect(hub.ec2.snapshot(VAULT, REGION, copying!.vaultCopyId!)).toMatchObject({ state: 'completed' });
    const [completed] = (await auditEntries(hub)).filter((e) => e.decision === 'completed');
    expect(completed!.reason).toMatch(new RegExp(`could not clean up in ${SOURCE_A}/${REGION}.*${copying!.intermediateId}`));
  });
});

describe('security on every path: rejected with the reason, no copy', () => {
  it('an event whose snapshot ARN names another region than the event', async () => {
    hub = await deployTestHub();
    const source = snapshotOf(hub, SOURCE_A, 'none', { emit: false });
    await run(hub, 1);
    const event = ebsEvent(SOURCE_A, source.id, { id: 'elsewhere' });
    event.detail = { ...event.detail, snapshot_id: `arn:aws:ec2::eu-central-1:snapshot/${source.id}` };
    hub.forward(event, SOURCE_A);
    await run(hub, 30);
    const [entry] = (await auditEntries(hub)).filter((e) => e.eventId === 'elsewhere');
    expect(entry).toMatchObject({ decision: 'rejected', account: SOURCE_A });
    expect(entry!.reason).toMatch(/^region-mismatch: event from region eu-west-1 names snapshot snap-\w+ in eu-central-1/);
    expect(vaultSnapshots(hub)).toHaveLength(0);
  });

  it('an event from an account whose reader role does not trust the vault', async () => {
    hub = await deployTestHub();
    const readerArn = `arn:aws:iam::${SOURCE_B}:role/${hub.config.readerRoleName}-ebs-snapshot`;
    const reader = hub.cloud.iam.role(readerArn)!;
    hub.cloud.iam.putRole({ ...reader, trustPolicy: { Version: '2012-10-17', Statement: [] } });
    const source = snapshotOf(hub, SOURCE_B, 'none', { emit: false });
    await run(hub, 1);
    hub.forward(ebsEvent(SOURCE_B, source.id, { id: 'untrusted' }), SOURCE_B);
    await run(hub, 30);
    const [entry] = (await auditEntries(hub)).filter((e) => e.eventId === 'untrusted');
    expect(entry).toMatchObject({ decision: 'rejected', account: SOURCE_B });
    expect(entry!.reason).toMatch(new RegExp(`^reader-role-denied: cannot assume ${readerArn}`));
    expect(vaultSnapshots(hub)).toHaveLength(0);
    expect(hub.sqs.depth(hub.queues['ebs-snapshot']!.dlqArn)).toBe(0);
  });

  it('an event in an allowed account but from a region it is not allowed in', async () => {
    hub = await deployTestHub({
      sources: [
        { account: SOURCE_A, regions: [REGION] },
        { account: SOURCE_B, regions: [REGION] },
      ],
    });
    hub.forward(ebsEvent(SOURCE_A, 'snap-0123456789abcdef0', { id: 'wrong-region', region: 'us-east-1' }), SOURCE_A);
    await run(hub, 5);
    const [entry] = (await auditEntries(hub)).filter((e) => e.eventId === 'wrong-region');
    expect(entry).toMatchObject({ decision: 'rejected' });
    expect(entry!.reason).toMatch(/^region-not-allowed: region us-east-1 is not allowed for account 111111111111/);
    expect(vaultSnapshots(hub)).toHaveLength(0);
  });
});

describe('EC2 Describe calls that miss what was just made (eventual consistency)', () => {
  it('an event that arrives before its snapshot shows in DescribeSnapshots is looked at again, not rejected', async () => {
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 0, copyDurationMs: () => 20 * 60_000, describeLagMs: 2 * 60_000 } });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ sourceId: source.id, state: 'available' }]);
  });

  it('a vault copy not yet visible to the reconciler stays pending, and becomes available', async () => {
    hub = await deployTestHub({ ec2: { snapshotDurationMs: 10 * 60_000, copyDurationMs: () => 20 * 60_000, describeLagMs: 6 * 60_000 } });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 60);
    expect(await points(hub, SOURCE_A)).toMatchObject([{ sourceId: source.id, state: 'available' }]);
    expect(vaultSnapshots(hub)).toHaveLength(1);
  });

  // With the catalog's indexes lagging too, the reconciler's reads of open work miss the point the crash left.
  it.each([{ indexLagMs: 0 }, { indexLagMs: 15 * 60_000 }])(
    'a crash after CopySnapshot is resumed without a second copy, even while the copy is not visible yet (index lag $indexLagMs ms)',
    async ({ indexLagMs }) => {
      // Longer than the queue's visibility timeout (12 minutes): the redelivered message resumes the point before the copy shows.
      hub = await deployTestHub({
        ec2: { snapshotDurationMs: 15 * 60_000, copyDurationMs: () => 20 * 60_000, describeLagMs: 13 * 60_000 },
        indexLagMs,
      });
      const crashed = crashAfterCopyRequest(hub);
      const source = snapshotOf(hub, SOURCE_A, 'none');
      await run(hub, 120);
      expect(crashed()).toBe(true);
      expect(vaultCopyCalls(hub)).toHaveLength(1);
      expect(vaultSnapshots(hub)).toHaveLength(1);
      expect(await points(hub, SOURCE_A)).toMatchObject([
        { sourceId: source.id, state: 'available', vaultCopyId: vaultSnapshots(hub)[0]!.id },
      ]);
    },
  );
});

describe('a failure whose source cleanup cannot finish at once', () => {
  it('stays listed as residue until the reconciler has taken the share back', async () => {
    hub = await deployTestHub();
    hub.cloud.faults.add({ service: 'ec2', operation: 'CopySnapshot', error: 'UnauthorizedOperation', times: 1000, account: VAULT });
    const source = snapshotOf(hub, SOURCE_A, 'none');
    await run(hub, 30);
    const [failed] = await points(hub, SOURCE_A);
    expect(failed).toMatchObject({ state: 'failed' });
    expect(failed!.residue).toBeUndefined();
    // As if the source's EC2 had been down when the failure was recorded: the share is still there, the point listed as residue.
    source.sharedWith.add(VAULT);
    await hub.context.catalog.update(failed!, { residue: true });
    await run(hub, RECONCILER.everyMinutes); // one reconciler run
    expect([...source.sharedWith]).toEqual([]);
    expect((await hub.context.catalog.get(failed!.pk))!.residue).toBeUndefined();
    expect((await auditEntries(hub)).filter((e) => e.decision === 'cleaned')).toHaveLength(2);
  });
});
