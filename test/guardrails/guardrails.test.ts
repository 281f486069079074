import { type PolicyDocument, type Principal, roleArn, rootArn, SimCloud } from '@backup-hub/aws-sim';
import { describe, expect, it } from 'vitest';
import { CONFIG_PREFIX, kindRoleName, NAMES, ssmStoreBucket } from '../../accounts/stack/names.js';
import { run } from '../../cli/guardrails.js';
import { loadAccounts } from '../../shared/config/accounts.js';
import { GuardrailsUnavailable, guardrails, ORGANIZATION_POLICY_MAX_CHARS } from '../../shared/guardrails/guardrails.js';
import { VAULT_LOCK_KEY } from '../../shared/retention/vault-lock.js';

const accounts = loadAccounts();
const VAULT = accounts.vault.id;
const REGION = accounts.vault.regions[0]!;
const OTHER = '555555555555';
const EVERYTHING: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/**
 * The simulated cloud with the guardrails attached to the vault account, and principals that may do
 * anything IAM can allow: what is refused is refused by the organization policy alone.
 */
function guardedCloud(format: 'scp' | 'rcp') {
  const cloud = new SimCloud();
  // AWS Organizations attaches FullAWSAccess (RCPFullAWSAccess) everywhere by default; the guardrails are attached beside it.
  const fullAccess = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', ...(format === 'rcp' ? { Principal: '*' } : {}), Action: '*', Resource: '*' }],
  };
  const policy = {
    orgIdentifier: 'ou-vault',
    policies: [
      { name: 'FullAWSAccess', document: fullAccess as PolicyDocument },
      { name: `backup-hub-${format}`, document: guardrails(accounts, format) as PolicyDocument },
    ],
  };
  cloud.addAccount({
    id: VAULT,
    orgId: 'o-a1b2c3d4e5',
    controlPolicies: { scps: format === 'scp' ? [policy] : [], rcps: format === 'rcp' ? [policy] : [] },
  });
  cloud.addAccount({ id: OTHER, orgId: 'o-a1b2c3d4e5' });
  const trust: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: rootArn(VAULT) }, Action: 'sts:AssumeRole' }],
  };
  const role = (account: string, name: string): Principal => ({
    account,
    arn: roleArn(account, name),
    // A document of its own: the authorizer keeps parsed policies per document.
    role: cloud.iam.putRole({ account, name, trustPolicy: trust, policies: { everything: structuredClone(EVERYTHING) } }),
  });
  // A key is used as its key policy allows: the default one, which lets the account's IAM decide.
  const keyPolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: rootArn(VAULT) }, Action: 'kms:*', Resource: '*' }],
  };
  const decide = (who: Principal, action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    cloud.authorizer.authorize(
      who,
      {
        action,
        resource,
        resourceAccount: VAULT,
        context,
        ...(action.startsWith('kms:') ? { resourcePolicy: { type: 'key policy' as const, owner: resource, document: keyPolicy } } : {}),
      },
      REGION,
    );
  return {
    decide,
    root: { account: VAULT, arn: rootArn(VAULT) } satisfies Principal,
    admin: role(VAULT, 'vault-admin'),
    outsider: role(OTHER, 'OrganizationAccountAccessRole'),
    pruner: role(VAULT, NAMES.prunerRole),
    copier: role(VAULT, kindRoleName('ebs-snapshot')),
    legalHold: role(VAULT, NAMES.legalHoldRole),
    deploy: role(VAULT, 'backup-hub-deploy'),
    capture: role(VAULT, NAMES.configCaptureRole),
    parameters: role(VAULT, kindRoleName('ssm-parameter')),
  };
}

const snapshot = `arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`;
const key = `arn:aws:kms:${REGION}:${VAULT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const storeObject = `arn:aws:s3:::${ssmStoreBucket(VAULT, REGION)}/${'111111111111'}/eu-west-1/app/url`;
const catalog = `arn:aws:dynamodb:${REGION}:${VAULT}:table/${NAMES.catalogTable}`;
const audit = `arn:aws:dynamodb:${REGION}:${VAULT}:table/${NAMES.auditTable}`;

describe('backup-hub guardrails', () => {
  it('prints each policy as valid JSON within the size AWS Organizations allows, every statement a Deny', async () => {
    for (const format of ['scp', 'rcp'] as const) {
      const printed: string[] = [];
      expect(await run(['--format', format], { accounts: () => accounts, print: (l) => printed.push(l), error: () => {} })).toBe(0);
      const policy = JSON.parse(printed.join('\n')) as PolicyDocument;
      expect(policy.Version).toBe('2012-10-17');
      const statements = [policy.Statement].flat();
      expect(statements.every((s) => s.Effect === 'Deny')).toBe(true);
      expect(statements.every((s) => (format === 'rcp' ? s.Principal === '*' : s.Principal === undefined))).toBe(true);
      expect(JSON.stringify(policy).length).toBeLessThanOrEqual(ORGANIZATION_POLICY_MAX_CHARS);
    }
  });

  it('refuses without a deploy role in the vault file, and a format it does not know, saying what to do', async () => {
    const errors: string[] = [];
    const deps = {
      accounts: () => ({ ...accounts, vault: { ...accounts.vault, deployRole: undefined } }),
      print: () => {},
      error: (l: string) => errors.push(l),
    };
    expect(() => guardrails(deps.accounts(), 'scp')).toThrow(GuardrailsUnavailable);
    expect(await run(['--format', 'scp'], deps)).toBe(1);
    expect(errors.pop()).toMatch(/names no deployRole: set it to the ARN of the role that deploys the vault stack/);
    expect(await run(['--format', 'json'], deps)).toBe(2);
    expect(errors.pop()).toMatch(/^give --format scp or --format rcp \(got json\)/);
  });

  it('the SCP binds the vault account root and administrators, and lets the hub roles do their part only', () => {
    const c = guardedCloud('scp');
    const refused = (who: Principal, action: string, resource: string, context?: Record<string, string | string[]>) =>
      !c.decide(who, action, resource, context).allowed;
    for (const who of [c.root, c.admin, c.copier, c.legalHold, c.deploy]) {
      expect(refused(who, 'ec2:DeleteSnapshot', snapshot), who.arn).toBe(true);
      expect(refused(who, 'rds:DeleteDBSnapshot', `arn:aws:rds:${REGION}:${VAULT}:snapshot:backup-hub-x`), who.arn).toBe(true);
    }
    expect(refused(c.pruner, 'ec2:DeleteSnapshot', snapshot)).toBe(false);
    expect(refused(c.pruner, 's3:DeleteObjectVersion', storeObject)).toBe(false);
    expect(refused(c.admin, 's3:DeleteObjectVersion', storeObject)).toBe(true);
    for (const action of ['ec2:UnlockSnapshot', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'rbin:DeleteRule', 'rbin:UnlockRule'])
      for (const who of [c.root, c.pruner, c.deploy])
        expect(refused(who, action, action.startsWith('kms') ? key : '*'), `${who.arn} ${action}`).toBe(true);
    expect(refused(c.copier, 'ec2:LockSnapshot', snapshot)).toBe(false);
    expect(refused(c.admin, 'ec2:LockSnapshot', snapshot)).toBe(true);
    expect(refused(c.admin, 'kms:PutKeyPolicy', key)).toBe(true);
    expect(refused(c.deploy, 'kms:PutKeyPolicy', key)).toBe(false);
    const rule = `arn:aws:events:${REGION}:${VAULT}:rule/${NAMES.bus}/backup-hub-ebs-snapshot`;
    expect(refused(c.admin, 'events:DisableRule', rule)).toBe(true);
    expect(refused(c.deploy, 'events:DisableRule', rule)).toBe(false);
    expect(refused(c.admin, 'iam:PutRolePolicy', roleArn(VAULT, NAMES.prunerRole))).toBe(true);
    // The restore roles' managed policies (a restore across regions) change only by a deploy.
    const acrossPolicy = `arn:aws:iam::${VAULT}:policy/${NAMES.restoreRole}-from-eu-central-1`;
    for (const action of ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy']) {
      expect(refused(c.admin, action, acrossPolicy), action).toBe(true);
      expect(refused(c.deploy, action, acrossPolicy), action).toBe(false);
    }
    expect(refused(c.admin, 'lambda:UpdateFunctionCode', `arn:aws:lambda:${REGION}:${VAULT}:function:backup-hub-prod-pruner`)).toBe(true);
    // The vault lock's records: only the pruner inserts them; nobody, the pruner included, changes or deletes one.
    const lockRecord = { 'dynamodb:LeadingKeys': [VAULT_LOCK_KEY] };
    expect(refused(c.admin, 'dynamodb:PartiQLInsert', audit, lockRecord)).toBe(true);
    expect(refused(c.copier, 'dynamodb:PartiQLInsert', audit, lockRecord)).toBe(true);
    expect(refused(c.pruner, 'dynamodb:PartiQLInsert', audit, lockRecord)).toBe(false);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:PartiQLDelete'])
      for (const who of [c.root, c.pruner, c.deploy]) expect(refused(who, action, audit, lockRecord), `${who.arn} ${action}`).toBe(true);
    // Holds: only the legal hold role records them and copies them onto the points; the pruner no longer may.
    const holdRecord = { 'dynamodb:LeadingKeys': ['HOLD#ART#ebs-snapshot#x'] };
    expect(refused(c.legalHold, 'dynamodb:PartiQLInsert', audit, holdRecord)).toBe(false);
    for (const who of [c.root, c.admin, c.pruner, c.copier])
      expect(refused(who, 'dynamodb:PartiQLInsert', audit, holdRecord), who.arn).toBe(true);
    const hold = { 'dynamodb:LeadingKeys': ['P#x'], 'dynamodb:Attributes': ['legalHold', 'pk'] };
    for (const who of [c.admin, c.pruner]) expect(refused(who, 'dynamodb:UpdateItem', catalog, hold), who.arn).toBe(true);
    expect(refused(c.legalHold, 'dynamodb:UpdateItem', catalog, hold)).toBe(false);
    // The audit chain: the hub's roles insert (never overwriting); nobody puts over an entry.
    expect(refused(c.root, 'dynamodb:UpdateItem', audit)).toBe(true);
    expect(refused(c.copier, 'dynamodb:PutItem', audit, { 'dynamodb:LeadingKeys': ['audit'] })).toBe(true);
    expect(refused(c.copier, 'dynamodb:PartiQLInsert', audit, { 'dynamodb:LeadingKeys': ['audit'] })).toBe(false);
    expect(refused(c.admin, 'dynamodb:PartiQLInsert', audit, { 'dynamodb:LeadingKeys': ['audit'] })).toBe(true);
    // What the hub's roles do every day stays allowed.
    expect(refused(c.copier, 'dynamodb:UpdateItem', catalog, { 'dynamodb:LeadingKeys': ['P#x'], 'dynamodb:Attributes': ['state'] })).toBe(
      false,
    );
    expect(refused(c.copier, 'ec2:CopySnapshot', snapshot)).toBe(false);
  });

  it("excepts from the store's guards exactly the roles the vault stacks grant the call, in every vault region", () => {
    const c = guardedCloud('scp');
    const refused = (who: Principal, action: string, resource: string) => !c.decide(who, action, resource).allowed;
    const capture = `arn:aws:s3:::${ssmStoreBucket(VAULT, REGION)}/${CONFIG_PREFIX}111111111111/eu-west-1/2026-01-01T00:00:00.000Z.json`;
    const drStore = `arn:aws:s3:::${ssmStoreBucket(VAULT, accounts.vault.drRegion!)}/111111111111/eu-west-1/app/url`;
    // The configuration capture writes its captures into the store, as its role allows; the parameter role its versions, in both regions.
    expect(refused(c.capture, 's3:PutObject', capture)).toBe(false);
    expect(refused(c.parameters, 's3:PutObject', storeObject)).toBe(false);
    expect(refused(c.parameters, 's3:PutObject', drStore)).toBe(false);
    for (const who of [c.root, c.admin, c.copier, c.pruner]) expect(refused(who, 's3:PutObject', capture), who.arn).toBe(true);
    // The DR region's store is guarded as the vault region's is.
    expect(refused(c.admin, 's3:DeleteObjectVersion', drStore)).toBe(true);
    expect(refused(c.capture, 's3:DeleteObjectVersion', drStore)).toBe(true);
    expect(refused(c.pruner, 's3:DeleteObjectVersion', drStore)).toBe(false);
  });

  it('the RCP binds principals of any account on the vault key, store and tables, not AWS services', () => {
    const c = guardedCloud('rcp');
    const refused = (who: Principal, action: string, resource: string) => !c.decide(who, action, resource).allowed;
    expect(refused(c.outsider, 'kms:ScheduleKeyDeletion', key)).toBe(true);
    expect(refused(c.root, 'kms:DisableKey', key)).toBe(true);
    expect(refused(c.outsider, 's3:DeleteObjectVersion', storeObject)).toBe(true);
    expect(refused(c.pruner, 's3:DeleteObjectVersion', storeObject)).toBe(false);
    expect(refused(c.admin, 'dynamodb:DeleteTable', catalog)).toBe(true);
    expect(refused(c.deploy, 'dynamodb:DeleteTable', catalog)).toBe(false);
    // EC2 is not among the services RCPs cover: the SCP guards it.
    expect(refused(c.admin, 'ec2:DeleteSnapshot', snapshot)).toBe(false);
  });
});
