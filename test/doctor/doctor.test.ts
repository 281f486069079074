import { roleArn } from '@backup-hub/aws-sim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NAMES, readerRoleName } from '../../accounts/stack/names.js';
import { run as doctor } from '../../cli/doctor.js';
import { simDoctorAccess } from '../../drill/doctor-access.js';
import { deployLocalHub, LOCAL_STAGE, type LocalHub } from '../../drill/local-hub.js';
import { AwsClients } from '../../shared/aws/clients.js';
import type { AccountsConfig, VaultAccount } from '../../shared/config/accounts.js';
import { assumedVaultRole } from '../../shared/doctor/aws-access.js';
import type { Finding } from '../../shared/doctor/finding.js';
import { REGION, SOURCE_A, VAULT } from '../e2e/hub-harness.js';

const RECOVERY = '444444444444';

let hub: LocalHub;
beforeEach(async () => {
  hub = await deployLocalHub({
    vault: { account: VAULT, region: REGION },
    sources: [{ account: SOURCE_A, regions: [REGION] }],
    recovery: [{ account: RECOVERY }],
  });
});
afterEach(() => hub.close());

/** `backup-hub doctor --format json` on the simulated deployment, with these account files (the deployed ones by default). */
async function runDoctor(accounts: AccountsConfig = hub.accounts, args: string[] = [], access = simDoctorAccess(hub.cloud)) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await doctor(['--stage', LOCAL_STAGE, '--format', 'json', ...args], {
    accounts: () => accounts,
    access: () => access,
    print: (line) => out.push(line),
    error: (line) => err.push(line),
  });
  const findings = JSON.parse(out.join('\n') || '[]') as Finding[];
  return { code, findings, failed: findings.filter((f) => !f.ok), err };
}

const source = () => hub.accounts.sources[0]!;

describe('backup-hub doctor on a healthy deployment', () => {
  it('gives every check ✓ and exits 0, and makes no call that creates, changes or deletes anything', async () => {
    const before = hub.cloud.calls.length;
    const { code, findings, failed } = await runDoctor();
    expect(failed).toEqual([]);
    expect(code).toBe(0);
    // Every family of checks ran, in every account.
    for (const check of [
      /^stack /,
      /^rule /,
      /^dead-letter queue /,
      /^the vault bus admits/,
      /assumes backup-hub-reader-/,
      /assumes backup-hub-recovery/,
      /^role /,
      /\(DryRun\)/,
      /^key /,
      /^vault lock/,
      /alarms, none in ALARM/,
    ])
      expect(
        findings.some((f) => check.test(f.check)),
        String(check),
      ).toBe(true);
    expect(new Set(findings.map((f) => f.account))).toEqual(new Set(hub.accounts.all.map((a) => a.name)));

    const calls = hub.cloud.calls.slice(before);
    // Query: the vault lock in force is the longest of its insert-only records.
    const READ_ONLY = /^(Describe\w*|Get\w*|List\w*|Query|SimulatePrincipalPolicy|AssumeRole)$/;
    const changing = calls.filter((c) => !READ_ONLY.test(c.action) && !(c.service === 'ec2' && c.error === 'DryRunOperation'));
    expect(changing.map((c) => `${c.service}:${c.action} (${c.error ?? 'ran'})`)).toEqual([]);
    expect(calls.filter((c) => c.service === 'ec2' && c.action === 'CopySnapshot').length).toBeGreaterThan(0);
  });

  it('checks one account file with --account, and names an unknown one', async () => {
    const { code, findings } = await runDoctor(hub.accounts, ['--account', source().name]);
    expect(code).toBe(0);
    expect(new Set(findings.map((f) => f.account))).toEqual(new Set([source().name]));
    const unknown = await runDoctor(hub.accounts, ['--account', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/no account file named nope/);
  });
});

describe('backup-hub doctor with an operator who may not act as the vault roles', () => {
  it('says the trusts were not tried, and why, instead of blaming the readers', async () => {
    // As on AWS: the operator assumes each vault role, and the kind roles trust their function and the reconciler only.
    const operator = new AwsClients({ defaults: { ...hub.cloud.clientConfig(hub.cloud.adminCredentials(VAULT), REGION) } });
    const { failed } = await runDoctor(hub.accounts, ['--account', source().name], {
      ...simDoctorAccess(hub.cloud),
      vaultRole: (arn) => assumedVaultRole(operator, REGION, arn),
    });
    const trust = failed.filter((f) => /assumes backup-hub-reader-/.test(f.check));
    expect(trust).toHaveLength(5);
    expect(trust[0]).toMatchObject({
      check: expect.stringMatching(/not tried, cannot act as arn:aws:iam::999999999999:role\/backup-hub-ebs-snapshot \(AccessDenied/),
      fix: 'run doctor with vault credentials that may assume backup-hub-ebs-snapshot',
    });
  });
});

describe('backup-hub doctor names each broken deployment with its fix', () => {
  it('a statement missing from a deployed role', async () => {
    const arn = roleArn(SOURCE_A, readerRoleName('ebs-snapshot'));
    const role = hub.cloud.iam.role(arn)!;
    const [name, document] = Object.entries(role.policies)[0]!;
    hub.cloud.iam.putRolePolicy(arn, name, {
      ...document,
      Statement: [document.Statement].flat().filter((s) => s.Sid !== 'ReencryptUnderTheShareKeyAsATaggedCopy'),
    });
    const { code, failed } = await runDoctor();
    expect(code).toBe(1);
    expect(failed).toEqual([
      expect.objectContaining({
        account: source().name,
        check: expect.stringMatching(
          /role backup-hub-reader-ebs-snapshot may not: ec2:CopySnapshot .*ReencryptUnderTheShareKeyAsATaggedCopy/,
        ),
        fix: expect.stringMatching(/redeploy .*npx serverless deploy --stage dev --param="account=/),
      }),
      expect.objectContaining({
        check: expect.stringMatching(/backup-hub-reader-ebs-snapshot re-encrypts a snapshot .*\(DryRun\): UnauthorizedOperation/),
        fix: expect.stringMatching(/lacks its copy statement: redeploy/),
      }),
    ]);
  });

  it('account files with another ExternalId than the deployed one', async () => {
    const { failed } = await runDoctor(withVault(hub.accounts, { externalId: 'backup-hub-another-id' }));
    const trust = failed.filter((f) => /assumes backup-hub-reader-/.test(f.check));
    expect(trust).toHaveLength(5);
    expect(trust[0]).toMatchObject({
      check: expect.stringMatching(/AccessDenied/),
      fix: expect.stringMatching(/externalId of vault.*redeploy/),
    });
    // The stacks were deployed from other account files, and say so.
    expect(failed.some((f) => /^stack .*deployed from other account files/.test(f.check))).toBe(true);
  });

  it('a disabled rule', async () => {
    hub.events.bus(SOURCE_A, REGION, 'default').rule('backup-hub-forward-ami').state = 'DISABLED';
    const { failed } = await runDoctor();
    expect(failed).toEqual([
      expect.objectContaining({
        check: 'rule backup-hub-forward-ami on the default bus: DISABLED',
        fix: expect.stringMatching(/aws events enable-rule --name backup-hub-forward-ami --event-bus-name default --region eu-west-1/),
      }),
    ]);
  });

  it('snapshots under a key whose alias is missing from the account file', async () => {
    const key = hub.kms.createKey(SOURCE_A, REGION, { alias: 'alias/unlisted' });
    const volume = hub.ec2.createVolume(SOURCE_A, REGION, { encryption: 'cmk', kmsKeyArn: key.arn });
    hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: volume.id, emit: false });
    const { failed } = await runDoctor();
    expect(failed).toEqual([
      expect.objectContaining({
        check: expect.stringMatching(/1 snapshot of .* under key .* \(alias\/unlisted\), which customerKeyAliases does not list/),
        fix: expect.stringMatching(/add alias\/unlisted to customerKeyAliases in .*, then redeploy/),
      }),
    ]);
  });

  it('a bus policy without the source', async () => {
    const bus = hub.events.bus(VAULT, REGION, NAMES.bus);
    bus.setPolicy(JSON.parse(JSON.stringify(bus.policy).replaceAll(SOURCE_A, '444444444444')));
    const { failed } = await runDoctor();
    expect(failed).toHaveLength(5);
    expect(failed[0]).toMatchObject({
      check: expect.stringMatching(/the vault bus admits .*'s forwarder \(ebs-snapshot events\): implicitDeny/),
      fix: expect.stringMatching(new RegExp(`add ${SOURCE_A} to allowedSources in .*, then redeploy the vault stack`)),
    });
  });

  it('a message in a dead-letter queue', async () => {
    hub.sqs.queue(hub.queues['ssm-parameter'].dlqArn).send('{"gave":"up"}', {}, VAULT);
    const { failed } = await runDoctor();
    expect(failed).toEqual([
      expect.objectContaining({
        account: 'vault',
        check: 'dead-letter queue backup-hub-ssm-parameter-dlq: 1 message waiting',
        fix: expect.stringMatching(
          /aws sqs start-message-move-task --source-arn arn:aws:sqs:eu-west-1:999999999999:backup-hub-ssm-parameter-dlq/,
        ),
      }),
    ]);
  });
});

/** The account files with the vault's file changed. */
function withVault(accounts: AccountsConfig, change: Partial<VaultAccount>): AccountsConfig {
  const vault = { ...accounts.vault, ...change };
  const all = accounts.all.map((a) => (a === accounts.vault ? vault : a));
  return { ...accounts, vault, all, account: (name) => all.find((a) => a.name === name) ?? accounts.account(name) };
}
