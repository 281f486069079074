import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePattern } from '@backup-hub/aws-sim';
import { describe, expect, it } from 'vitest';
import { pascal } from '../../accounts/stack/policies.js';
import { loadAccounts, parseAccounts } from '../../shared/config/accounts.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { sampleEvents } from '../../shared/kinds/common/sample-events.js';
import { ARTIFACT_KINDS, KINDS } from '../../shared/kinds/index.js';
import { expectLeastPrivilege, isKeyPolicy } from './policies.js';
import { type Json, list, ROOT, renderAccount, resource, resourcesOfType, statements, strings, type Template } from './stack.js';

/**
 * Source accounts' CloudFormation as the stack model renders it (what `serverless package`
 * writes): source-a (its only region, with the example organization id), source-b in its second
 * region, and source-a again from the same account files without an organization id.
 */
const accounts = loadAccounts();
const vault = accounts.vault;
const primary = renderAccount('source-a', { accounts });
const secondary = renderAccount('source-b', { accounts, region: 'eu-central-1' });
const withoutOrg = renderAccount('source-a', {
  accounts: parseAccounts(
    readdirSync(join(ROOT, 'accounts'))
      .filter((file) => file.endsWith('.yml'))
      .map((file) => ({ file, text: readFileSync(join(ROOT, 'accounts', file), 'utf8').replace(/^organizationId:.*$/m, '') })),
  ),
});
/** Every kind has a handler. */
const handlerKinds = ARTIFACT_KINDS;
const kindRole = (kind: string) => `arn:aws:iam::${vault.id}:role/backup-hub-${kind}`;
/** The kinds whose vault copies read what the reader shares under the share key. */
const sharingKinds = KINDS.filter((k) => k.manifest.sharesThrough).map((k) => k.module.name);
const vaultBus = `arn:aws:events:${vault.regions[0]}:${vault.id}:event-bus/backup-hub`;
/** The forwarder role: the one this stack creates in the primary region, the one of the primary region elsewhere. */
const forwarderRoleArn = (account: string) => ({
  'Fn::If': ['IsPrimaryRegion', { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] }, `arn:aws:iam::${account}:role/backup-hub-forwarder`],
});
const trustOf = (template: Template, kind: string) =>
  statements(template).filter((s) => s.logicalId === `${pascal(kind)}ReaderRole` && s.property === 'AssumeRolePolicyDocument');
const readerStatements = (template: Template, kind: string) =>
  statements(template).filter((s) => s.logicalId === `${pascal(kind)}ReaderRole` && s.property === 'PolicyDocument');

describe('source stack', () => {
  it('packages without any Lambda function (and so without the bundler)', () => {
    for (const template of [primary, secondary]) {
      expect(resourcesOfType(template, 'AWS::Lambda::Function')).toEqual([]);
      expect(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')).toEqual([]);
    }
  });

  it('grants no action *, and Resource "*" only where AWS allows nothing narrower', () => {
    expectLeastPrivilege(primary);
    expectLeastPrivilege(secondary);
  });

  describe('the reader roles, one per kind', () => {
    it("are each trusted by their kind's vault role only, with the ExternalId, the organization and the function as source identity", () => {
      for (const kind of handlerKinds) {
        const trust = trustOf(primary, kind);
        expect(trust.map((s) => s.statement)).toEqual([
          {
            Sid: 'OnlyTheKindsVaultRoleWithTheExternalId',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${vault.id}:root` },
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
            Condition: {
              StringEquals: { 'sts:ExternalId': vault.externalId, 'aws:PrincipalOrgID': vault.organizationId },
              ArnEquals: { 'aws:PrincipalArn': kindRole(kind) },
              StringLike: { 'sts:SourceIdentity': 'backup-hub-*' },
            },
          },
        ]);
      }
    });

    it('still need the ExternalId without an organization id, and then have no org condition', () => {
      for (const kind of handlerKinds)
        expect(trustOf(withoutOrg, kind)[0]!.statement.Condition?.StringEquals).toEqual({ 'sts:ExternalId': vault.externalId });
      expect(JSON.stringify(withoutOrg)).not.toContain('aws:PrincipalOrgID');
    });

    it("hold exactly their own kind's reader statements: the EBS reader reads no parameter (vault.test.ts compares them with the code's calls)", () => {
      const a = accounts.account('source-a');
      if (a.role !== 'source') throw new Error('source-a is a source');
      const scope = {
        vaultAccount: vault.id,
        vaultRegion: vault.regions[0]!,
        account: a.id,
        regions: a.regions,
        keyAliases: ['alias/aws/ebs', 'alias/backup-hub-share', ...a.customerKeyAliases],
        customerKeyAliases: a.customerKeyAliases,
        parameters: a.ssmParameters,
      };
      // The rendered template carries no Reason (IAM accepts no such element; check:iam reads it from the model).
      for (const { module, manifest } of KINDS)
        expect(readerStatements(primary, module.name).map((s) => s.statement)).toEqual(
          manifest.reader(scope).map(({ Reason: _reason, ...statement }) => statement),
        );
      const ssmActions = (kind: string) =>
        readerStatements(primary, kind)
          .flatMap((s) => list(s.statement.Action))
          .filter((x) => x.startsWith('ssm:'));
      for (const kind of handlerKinds.filter((k) => k !== 'ssm-parameter')) expect(ssmActions(kind), kind).toEqual([]);
      expect(new Set(ssmActions('ssm-parameter'))).toEqual(
        new Set(['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:DescribeParameters']),
      );
    });

    it('read only the parameters the account file opts in, and decrypt only under aws/ssm or a listed key, through SSM', () => {
      const b = accounts.account('source-b');
      if (b.role !== 'source') throw new Error('source-b is a source');
      const ssm = readerStatements(renderAccount('source-b', { accounts }), 'ssm-parameter').map((s) => s.statement);
      expect(ssm.filter((s) => list(s.Action).includes('ssm:GetParameter')).map((s) => [s.Resource, s.Condition])).toEqual([
        [[`arn:aws:ssm:*:${b.id}:parameter/app/*`], undefined],
        [`arn:aws:ssm:*:${b.id}:parameter/*`, { StringEquals: { [`aws:ResourceTag/${TAG.protect}`]: 'true' } }],
      ]);
      const decrypt = ssm.find((s) => list(s.Action).includes('kms:Decrypt'))!;
      expect(decrypt.Condition).toEqual({
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/aws/ssm', ...b.customerKeyAliases] },
        StringLike: { 'kms:ViaService': 'ssm.*.amazonaws.com' },
      });
      // source-a opts in /orders/ only; a source that lists nothing lets the vault read no parameter, nor use a key for one.
      expect(readerStatements(renderAccount('source-c', { accounts }), 'ssm-parameter')).toEqual([]);
    });

    it("shares snapshots with the vault account only, never publicly, and AMIs only as the hub's intermediates", () => {
      // ModifySnapshotAttribute names the accounts added (ec2:Add/userId): the vault only, never a group.
      const snapshots = statements(primary).filter((s) => list(s.statement.Action).includes('ec2:ModifySnapshotAttribute'));
      expect(new Set(snapshots.map((s) => JSON.stringify(s.statement.Condition?.StringEquals)))).toEqual(
        new Set([{ 'ec2:Add/userId': vault.id }, { 'ec2:Remove/userId': vault.id }].map((c) => JSON.stringify(c))),
      );
      for (const s of snapshots) expect(s.statement.Condition?.Null?.['ec2:Add/group']).toBe('true');
      // ModifyImageAttribute names none: only the hub's intermediate AMIs (under the share key) may be shared.
      const images = statements(primary).filter((s) => list(s.statement.Action).includes('ec2:ModifyImageAttribute'));
      expect(images.map((s) => s.statement.Condition)).toEqual([{ StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: 'ami-*' } }]);
      // So may RDS's ModifyDB(Cluster)SnapshotAttribute: the hub's intermediates only, by name and tag.
      const rds = statements(primary).filter((s) =>
        list(s.statement.Action).some((a) => /^rds:ModifyDB(Cluster)?SnapshotAttribute$/.test(a)),
      );
      expect(rds.length).toBe(2);
      for (const s of rds) {
        for (const arn of strings(s.statement.Resource)) expect(arn).toMatch(/:(cluster-)?snapshot:backup-hub-share-\*$/);
        expect(s.statement.Condition).toEqual({ StringLike: { [`aws:ResourceTag/${TAG.intermediateOf}`]: '*' } });
      }
    });

    it('deletes only the intermediate copies the hub tagged, and tags only those', () => {
      const using = (...actions: string[]) => statements(primary).filter((s) => list(s.statement.Action).some((a) => actions.includes(a)));
      // Intermediate snapshots carry the snapshot they re-encrypt; an intermediate AMI and its snapshots, the AMI.
      const removals = using('ec2:DeleteSnapshot', 'ec2:DeregisterImage').map((s) => s.statement.Condition);
      expect(removals.length).toBeGreaterThan(0);
      for (const condition of removals)
        expect([`snap-*`, `ami-*`]).toContain(condition?.StringLike?.[`aws:ResourceTag/${TAG.intermediateOf}`]);
      for (const { statement } of using('ec2:CreateTags')) {
        expect(['CopySnapshot', 'CopyImage']).toContain(statement.Condition?.StringEquals?.['ec2:CreateAction']);
        expect(statement.Condition?.['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': [TAG.intermediateOf] });
      }
      for (const { statement } of using('ec2:CopySnapshot', 'ec2:CopyImage'))
        expect(statement.Condition).toEqual({ Null: { [`aws:RequestTag/${TAG.intermediateOf}`]: 'false' } });
    });

    it('cover every region of the account, and only its own account, in statements of a constant size', () => {
      const b = accounts.account('source-b');
      const reader = handlerKinds.flatMap((k) => readerStatements(secondary, k));
      const arns = reader.flatMap((s) => strings(s.statement.Resource)).filter((r) => r !== '*');
      expect(new Set(arns.map((arn) => arn.split(':')[3]))).toEqual(new Set(['*']));
      expect(new Set(arns.map((arn) => arn.split(':')[4]).filter(Boolean))).toEqual(new Set([b.id]));
      const describing = reader.filter((s) => s.statement.Resource === '*');
      for (const s of describing) expect(s.statement.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': b.regions } });
      const keyAliases = reader.flatMap((s) =>
        list(s.statement.Condition?.['ForAnyValue:StringEquals']?.['kms:ResourceAliases'] as string[] | undefined),
      );
      // RDS re-encrypts automated and aws/rds snapshots for the vault, so the RDS kinds add aws/rds; SSM reads SecureStrings under aws/ssm.
      expect(new Set(keyAliases)).toEqual(
        new Set([
          'alias/aws/ebs',
          'alias/aws/rds',
          'alias/aws/ssm',
          'alias/backup-hub-share',
          ...(b.role === 'source' ? b.customerKeyAliases : []),
        ]),
      );
    });
  });

  describe('forwarding', () => {
    for (const kind of ARTIFACT_KINDS) {
      it(`${kind}: forwards the kind's events from the default bus to the vault bus, with the one declared pattern`, () => {
        for (const template of [primary, secondary]) {
          const rule = resource(template, `Forward${pascal(kind)}Rule`).Properties;
          expect(rule.EventBusName).toBe('default');
          expect(rule.EventPattern).toEqual(KINDS.find((k) => k.module.name === kind)!.manifest.pattern);
          expect(rule.Targets).toEqual([
            expect.objectContaining({ Arn: vaultBus, RoleArn: forwarderRoleArn(template === primary ? '111111111111' : '222222222222') }),
          ]);
          const matcher = compilePattern(rule.EventPattern as Record<string, Json>);
          for (const sample of sampleEvents(kind)) expect(matcher.matches(sample.event), sample.description).toBe(sample.matches);
        }
      });
    }

    it("lets the rules' role put events on the vault bus and nothing else", () => {
      const role = statements(primary).filter((s) => s.logicalId === 'ForwarderRole');
      expect(role.map((s) => [s.property, s.statement.Principal ?? null, s.statement.Action, s.statement.Resource ?? null])).toEqual([
        ['AssumeRolePolicyDocument', { Service: 'events.amazonaws.com' }, 'sts:AssumeRole', null],
        ['PolicyDocument', null, 'events:PutEvents', vaultBus],
      ]);
      // Only for this account's forwarding rules (aws:SourceArn), in any of its regions.
      expect(role[0]!.statement.Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:aws:events:*:${AWS::AccountId}:rule/backup-hub-forward-*' } },
      });
      for (const kind of ARTIFACT_KINDS)
        expect(resource(primary, `Forward${pascal(kind)}Rule`).Properties.Name).toMatch(/^backup-hub-forward-/);
    });
  });

  describe('the share key', () => {
    it('lets the vault use it to copy through EC2 or RDS and nothing else', () => {
      const policy = statements(primary).filter((s) => s.logicalId === 'ShareKey' && isKeyPolicy(s));
      const forVault = policy.filter((s) => JSON.stringify(s.statement.Principal).includes(vault.id));
      expect(forVault.length).toBeGreaterThan(0);
      for (const { statement } of forVault) {
        expect(statement.Principal).toEqual({ AWS: `arn:aws:iam::${vault.id}:root` });
        expect(statement.Condition?.ArnEquals?.['aws:PrincipalArn']).toEqual(sharingKinds.map(kindRole));
        for (const action of list(statement.Action))
          expect(['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant']).toContain(action);
        const throughEc2 =
          list(statement.Condition?.StringEquals?.['kms:ViaService'] as string[] | undefined).every((s) =>
            /^(ec2|rds)\.[a-z0-9-]+\.amazonaws\.com$/.test(s),
          ) && statement.Condition?.StringEquals?.['kms:ViaService'] !== undefined;
        expect(throughEc2 || statement.Condition?.Bool?.['kms:GrantIsForAWSResource'] === 'true', statement.Sid).toBe(true);
      }
      // What the EBS User Guide lists for users of a shared customer managed key: GenerateDataKey* among them.
      expect(forVault.flatMap((s) => list(s.statement.Action))).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey']),
      );
      const others = policy.filter((s) => !forVault.includes(s));
      for (const { statement } of others)
        expect(statement.Principal).toEqual({ AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } });
      expect(resource(primary, 'ShareKeyAlias').Properties).toEqual({
        AliasName: 'alias/backup-hub-share',
        TargetKeyId: { Ref: 'ShareKey' },
      });
    });
  });

  describe('a second region', () => {
    it('creates the account-wide IAM roles in the primary region only, and rules and a share key in every region', () => {
      for (const [template, primaryRegion] of [
        [primary, 'eu-west-1'],
        [secondary, 'eu-west-1'],
      ] as const) {
        expect(template.Conditions?.IsPrimaryRegion).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, primaryRegion] });
        for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) expect(role.Condition, id).toBe('IsPrimaryRegion');
        expect(resourcesOfType(template, 'AWS::KMS::Key').map(([, k]) => k.Condition)).toEqual([undefined]);
      }
      // Only the primary region's stack creates the forwarder role, so only there do its rules refer to it (and wait for it).
      for (const template of [primary, secondary]) expect(resource(template, 'ForwardEbsSnapshotRule').DependsOn).toBeUndefined();
    });
  });
});
