import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pascal } from '../../accounts/stack/policies.js';
import { type AccountsConfig, loadAccounts, parseAccounts } from '../../shared/config/accounts.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { type Decision, decide, type IamRequest, rolePolicies, trustPolicy } from './iam-evaluation.js';
import { keyArn, resolved } from './resolve.js';
import { type Json, renderAccount, type Template } from './stack.js';

/**
 * The scoping of the rendered policies, judged by AWS's evaluation logic (@cloud-copilot/iam-simulate)
 * for the request each call makes: allowed for a source of the account files, refused for an
 * account outside them. No policy here lists the sources: organization, aliases, tags and trust
 * policies do the scoping.
 */
const accounts = loadAccounts();
const vault = accounts.vault;
const VAULT = vault.id;
const REGION = vault.regions[0]!;
const ORG = vault.organizationId!;
/** An account no account file names, in another organization. */
const OUTSIDER = '555555555555';
const OTHER_ORG = 'o-0th3r0rg00';
const SOURCE_A = accounts.account('source-a').id;
const SOURCE_B = accounts.account('source-b').id;
const RECOVERY = accounts.recovery[0]!.id;

const vaultTemplate = renderAccount('vault', { accounts });
const sourceA = renderAccount('source-a', { accounts });
const sourceB = renderAccount('source-b', { accounts, region: 'eu-central-1' });
const inVault = { account: VAULT, region: REGION };
const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
const vaultRole = (name: string) => roleArn(VAULT, name);

/** What the other side of a cross-account request allows: a share, a trust or a key policy that admits the caller's account. */
const admits = (account: string): Json => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: '*', Resource: '*' }],
});

/** The condition keys AWS puts in every request of a role session of the vault. */
const fromVaultRole = (name: string, extra: Record<string, string | string[]> = {}) => ({
  'aws:PrincipalArn': vaultRole(name),
  'aws:PrincipalAccount': VAULT,
  'aws:PrincipalOrgID': ORG,
  ...extra,
});

/** A request of one of the vault's roles, judged with that role's rendered inline policies. */
function asVaultRole(logicalId: string, name: string, template: Template = vaultTemplate) {
  const identity = rolePolicies(template, logicalId, inVault);
  return (request: Omit<IamRequest, 'principal'>, resource?: Json): Promise<Decision> =>
    decide(
      { ...request, principal: vaultRole(name), context: fromVaultRole(name, request.context) },
      { identity, ...(resource ? { resource } : {}) },
    );
}

const ebsRole = asVaultRole('EbsSnapshotRole', 'backup-hub-ebs-snapshot');

describe("a kind's vault role reaches into the sources, and into no account outside the account files", () => {
  const readerOf = (kind: string, template: Template, account: string) => ({
    arn: roleArn(account, `backup-hub-reader-${kind}`),
    trust: trustPolicy(template, `${pascal(kind)}ReaderRole`, { account, region: REGION }),
  });
  const assume = (role: { arn: string; trust: Json }, account: string, org: string, extra: Record<string, string> = {}) =>
    ebsRole(
      {
        action: 'sts:AssumeRole',
        resource: role.arn,
        resourceAccount: account,
        context: { 'aws:ResourceOrgID': org, 'sts:ExternalId': vault.externalId, ...extra },
      },
      role.trust,
    );
  const identity = { 'sts:SourceIdentity': 'backup-hub-prod-ebs-snapshot' };

  it("assumes its own kind's reader role in a source, with the ExternalId and its function as source identity", async () => {
    expect(await assume(readerOf('ebs-snapshot', sourceA, SOURCE_A), SOURCE_A, ORG, identity)).toBe('Allowed');
    // No source identity: CloudTrail could not tell which function acted.
    expect(await assume(readerOf('ebs-snapshot', sourceA, SOURCE_A), SOURCE_A, ORG)).toBe('ImplicitlyDenied');
  });

  it("cannot assume another kind's reader: the EBS handler cannot read a parameter", async () => {
    expect(await assume(readerOf('ssm-parameter', sourceA, SOURCE_A), SOURCE_A, ORG, identity)).toBe('ImplicitlyDenied');
  });

  it('cannot assume a reader role outside the organization, even one whose trust admits the vault', async () => {
    const trap = { arn: roleArn(OUTSIDER, 'backup-hub-reader-ebs-snapshot'), trust: admits(VAULT) };
    expect(await assume(trap, OUTSIDER, OTHER_ORG, identity)).toBe('ImplicitlyDenied');
  });

  it('copies a snapshot a source shared from any of its regions into the vault, and none shared from outside', async () => {
    const copy = (account: string, org: string) =>
      ebsRole(
        {
          action: 'ec2:CopySnapshot',
          resource: 'arn:aws:ec2:eu-central-1::snapshot/snap-0123456789abcdef0',
          resourceAccount: account,
          context: {
            'aws:ResourceOrgID': org,
            'aws:RequestedRegion': REGION,
            [`aws:RequestTag/${TAG.sourceId}`]: 'snap-0123456789abcdef0',
            'aws:TagKeys': [TAG.sourceId],
          },
        },
        admits(VAULT),
      );
    expect(await copy(SOURCE_B, ORG)).toBe('Allowed');
    expect(await copy(OUTSIDER, OTHER_ORG)).toBe('ImplicitlyDenied');
  });

  it("decrypts through EC2 under a source's share key only: its key policy and the role's IAM agree; no key outside", async () => {
    const shareKey = keyArn(SOURCE_B, 'eu-central-1', 'ShareKey');
    const shareKeyPolicy = resolved(sourceB, { account: SOURCE_B, region: 'eu-central-1' })(
      sourceB.Resources.ShareKey!.Properties!.KeyPolicy!,
    );
    const decrypt = (key: string, account: string, org: string, aliases: string[], policy: Json) =>
      ebsRole(
        {
          action: 'kms:Decrypt',
          resource: key,
          resourceAccount: account,
          context: { 'aws:ResourceOrgID': org, 'kms:ResourceAliases': aliases, 'kms:ViaService': `ec2.${REGION}.amazonaws.com` },
        },
        policy,
      );
    expect(await decrypt(shareKey, SOURCE_B, ORG, ['alias/backup-hub-share'], shareKeyPolicy)).toBe('Allowed');
    expect(await decrypt(shareKey, SOURCE_B, ORG, ['alias/app-data'], admits(VAULT))).toBe('ImplicitlyDenied');
    const elsewhere = `arn:aws:kms:eu-central-1:${OUTSIDER}:key/0123abcd-0123-0123-0123-0123456789ab`;
    expect(await decrypt(elsewhere, OUTSIDER, OTHER_ORG, ['alias/backup-hub-share'], admits(VAULT))).toBe('ImplicitlyDenied');
  });

  it('copies a DB snapshot a source shared, and none shared from outside the organization', async () => {
    const rdsRole = asVaultRole('RdsSnapshotRole', 'backup-hub-rds-snapshot');
    const copy = (account: string, org: string) =>
      rdsRole(
        {
          action: 'rds:CopyDBSnapshot',
          resource: `arn:aws:rds:eu-central-1:${account}:snapshot:backup-hub-share-0123`,
          resourceAccount: account,
          context: {
            'aws:ResourceOrgID': org,
            [`aws:RequestTag/${TAG.sourceId}`]: 'rds:orders-2026',
            'aws:TagKeys': [TAG.sourceId],
          },
        },
        admits(VAULT),
      );
    expect(await copy(SOURCE_B, ORG)).toBe('Allowed');
    expect(await copy(OUTSIDER, OTHER_ORG)).toBe('ImplicitlyDenied');
  });
});

describe('the SSM reader reads only what the account file opts in, and decrypts only under aws/ssm or a listed key', () => {
  /** A request of a source's SSM reader role in its own account (the account's key policies delegate to IAM). */
  const asReader = (template: Template, account: string) => {
    const identity = rolePolicies(template, 'SsmParameterReaderRole', { account, region: REGION });
    return (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      decide(
        { principal: roleArn(account, 'backup-hub-reader-ssm-parameter'), action, resource, resourceAccount: account, context },
        { identity, resource: admits(account) },
      );
  };
  const readerA = asReader(sourceA, SOURCE_A);
  const parameter = (account: string, name: string) => `arn:aws:ssm:${REGION}:${account}:parameter/${name}`;

  it('source-a lists /orders/: it reads a parameter there and none elsewhere', async () => {
    expect(await readerA('ssm:GetParameter', parameter(SOURCE_A, 'orders/db/password'))).toBe('Allowed');
    expect(await readerA('ssm:GetParameterHistory', parameter(SOURCE_A, 'orders/db/password'))).toBe('Allowed');
    expect(await readerA('ssm:GetParameter', parameter(SOURCE_A, 'payroll/db/password'))).toBe('ImplicitlyDenied');
  });

  it('source-b opts in tagged parameters too: one tagged backup-hub:protect=true, wherever it is', async () => {
    const readerB = asReader(renderAccount('source-b', { accounts }), SOURCE_B);
    const tagged = { [`aws:ResourceTag/${TAG.protect}`]: 'true' };
    expect(await readerB('ssm:GetParameter', parameter(SOURCE_B, 'payroll/key'), tagged)).toBe('Allowed');
    expect(await readerB('ssm:GetParameter', parameter(SOURCE_B, 'payroll/key'))).toBe('ImplicitlyDenied');
  });

  it('decrypts a SecureString through SSM under aws/ssm, and not under an unlisted key or outside SSM', async () => {
    const key = `arn:aws:kms:${REGION}:${SOURCE_A}:key/0123abcd-0123-0123-0123-0123456789ab`;
    const decrypt = (aliases: string[], via: string) =>
      readerA('kms:Decrypt', key, { 'kms:ResourceAliases': aliases, 'kms:ViaService': `${via}.${REGION}.amazonaws.com` });
    expect(await decrypt(['alias/aws/ssm'], 'ssm')).toBe('Allowed');
    expect(await decrypt(['alias/payroll'], 'ssm')).toBe('ImplicitlyDenied');
    expect(await decrypt(['alias/aws/ssm'], 'ec2')).toBe('ImplicitlyDenied');
  });
});

describe('the catalog and the audit log', () => {
  const catalog = `arn:aws:dynamodb:${REGION}:${VAULT}:table/backup-hub-catalog`;
  const audit = `arn:aws:dynamodb:${REGION}:${VAULT}:table/backup-hub-audit`;
  const write = (role: ReturnType<typeof asVaultRole>, action: string, table: string, leadingKey: string, attributes: string[]) =>
    role({
      action,
      resource: table,
      resourceAccount: VAULT,
      context: { 'dynamodb:LeadingKeys': [leadingKey], 'dynamodb:Attributes': attributes },
    });
  const point = 'ART#ebs-snapshot#111111111111#eu-west-1#snap-0123456789abcdef0';
  const pruner = asVaultRole('PrunerRole', 'backup-hub-pruner');
  const legalHold = asVaultRole('LegalHoldRole', 'backup-hub-legal-hold');
  const reconciler = asVaultRole('ReconcilerRole', 'backup-hub-reconciler');

  it('lets the handlers update points, and only the pruner record the vault lock, which no role changes or deletes', async () => {
    const lockRecord = ['chain', 'seq', 'since'];
    expect(await write(ebsRole, 'dynamodb:UpdateItem', catalog, point, ['stage', 'updatedAt'])).toBe('Allowed');
    for (const role of [ebsRole, reconciler, legalHold])
      expect(await write(role, 'dynamodb:PartiQLInsert', audit, 'LOCK#vault', lockRecord)).toBe('ImplicitlyDenied');
    expect(await write(pruner, 'dynamodb:PartiQLInsert', audit, 'LOCK#vault', lockRecord)).toBe('Allowed');
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      expect(await write(pruner, action, audit, 'LOCK#vault', lockRecord)).toBe('ExplicitlyDenied');
  });

  it('lets only the legal hold role record a hold or its lifting, and no role erase either', async () => {
    const hold = `HOLD#${point}`;
    const holdRecord = ['chain', 'seq', 'action', 'by', 'at'];
    expect(await write(legalHold, 'dynamodb:PartiQLInsert', audit, hold, holdRecord)).toBe('Allowed');
    for (const role of [ebsRole, reconciler, pruner])
      expect(await write(role, 'dynamodb:PartiQLInsert', audit, hold, holdRecord)).toBe('ImplicitlyDenied');
    for (const role of [legalHold, pruner]) expect(await write(role, 'dynamodb:DeleteItem', audit, hold, [])).toBe('ExplicitlyDenied');
  });

  it('lets only the legal hold role set or lift a hold; no handler may put a whole point over one', async () => {
    for (const role of [ebsRole, reconciler, pruner])
      expect(await write(role, 'dynamodb:UpdateItem', catalog, point, ['legalHold'])).toBe('ExplicitlyDenied');
    expect(await write(legalHold, 'dynamodb:UpdateItem', catalog, point, ['legalHold'])).toBe('Allowed');
    expect(await write(ebsRole, 'dynamodb:PutItem', catalog, point, ['pk', 'stage'])).toBe('ImplicitlyDenied');
  });

  it('lets every role add an audit entry, by an insert that never overwrites, and none put, change or delete one', async () => {
    for (const role of [ebsRole, reconciler, pruner, legalHold]) {
      expect(await write(role, 'dynamodb:PartiQLInsert', audit, 'audit', ['chain', 'seq'])).toBe('Allowed');
      expect(await write(role, 'dynamodb:PutItem', audit, 'audit', ['chain', 'seq'])).toBe('ExplicitlyDenied');
      expect(await write(role, 'dynamodb:UpdateItem', audit, 'audit', ['reason'])).not.toBe('Allowed');
      expect(await write(role, 'dynamodb:DeleteItem', audit, 'audit', [])).not.toBe('Allowed');
    }
  });
});

describe("the operators' roles trust the principals the vault file names", () => {
  /** A principal of the vault assuming a role of its own account: its own policy allows it, the role's trust decides. */
  const assume = (template: Template, logicalId: string, principal: string, context: Record<string, string> = {}) =>
    decide(
      {
        principal,
        action: 'sts:AssumeRole',
        resource: vaultRole(String(template.Resources[logicalId]!.Properties!.RoleName)),
        resourceAccount: VAULT,
        context: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': VAULT, ...context },
      },
      {
        identity: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }],
        resource: trustPolicy(template, logicalId, inVault),
      },
    );
  const sso = (permissionSet: string) =>
    `arn:aws:iam::${VAULT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_${permissionSet}_0123456789abcdef`;

  it('lets the restore and legal hold permission sets assume their role, and no other principal of the vault', async () => {
    expect(await assume(vaultTemplate, 'RestoreRole', sso('BackupHubRestore'))).toBe('Allowed');
    expect(await assume(vaultTemplate, 'RestoreRole', sso('BackupHubLegalHold'))).toBe('ImplicitlyDenied');
    expect(await assume(vaultTemplate, 'LegalHoldRole', sso('BackupHubLegalHold'))).toBe('Allowed');
    expect(await assume(vaultTemplate, 'LegalHoldRole', vaultRole('developer'))).toBe('ImplicitlyDenied');
  });

  it('with mfa: true, only in a session signed in with MFA', async () => {
    const withMfa = renderAccount('vault', { accounts: withVaultFile(accounts, (text) => text.replace('mfa: false', 'mfa: true')) });
    expect(await assume(withMfa, 'RestoreRole', sso('BackupHubRestore'), { 'aws:MultiFactorAuthPresent': 'true' })).toBe('Allowed');
    expect(await assume(withMfa, 'RestoreRole', sso('BackupHubRestore'), { 'aws:MultiFactorAuthPresent': 'false' })).toBe(
      'ImplicitlyDenied',
    );
  });

  it('shares a restore copy only with the recovery account its tag names, whatever the number of recovery accounts', async () => {
    const restore = asVaultRole('RestoreRole', 'backup-hub-restore');
    const share = (account: string) =>
      restore({
        action: 'ec2:ModifySnapshotAttribute',
        resource: `arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`,
        resourceAccount: VAULT,
        context: { 'ec2:Add/userId': account, [`aws:ResourceTag/${TAG.restoreFor}`]: RECOVERY },
      });
    expect(await share(RECOVERY)).toBe('Allowed');
    expect(await share(OUTSIDER)).toBe('ImplicitlyDenied');
  });
});

describe("the restore role's grants reach the vault and restore keys only", () => {
  const restore = asVaultRole('RestoreRole', 'backup-hub-restore');
  // Judged against a key policy that leaves the key to the account's IAM, as a key's default policy does.
  const grant = (aliases: string[], service: 'ec2' | 'rds') =>
    restore(
      {
        action: 'kms:CreateGrant',
        resource: `arn:aws:kms:${REGION}:${VAULT}:key/0123abcd-0123-0123-0123-0123456789ab`,
        resourceAccount: VAULT,
        context: {
          'kms:ResourceAliases': aliases,
          'kms:GrantIsForAWSResource': 'true',
          'kms:ViaService': `${service}.${REGION}.amazonaws.com`,
        },
      },
      admits(VAULT),
    );

  it('lets EC2 and RDS use the vault key and a restore key for a restore copy, and no other key of the vault account', async () => {
    for (const service of ['ec2', 'rds'] as const) {
      expect(await grant(['alias/backup-hub-vault'], service), `${service} vault`).toBe('Allowed');
      expect(await grant([`alias/backup-hub-restore-${RECOVERY}`], service), `${service} restore`).toBe('Allowed');
      expect(await grant(['alias/payroll'], service), service).toBe('ImplicitlyDenied');
      expect(await grant([], service), service).toBe('ImplicitlyDenied');
    }
  });
});

describe('the reconciler acts for a kind through that kind’s role only', () => {
  const reconciler = asVaultRole('ReconcilerRole', 'backup-hub-reconciler');
  const kindTrust = trustPolicy(vaultTemplate, 'EbsSnapshotRole', inVault);
  const identity = { 'sts:SourceIdentity': 'backup-hub-prod-reconciler' };

  it('assumes the kind role, which trusts it with a source identity, and makes no kind call with its own role', async () => {
    const assume = { action: 'sts:AssumeRole', resource: vaultRole('backup-hub-ebs-snapshot'), resourceAccount: VAULT, context: identity };
    expect(await reconciler(assume, kindTrust)).toBe('Allowed');
    const pruner = asVaultRole('PrunerRole', 'backup-hub-pruner');
    expect(await pruner(assume, kindTrust)).toBe('ImplicitlyDenied');
    expect(
      await reconciler({
        action: 'ec2:CopySnapshot',
        resource: `arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`,
        resourceAccount: VAULT,
        context: { [`aws:RequestTag/${TAG.sourceId}`]: 'snap-1', 'aws:TagKeys': [TAG.sourceId] },
      }),
    ).toBe('ImplicitlyDenied');
  });
});

/** The account files with the vault file changed. */
function withVaultFile(config: AccountsConfig, change: (text: string) => string): AccountsConfig {
  const files = readdirSync(config.dir).filter((f) => f.endsWith('.yml'));
  return parseAccounts(
    files.map((file) => {
      const text = readFileSync(join(config.dir, file), 'utf8');
      return { file, text: file === vault.file ? change(text) : text };
    }),
  );
}
