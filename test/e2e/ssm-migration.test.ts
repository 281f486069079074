import { Logger } from '@aws-lambda-powertools/logger';
import { roleArn, rootArn } from '@backup-hub/aws-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { RECONCILER, ssmStoreBucket } from '../../accounts/stack/names.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { recoveryPointKey, resourceKey } from '../../shared/catalog/recovery-point.js';
import { applyRestore } from '../../shared/restore/apply-restore.js';
import { planRestore } from '../../shared/restore/restore-plan.js';
import { restoreTarget } from '../../shared/restore/restore-target.js';
import { captureOutput } from '../capture-output.js';
import { auditEntries, deployTestHub, points, REGION, run, SOURCE_A, VAULT } from './hub-harness.js';

const RECOVERY = '444444444444';
const NAME = '/app/legacy';
const VAULT_NAME = `/backup-hub/${SOURCE_A}/${REGION}${NAME}`;

let hub: LocalHub;
afterEach(() => hub?.close());

/**
 * The vault as an earlier release left it: every source version a version of one vault parameter
 * (which kept only the newest 100), and a catalog point per source version naming its vault version.
 */
async function legacyVault(sourceVersions: number): Promise<void> {
  const key = hub.kms.key(hub.config.vaultKeyArn)!;
  const policy = key.policyText;
  // The earlier release's key policy let the vault encrypt parameters through SSM.
  const earlier = JSON.parse(policy) as { Statement: object[] };
  earlier.Statement.push({ Effect: 'Allow', Principal: { AWS: rootArn(VAULT) }, Action: 'kms:Encrypt', Resource: '*' });
  key.setPolicy(JSON.stringify(earlier));
  for (let v = 1; v <= sourceVersions; v++) {
    hub.ssm.putParameter(SOURCE_A, REGION, { name: NAME, value: `value-${v}`, type: 'SecureString', overwrite: true }, { emit: false });
    const source = hub.ssm.parameter(SOURCE_A, REGION, NAME)!.latest();
    const written = hub.ssm.putParameter(VAULT, REGION, {
      name: VAULT_NAME,
      value: `value-${v}`,
      type: 'SecureString',
      keyId: key.arn,
      description: `backup-hub: source version ${v}`,
      overwrite: true,
    });
    const at = source.lastModified.toISOString();
    await hub.context.catalog.claim({
      pk: recoveryPointKey('ssm-parameter', SOURCE_A, REGION, `${NAME}:${v}`),
      kind: 'ssm-parameter',
      account: SOURCE_A,
      region: REGION,
      sourceId: `${NAME}:${v}`,
      resourceId: NAME,
      resourcePk: resourceKey('ssm-parameter', SOURCE_A, REGION, NAME),
      createdAt: at,
      recordedAt: at,
      updatedAt: at,
      completedAt: at,
      state: 'available',
      stage: 'done',
      sourceEncryption: 'aws-managed',
      vaultCopyId: `${VAULT_NAME}:${written.version}`,
      vaultKeyArn: key.arn,
      eventId: `legacy-${v}`,
      tags: { 'ssm:type': 'SecureString', 'ssm:tier': 'Standard', 'ssm:data-type': 'text', 'ssm:version': String(v) },
    });
    hub.cloud.clock.advance(1000);
  }
  key.setPolicy(policy);
}

const pointOf = async (version: number) => (await points(hub, SOURCE_A)).find((p) => p.sourceId === `${NAME}:${version}`)!;

describe('the SSM store migration (a step of the reconciler)', () => {
  it('moves every version the legacy vault parameter still holds into the store, once, and records the ones it had dropped as lost', async () => {
    const log = await captureOutput(async () => {
      hub = await deployTestHub({
        recovery: [{ account: RECOVERY }],
        logger: new Logger({ serviceName: 'backup-hub', logLevel: 'ERROR' }),
      });
      await legacyVault(101); // the vault parameter dropped source version 1 at its 101st version
      await run(hub, RECONCILER.everyMinutes + 1); // the reconciler's first run
    });

    const life = (await pointOf(1)).createdAt; // the legacy points' life: their version 1's time
    const moved = await pointOf(101);
    const stored = hub.s3.bucket(ssmStoreBucket(VAULT, REGION))!.listVersions(`${SOURCE_A}/${REGION}${NAME}/`);
    expect(stored).toHaveLength(100);
    expect(moved).toMatchObject({
      state: 'available',
      life,
      vaultCopyId: expect.stringMatching(
        new RegExp(`^s3://${ssmStoreBucket(VAULT, REGION)}/${SOURCE_A}/${REGION}${NAME}/${life}/101\\?versionId=`),
      ),
    });
    expect(await pointOf(1)).toMatchObject({
      state: 'failed',
      failureReason: expect.stringMatching(/^lost: the vault parameter .*:1 no longer held this version .* keeps the newest 100/),
    });
    expect(log).toContain('vault copy lost');
    const entries = await auditEntries(hub);
    expect(entries.filter((e) => e.decision === 'migrated')).toHaveLength(100);

    // Done: later runs list no parameter again; an event for the parameter finds nothing new to copy.
    const described = () => hub.cloud.calls.filter((c) => c.action === 'DescribeParameters').length;
    const before = described();
    hub.ssm.putParameter(SOURCE_A, REGION, { name: NAME, value: 'value-102', type: 'SecureString', overwrite: true });
    await run(hub, 11);
    expect(described()).toBe(before);
    expect((await pointOf(102)).life).toBe(life);
    expect(hub.s3.bucket(ssmStoreBucket(VAULT, REGION))!.listVersions(`${SOURCE_A}/${REGION}${NAME}/`)).toHaveLength(101);

    // A migrated point restores from the store.
    const plan = await planRestore(
      { point: moved.pk },
      await restoreTarget(
        RECOVERY,
        { recoveryRole: 'backup-hub-recovery', restoreKeyAliasPrefix: 'alias/backup-hub-restore-' },
        hub.restoreContext,
      ),
      hub.restoreContext,
    );
    const result = await applyRestore(plan, hub.restoreContext, { wait: async () => {}, log: () => {} });
    expect(result.artifacts[0]).toMatchObject({ status: 'usable' });
    const restored = hub.ssm.parameter(RECOVERY, REGION, NAME)!;
    expect(hub.ssm.valueOf(restored, restored.latest(), { account: RECOVERY, arn: rootArn(RECOVERY) }, true)).toBe('value-101');
    expect(hub.cloud.calls.filter((c) => c.action === 'GetObject').map((c) => c.principal)).toEqual([roleArn(VAULT, 'backup-hub-restore')]);
  });

  it('costs a vault with nothing to migrate one listing, once', async () => {
    hub = await deployTestHub();
    await run(hub, 20); // four reconciler runs
    expect(hub.cloud.calls.filter((c) => c.action === 'DescribeParameters')).toHaveLength(1);
  });
});
