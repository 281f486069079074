import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { compilePattern } from '@backup-hub/aws-sim';
import { describe, expect, it } from 'vitest';
import { NAMES, ssmStoreBucket } from '../../accounts/stack/names.js';
import { pascal } from '../../accounts/stack/policies.js';
import { accountsFor } from '../../drill/hub-accounts.js';
import { effectiveTargets, loadAccounts } from '../../shared/config/accounts.js';
import { hubConfigFromEnv } from '../../shared/config/hub-config.js';
import type { SourceRecord } from '../../shared/config/source-registry.js';
import { PENDING_CAP } from '../../shared/core/copy-quota.js';
import { TAG } from '../../shared/kinds/common/provenance-tags.js';
import { sampleEvents } from '../../shared/kinds/common/sample-events.js';
import { ARTIFACT_KINDS, KINDS } from '../../shared/kinds/index.js';
import { rpoSettings } from '../../shared/monitoring/rpo-settings.js';
import { retentionSettings } from '../../shared/retention/retention-settings.js';
import { captureOutput } from '../capture-output.js';
import { expectLeastPrivilege, expectQueuesHaveDlqAndEncryption, isKeyPolicy } from './policies.js';
import {
  type Json,
  list,
  ROOT,
  renderAccount,
  resource,
  resourcesOfType,
  roleActions,
  STAGE,
  statements,
  strings,
  type Template,
} from './stack.js';

/**
 * The vault account's CloudFormation (accounts/vault.yml) as the stack model renders it, what
 * `serverless package` writes; source-a's for the reader role the vault's handlers use, and the
 * recovery account's.
 */
const accounts = loadAccounts();
const vault = accounts.vault;
const template = renderAccount('vault', { accounts });
const source = renderAccount('source-a', { accounts });
const recovery = renderAccount('recovery', { accounts });
/** Every kind has a handler. */
const handlerKinds = ARTIFACT_KINDS;
const patternOf = (kind: string) => KINDS.find((k) => k.module.name === kind)!.manifest.pattern;
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
/** The schedule expression of the rule that targets a function (by its logical id's prefix). */
const scheduleOf = (fn: string) =>
  resourcesOfType(template, 'AWS::Events::Rule').find(([, r]) =>
    JSON.stringify(r.Properties?.Targets ?? '').includes(`${fn}LambdaFunction`),
  )?.[1].Properties?.ScheduleExpression;

describe('vault stack: least privilege', () => {
  it('grants no action *, and Resource "*" only where AWS allows nothing narrower', () => {
    expectLeastPrivilege(template);
  });

  it('leaves out a statement another of the same role covers (same resources and conditions, its actions and more)', () => {
    const roles = resourcesOfType(template, 'AWS::IAM::Role').map(([id]) => id);
    for (const role of roles) {
      const granted = statements(template)
        .filter((s) => s.logicalId === role && s.property === 'PolicyDocument')
        .map(({ statement: { Sid, Action, ...body } }) => ({ Sid, actions: list(Action), body: JSON.stringify(body) }));
      for (const mine of granted) {
        const covering = granted.filter((o) => o !== mine && o.body === mine.body && mine.actions.every((a) => o.actions.includes(a)));
        expect(
          covering.map((o) => o.Sid),
          `${role} ${mine.Sid}`,
        ).toEqual([]);
      }
    }
  });

  it('gives every function its own role, trusted by Lambda (a kind role by the reconciler and the sweeps too), and no shared default role', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    // Serverless names a function's resource after its key: ebs-snapshot → EbsDashsnapshotLambdaFunction.
    const logicalId = (key: string) => `${key.charAt(0).toUpperCase()}${key.slice(1).replace(/-/g, 'Dash')}LambdaFunction`;
    expect(functions.map(([id]) => id).sort()).toEqual(
      [...handlerKinds, 'reconciler', 'pruner', 'rpo-check', 'sweep', 'integrity', 'audit-anchor', 'config-capture'].map(logicalId).sort(),
    );
    const roles = functions.map(([, f]) => (f.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(functions.length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    // The restore, legal hold and retry roles are no function's: operators assume them (see the tests below);
    // operators assume the sweep's too, to run `backup-hub sweep` on demand.
    const operatorRoles = ['RestoreRole', 'DrRestoreRole', 'LegalHoldRole', 'RetryRole'];
    for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role').filter(([id]) => !operatorRoles.includes(id))) {
      const trust = statements(template).filter((s) => s.logicalId === id && s.property === 'AssumeRolePolicyDocument');
      expect(trust[0]!.statement.Principal, id).toEqual({ Service: 'lambda.amazonaws.com' });
      // A kind's role is also the one the reconciler and the two sweeps act through for that kind, and nobody else's.
      const others = trust.slice(1).map((s) => s.statement);
      const isKindRole = handlerKinds.some((k) => `${pascal(k)}Role` === id);
      const root = { AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } };
      expect(others, id).toEqual(
        isKindRole
          ? [
              expect.objectContaining({
                Principal: root,
                Condition: {
                  ArnEquals: {
                    'aws:PrincipalArn': ['reconciler', 'sweep', 'integrity'].map((r) => `arn:aws:iam::${vault.id}:role/backup-hub-${r}`),
                  },
                  StringLike: { 'sts:SourceIdentity': 'backup-hub-*' },
                },
              }),
            ]
          : id === 'SweepRole'
            ? [expect.objectContaining({ Principal: root })]
            : [],
      );
      expect(role.Properties!.RoleName).toMatch(/^backup-hub-/);
    }
  });

  it("lets each kind's role assume only that kind's reader roles, inside the organization, and the reconciler and the sweeps only the kinds' roles", () => {
    const assume = statements(template).filter(
      (s) =>
        list(s.statement.Action).includes('sts:AssumeRole') &&
        s.property === 'PolicyDocument' &&
        !['RestoreRole', 'DrRestoreRole'].includes(s.logicalId),
    );
    const acting = ['ReconcilerRole', 'SweepRole', 'IntegrityRole'];
    expect(assume.map((s) => s.logicalId).sort()).toEqual(
      [...handlerKinds.map((k) => `${pascal(k)}Role`), ...acting, 'ConfigCaptureRole'].sort(),
    );
    // The configuration capture assumes the sources' config reader roles only.
    const capture = assume.find((s) => s.logicalId === 'ConfigCaptureRole')!.statement;
    expect([capture.Resource, capture.Condition]).toEqual([
      'arn:aws:iam::*:role/backup-hub-config-reader',
      { StringEquals: { 'aws:ResourceOrgID': vault.organizationId } },
    ]);
    for (const kind of handlerKinds) {
      const [s] = assume.filter((x) => x.logicalId === `${pascal(kind)}Role`);
      expect(s!.statement.Resource).toEqual(`arn:aws:iam::*:role/backup-hub-reader-${kind}`);
      expect(s!.statement.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': vault.organizationId } });
      expect(list(s!.statement.Action)).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity']);
    }
    for (const id of acting)
      expect(assume.find((s) => s.logicalId === id)!.statement.Resource, id).toEqual(
        handlerKinds.map((k) => `arn:aws:iam::${vault.id}:role/backup-hub-${k}`),
      );
  });

  it('lets no role but the pruner record the vault lock, none but the legal hold role record or name a legal hold, none change an audit entry', () => {
    const denies = statements(template).filter((s) => s.property === 'PolicyDocument' && s.statement.Effect === 'Deny');
    const roles = (sid: string) => new Set(denies.filter((s) => s.statement.Sid === sid).map((s) => s.logicalId));
    const functionRoles = [...handlerKinds.map((k) => `${pascal(k)}Role`), 'ReconcilerRole', 'RpoCheckRole', 'SweepRole', 'IntegrityRole'];
    expect(roles('OnlyTheLegalHoldRoleSetsOrLiftsHolds')).toEqual(new Set([...functionRoles, 'PrunerRole']));
    expect(roles('NoAuditEntryIsChanged')).toEqual(new Set([...functionRoles, 'PrunerRole', 'LegalHoldRole']));
    // The audit table's partitions each role may insert into: the audit chain, and the vault lock's or the holds' records.
    const inserts = statements(template).filter(
      (s) => s.statement.Effect === 'Allow' && list(s.statement.Action).includes('dynamodb:PartiQLInsert'),
    );
    const partitions = (logicalId: string) =>
      inserts
        .filter((s) => s.logicalId === logicalId)
        .flatMap((s) => Object.values(s.statement.Condition ?? {}).flatMap((c) => list(c['dynamodb:LeadingKeys'] as string[])));
    expect(partitions('PrunerRole')).toEqual(['audit', 'LOCK#vault']);
    expect(partitions('LegalHoldRole')).toEqual(['audit', 'HOLD#*']);
    for (const role of [...functionRoles, 'RestoreRole', 'RetryRole'])
      expect(
        partitions(role).filter((p) => p !== 'audit'),
        role,
      ).toEqual([]);
  });

  it("lets the EC2 kinds' roles use a source's share key as the EBS User Guide lists for a shared key, GenerateDataKey* among it", () => {
    for (const kind of KINDS.filter((k) => k.manifest.sharesThrough === 'ec2').map((k) => k.module.name)) {
      const shareKeyUse = statements(template).filter(
        (s) =>
          s.logicalId === `${pascal(kind)}Role` &&
          JSON.stringify(s.statement.Condition ?? {}).includes('alias/backup-hub-share') &&
          list(s.statement.Action).includes('kms:Decrypt'),
      );
      expect(shareKeyUse.map((s) => s.statement.Action)).toEqual([
        ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      ]);
    }
  });

  it('keeps the audit log append-only: inserts (which never overwrite) and reads, no put, update or delete on it', () => {
    const onAudit = statements(template).filter(
      (s) => JSON.stringify(s.statement.Resource ?? '').includes('AuditTable') && s.statement.Effect === 'Allow',
    );
    expect(onAudit.length).toBeGreaterThan(0);
    expect(new Set(onAudit.flatMap((s) => list(s.statement.Action)))).toEqual(new Set(['dynamodb:PartiQLInsert', 'dynamodb:Query']));
  });

  it('tags vault copies only with the provenance tags the code writes, and only when creating them', () => {
    const tagging = statements(template).filter((s) => list(s.statement.Action).includes('ec2:CreateTags'));
    expect(tagging.length).toBeGreaterThan(0);
    const provenance = [TAG.sourceAccount, TAG.sourceRegion, TAG.sourceId, TAG.sourceLife, TAG.resourceId, TAG.eventId];
    for (const s of tagging) {
      expect(['CopySnapshot', 'CopyImage']).toContain(s.statement.Condition?.StringEquals?.['ec2:CreateAction']);
      // A restore copy never carries the provenance tags the hub finds vault copies by.
      expect(s.statement.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys']).toEqual(
        ['RestoreRole', 'DrRestoreRole'].includes(s.logicalId) ? [TAG.restoreOf, TAG.restoreFor] : provenance,
      );
    }
    const copying = statements(template).filter((s) =>
      list(s.statement.Action).some((a) => a === 'ec2:CopySnapshot' || a === 'ec2:CopyImage'),
    );
    // The restore roles, and the policies of their restores across regions, copy restore copies only.
    const restoring = (logicalId: string) => /^(Dr)?RestoreRole/.test(logicalId);
    for (const s of copying)
      expect(s.statement.Condition?.Null, `${s.logicalId} ${s.statement.Sid}`).toEqual({
        [`aws:RequestTag/${restoring(s.logicalId) ? TAG.restoreFor : TAG.sourceId}`]: 'false',
      });
  });
});

/** The source records the vault stack writes (parts of them, in SSM parameters under one path), as the functions read them. */
function sourceRecords(t: Template = template): Map<string, SourceRecord> {
  return new Map(
    resourcesOfType(t, 'AWS::SSM::Parameter').flatMap(([, r]) =>
      Object.entries(JSON.parse(r.Properties!.Value as string) as Record<string, SourceRecord>),
    ),
  );
}

describe('vault stack: the sources it records', () => {
  it('records every source of the account files, with its regions and effective targets, under /backup-hub-sources/', () => {
    const records = sourceRecords();
    expect([...records.keys()]).toEqual(vault.allowedSources);
    for (const source of accounts.sources)
      expect(records.get(source.id)).toMatchObject({
        name: source.name,
        regions: source.regions,
        targets: effectiveTargets(accounts, source),
        // The example files set no pendingCap: the default travels in the record, where the reconciler and the alarm read it.
        pendingCap: PENDING_CAP,
      });
    for (const [, r] of resourcesOfType(template, 'AWS::SSM::Parameter'))
      expect(r.Properties).toMatchObject({ Type: 'String', Name: expect.stringMatching(/^\/backup-hub-sources\/part-\d+$/) });
  });

  it('packs the records into Standard parameters (4 KB): 300 sources in 6 regions take a few dozen, every source recorded once', () => {
    const many = accountsFor({
      vault: { account: '999999999999', region: 'eu-west-1' },
      sources: Array.from({ length: 300 }, (_, i) => ({
        account: String(100000000000 + i),
        regions: ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-2', 'eu-north-1'],
      })),
    });
    const t = renderAccount('vault', { accounts: many });
    const parts = resourcesOfType(t, 'AWS::SSM::Parameter');
    for (const [, r] of parts) expect(Buffer.byteLength(r.Properties!.Value as string)).toBeLessThanOrEqual(4096);
    expect(sourceRecords(t).size).toBe(300);
    expect(parts.length).toBeLessThan(300 / 5);
  });
});

describe('vault stack: queues, rules and the bus', () => {
  it('gives every queue a dead-letter queue and encryption', () => {
    expectQueuesHaveDlqAndEncryption(template);
    expect(
      resourcesOfType(template, 'AWS::SQS::Queue')
        .map(([, q]) => q.Properties!.QueueName)
        .sort(),
    ).toEqual(ARTIFACT_KINDS.flatMap((k) => [`backup-hub-${k}`, `backup-hub-${k}-dlq`]).sort());
  });

  for (const kind of ARTIFACT_KINDS) {
    const Kind = pascal(kind);
    it(`${kind}: routes the kind's events on the vault bus to its queue, with the one declared pattern`, () => {
      const rule = resource(template, `${Kind}Rule`).Properties;
      expect(rule.EventBusName).toEqual({ Ref: 'EventBus' });
      expect(rule.EventPattern).toEqual(patternOf(kind));
      expect(list(rule.Targets as Json[]).map((t) => (t as Record<string, Json>).Arn)).toEqual([getAtt(`${Kind}Queue`)]);
      const matcher = compilePattern(rule.EventPattern as Record<string, Json>);
      for (const sample of sampleEvents(kind)) expect(matcher.matches(sample.event), sample.description).toBe(sample.matches);
    });

    it(`${kind}: the vault's own copies settling reach its queue from the vault's default bus, when AWS announces them`, () => {
      const completion = KINDS.find((k) => k.module.name === kind)!.manifest.completion;
      const rule = template.Resources[`${Kind}CompletionRule`];
      if (!completion) return expect(rule).toBeUndefined();
      expect(rule?.Properties).toMatchObject({
        EventPattern: completion,
        Targets: [expect.objectContaining({ Arn: getAtt(`${Kind}Queue`) })],
      });
      // The default bus: where AWS sends the vault account's own service events.
      expect(rule?.Properties?.EventBusName).toBe('default');
    });

    it(`${kind}: lets only the kind's rules (and its completion rule) send to its queues (aws:SourceArn)`, () => {
      const policy = resource(template, `${Kind}QueuePolicy`).Properties;
      const completes = KINDS.find((k) => k.module.name === kind)!.manifest.completion !== undefined;
      const rules = [getAtt(`${Kind}Rule`), ...(completes ? [getAtt(`${Kind}CompletionRule`)] : [])];
      expect(policy.Queues).toEqual([{ Ref: `${Kind}Queue` }, { Ref: `${Kind}DeadLetterQueue` }]);
      const placed = statements(template).filter((s) => s.logicalId === `${Kind}QueuePolicy`);
      expect(placed.map((s) => s.statement)).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': rules } },
        }),
      ]);
    });

    it(`${kind}: raises an alarm when dead letters appear`, () => {
      const alarm = resource(template, `${Kind}DeadLetterAlarm`).Properties;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      });
      expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: getAtt(`${Kind}DeadLetterQueue`, 'QueueName') }]);
    });
  }

  it("admits on the bus only the sources' forwarder roles, inside the organization, and only the kinds' events", () => {
    const policy = resource(template, 'EventBusPolicy').Properties;
    expect(policy.EventBusName).toEqual({ Ref: 'EventBus' });
    const statement = policy.Statement as Record<string, Json>;
    expect(statement).toMatchObject({ Effect: 'Allow', Action: 'events:PutEvents', Resource: getAtt('EventBus') });
    // Inside an organization the policy names no account: its size does not grow with the sources.
    expect(statement.Principal).toEqual('*');
    const conditions = statement.Condition as Record<string, Record<string, Json>>;
    expect(conditions.StringEquals!['aws:PrincipalOrgID']).toBe(vault.organizationId);
    // A forwarder role, and no other principal of those accounts.
    expect(conditions.ArnLike).toEqual({ 'aws:PrincipalArn': 'arn:aws:iam::*:role/backup-hub-forwarder' });
    // events:source and events:detail-type are multivalued: every value listed, and present.
    expect(conditions.Null).toEqual({ 'events:source': 'false', 'events:detail-type': 'false' });
    const condition = conditions['ForAllValues:StringEquals']!;
    const patterns = ARTIFACT_KINDS.map(patternOf);
    expect(new Set(list(condition['events:detail-type'] as string[]))).toEqual(
      new Set(patterns.flatMap((p) => p['detail-type'] as string[])),
    );
    expect(new Set(list(condition['events:source'] as string[]))).toEqual(new Set(patterns.flatMap((p) => p.source as string[])));
    expect(resource(template, 'EventBus').Properties.Name).toBe('backup-hub');
  });
});

describe('vault stack: functions', () => {
  for (const kind of handlerKinds) {
    const Kind = pascal(kind);
    it(`${kind}: reads its queue in partial batches, within the copy quota`, () => {
      const [, mapping] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').find(
        ([, m]) => JSON.stringify(m.Properties!.EventSourceArn) === JSON.stringify(getAtt(`${Kind}Queue`)),
      )!;
      const p = mapping.Properties!;
      expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const concurrency = (p.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency;
      expect(concurrency).toBeGreaterThanOrEqual(2); // the smallest value Lambda accepts
      expect((p.BatchSize as number) * concurrency).toBeLessThanOrEqual(20); // EBS: 20 concurrent copies per destination region
      const fn = resource(template, (p.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!).Properties;
      expect(fn.FunctionName).toBe(`backup-hub-${STAGE}-${kind}`);
      const queue = resource(template, `${Kind}Queue`).Properties;
      expect(queue.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * (fn.Timeout as number));
      const variables = (fn.Environment as { Variables: Record<string, Json> }).Variables;
      expect(variables.QUEUE_URL).toEqual({ Ref: `${Kind}Queue` });
      expect(Number(variables.MAX_RECEIVE_COUNT)).toBe((queue.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount);
    });

    it(`${kind}: alarms on function errors and on a backlog`, () => {
      expect(resource(template, `${Kind}ErrorsAlarm`).Properties).toMatchObject({
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: `backup-hub-${STAGE}-${kind}` }],
      });
      expect(resource(template, `${Kind}BacklogAlarm`).Properties).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage' });
    });
  }

  it('raises one alarm on any ERROR line of any vault function (a failed or stuck copy, a refused lock), as the logger writes it', async () => {
    const logGroups = new Map(
      resourcesOfType(template, 'AWS::Logs::LogGroup').map(([id, r]) => [id, r.Properties!.LogGroupName as string]),
    );
    const filtered = resourcesOfType(template, 'AWS::Logs::MetricFilter').map(([, r]) => {
      expect(r.Properties).toMatchObject({
        FilterPattern: '{ $.level = "ERROR" }',
        MetricTransformations: [{ MetricNamespace: 'backup-hub', MetricName: 'AlertLogLines', MetricValue: '1' }],
      });
      return logGroups.get((r.Properties!.LogGroupName as { Ref: string }).Ref);
    });
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(
      ([, r]) => `/aws/lambda/${r.Properties!.FunctionName as string}`,
    );
    expect(new Set(filtered)).toEqual(new Set(functions));
    expect(resource(template, 'AlertLogLinesAlarm').Properties).toMatchObject({
      Namespace: 'backup-hub',
      MetricName: 'AlertLogLines',
      Threshold: 0,
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    // The filter matches what Powertools writes for the hub's alert lines, and not its INFO lines.
    const logger = new Logger({ serviceName: 'backup-hub', logLevel: 'INFO' });
    const output = await captureOutput(() => {
      logger.error('copy failed', { kind: 'ebs-snapshot', reason: 'x' });
      logger.info('event handled', { outcome: 'copied' });
    });
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(['ERROR', 'INFO']);
  });

  it('gives the handlers the configuration shared/config/hub-config.ts reads', () => {
    const fn = resource(template, 'EbsDashsnapshotLambdaFunction').Properties;
    const variables = (fn.Environment as { Variables: Record<string, Json> }).Variables;
    const resolved: Record<string, string> = { AWS_REGION: vault.regions[0]! };
    for (const [name, value] of Object.entries(variables)) {
      if (typeof value === 'string') resolved[name] = value;
      else if (JSON.stringify(value) === JSON.stringify(getAtt('VaultKey')))
        resolved[name] = `arn:aws:kms:${vault.regions[0]}:${vault.id}:key/0a1b2c3d`;
      else if (JSON.stringify(value) === JSON.stringify({ Ref: 'EbsSnapshotQueue' }))
        resolved[name] = 'https://sqs.eu-west-1.amazonaws.com/999999999999/backup-hub-ebs-snapshot';
      else resolved[name] = resource(template, (value as { Ref: string }).Ref).Properties.TableName as string;
    }
    expect(hubConfigFromEnv(resolved)).toMatchObject({
      vaultAccountId: vault.id,
      catalogTable: 'backup-hub-catalog',
      auditTable: 'backup-hub-audit',
      readerRoleName: 'backup-hub-reader',
      shareKeyAlias: 'alias/backup-hub-share',
      externalId: vault.externalId,
      sourcesPath: '/backup-hub-sources/',
      maxReceiveCount: 5,
      drRegion: vault.drRegion,
    });
    expect(Object.keys(variables).sort()).toEqual(
      [
        'DR_REGION',
        'SOURCES_PATH',
        'AUDIT_TABLE',
        'CATALOG_TABLE',
        'EXTERNAL_ID',
        'MAX_RECEIVE_COUNT',
        'QUEUE_URL',
        'READER_ROLE_NAME',
        'SHARE_KEY_ALIAS',
        'VAULT_ACCOUNT_ID',
        'VAULT_KEY_ARN',
      ].sort(),
    );
  });

  it('runs the reconciler every 15 minutes (a safety net behind the completion events), one run at a time', () => {
    expect(scheduleOf('Reconciler')).toBe('rate(15 minutes)');
    expect(resource(template, 'ReconcilerLambdaFunction').Properties.ReservedConcurrentExecutions).toBe(1);
    expect(resource(template, 'ReconcilerErrorsAlarm').Properties).toMatchObject({
      MetricName: 'Errors',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });
});

describe('vault stack: the pruner', () => {
  it('runs every 6 hours, one run at a time, with the lock and the retention of the account files', () => {
    expect(scheduleOf('Pruner')).toBe('rate(6 hours)');
    const fn = resource(template, 'PrunerLambdaFunction').Properties;
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    const variables = (fn.Environment as { Variables: Record<string, string> }).Variables;
    const settings = retentionSettings(sourceRecords(), variables);
    expect(settings.lockDays).toBe(7);
    expect(settings.accounts['111111111111']?.['ebs-snapshot']).toEqual({ retentionDays: 14 });
    expect(settings.accounts['222222222222']?.['ebs-snapshot']).toEqual({ retentionDays: 35, keepLast: 3 });
    expect(Object.keys(settings.accounts).sort()).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(resource(template, 'PrunerErrorsAlarm').Properties).toMatchObject({
      MetricName: 'Errors',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it("may delete only the vault's own copies, and reaches no source account and no key", () => {
    const actions = roleActions(template, 'PrunerRole');
    expect(actions.filter((a) => a.startsWith('sts:') || a.startsWith('kms:'))).toEqual([]);
    const deleting = statements(template).filter(
      (s) =>
        s.logicalId === 'PrunerRole' &&
        s.statement.Effect === 'Allow' &&
        list(s.statement.Action).some((a) => /:(Delete|Deregister)/.test(a)),
    );
    expect(deleting.length).toBeGreaterThanOrEqual(5);
    // In the vault's region, and in its DR region, where the vault copies' DR copies go by the same rules.
    const regions = [vault.regions[0]!, vault.drRegion!];
    const stores = regions.map((region) => `arn:aws:s3:::${ssmStoreBucket(vault.id, region)}/*`);
    for (const s of deleting) {
      const resources = list(s.statement.Resource as string[]);
      for (const arn of resources)
        expect(
          stores.includes(arn) || new RegExp(`^arn:aws:(ec2|rds):(${regions.join('|')}):(${vault.id})?:`).test(arn),
          `${s.statement.Sid} ${arn}`,
        ).toBe(true);
      const tagged = s.statement.Condition?.Null?.[`aws:ResourceTag/${TAG.sourceId}`] === 'false';
      expect(
        tagged || resources.every((arn) => stores.includes(arn) || /:(snapshot|cluster-snapshot):backup-hub-\*$/.test(arn)),
        s.statement.Sid,
      ).toBe(true);
    }
  });
});

describe("restore: the vault's restore role and keys, and the recovery account's stack", () => {
  const restoreRole = `arn:aws:iam::${vault.id}:role/backup-hub-restore`;
  const recoveryAccount = accounts.recovery[0]!;

  it('lets only the principals the vault file names assume the restore role, which deletes nothing and writes only the audit log', () => {
    const trust = statements(template).filter((s) => s.logicalId === 'RestoreRole' && s.property === 'AssumeRolePolicyDocument');
    expect(trust.map((s) => [s.statement.Principal, s.statement.Condition])).toEqual([
      [{ AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } }, { ArnLike: { 'aws:PrincipalArn': vault.operators.restore } }],
    ]);
    const actions = roleActions(template, 'RestoreRole');
    expect(actions.filter((a) => /:(Delete|Deregister|Update|Put(?!Item))/.test(a))).toEqual([]);
    const writes = statements(template).filter(
      (s) => s.logicalId === 'RestoreRole' && list(s.statement.Action).includes('dynamodb:PartiQLInsert'),
    );
    expect(writes.map((s) => s.statement.Resource)).toEqual([getAtt('AuditTable')]);
    expect(
      statements(template).filter((s) => s.logicalId === 'RestoreRole' && list(s.statement.Action).includes('dynamodb:UpdateItem')),
    ).toEqual([]);
  });

  it('lets the legal hold role, which the named principals assume, change catalog items and append to the audit log, nothing else', () => {
    const trust = statements(template).filter((s) => s.logicalId === 'LegalHoldRole' && s.property === 'AssumeRolePolicyDocument');
    expect(trust.map((s) => [s.statement.Principal, s.statement.Condition])).toEqual([
      [{ AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } }, { ArnLike: { 'aws:PrincipalArn': vault.operators.legalHold } }],
    ]);
    const grants = statements(template).filter(
      (s) => s.logicalId === 'LegalHoldRole' && s.property === 'PolicyDocument' && s.statement.Effect === 'Allow',
    );
    expect(grants.map((s) => [list(s.statement.Action), s.statement.Resource])).toEqual([
      [['dynamodb:GetItem', 'dynamodb:UpdateItem'], getAtt('CatalogTable')],
      [['dynamodb:Query'], getAtt('AuditTable')],
      [['dynamodb:PartiQLInsert'], getAtt('AuditTable')],
      [['dynamodb:PartiQLInsert'], getAtt('AuditTable')],
    ]);
  });

  it('lets the retry role, which the named principals (the restore operators by default) assume, find and change catalog items and append to the audit log, nothing else', () => {
    const trust = statements(template).filter((s) => s.logicalId === 'RetryRole' && s.property === 'AssumeRolePolicyDocument');
    expect(vault.operators.retry).toEqual(vault.operators.restore);
    expect(trust.map((s) => [s.statement.Principal, s.statement.Condition])).toEqual([
      [{ AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } }, { ArnLike: { 'aws:PrincipalArn': vault.operators.retry } }],
    ]);
    const grants = statements(template).filter(
      (s) => s.logicalId === 'RetryRole' && s.property === 'PolicyDocument' && s.statement.Effect === 'Allow',
    );
    // The catalog's by-state index finds failed points; the audit log's indexes are not needed (check:iam's retry step).
    expect(grants.map((s) => [s.statement.Sid, list(s.statement.Action)])).toEqual([
      ['ReadAndWriteTheCatalog', ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
      ['QueryTheCatalogIndexes', ['dynamodb:Query']],
      ['ReadTheAuditLog', ['dynamodb:Query']],
      ['AppendToTheAuditLog', ['dynamodb:PartiQLInsert']],
    ]);
  });

  it('shares a restore copy only with the recovery account it is tagged for, and assumes only recovery roles', () => {
    const sharing = statements(template).filter(
      (s) =>
        s.logicalId === 'RestoreRole' &&
        list(s.statement.Action).some((a) => a === 'ec2:ModifySnapshotAttribute' || a === 'ec2:ModifyImageAttribute'),
    );
    // One statement per action and resource type, whatever the number of recovery accounts.
    expect(sharing.map((s) => [list(s.statement.Action), s.statement.Resource])).toEqual([
      [['ec2:ModifySnapshotAttribute'], `arn:aws:ec2:${vault.regions[0]}::snapshot/*`],
      [['ec2:ModifyImageAttribute'], `arn:aws:ec2:${vault.regions[0]}::image/*`],
    ]);
    for (const s of sharing) {
      // Snapshots: the account added must be the one the copy's own tag names (a policy variable).
      // ModifyImageAttribute carries no ec2:Add/userId, so images go by their tag alone.
      if (list(s.statement.Action).includes('ec2:ModifyImageAttribute'))
        expect(s.statement.Condition).toEqual({ Null: { [`aws:ResourceTag/${TAG.restoreFor}`]: 'false' } });
      else {
        expect(s.statement.Condition?.StringEquals, s.statement.Sid).toEqual({
          'ec2:Add/userId': { 'Fn::Sub': `\${!aws:ResourceTag/${TAG.restoreFor}}` },
        });
        expect(s.statement.Condition?.Null).toMatchObject({ 'ec2:Add/group': 'true', [`aws:ResourceTag/${TAG.restoreFor}`]: 'false' });
      }
    }
    const assume = statements(template).filter((s) => s.logicalId === 'RestoreRole' && list(s.statement.Action).includes('sts:AssumeRole'));
    expect(assume.flatMap((s) => list(s.statement.Resource as string[]))).toEqual(['arn:aws:iam::*:role/backup-hub-recovery']);
  });

  it('creates one restore key per recovery account, which names only the vault and that account', () => {
    const keys = resourcesOfType(template, 'AWS::KMS::Key').filter(([id]) => id.startsWith('RestoreKey'));
    expect(keys.map(([id]) => id)).toEqual(accounts.recovery.map((r) => `RestoreKey${r.id}`));
    expect(resource(template, `RestoreKeyAlias${recoveryAccount.id}`).Properties).toEqual({
      AliasName: `alias/backup-hub-restore-${recoveryAccount.id}`,
      TargetKeyId: { Ref: `RestoreKey${recoveryAccount.id}` },
    });
    const policy = statements(template).filter((s) => s.logicalId === `RestoreKey${recoveryAccount.id}`);
    const accountIds = new Set(
      policy.flatMap((s) => strings(s.statement as unknown as Json)).flatMap((text) => text.match(/\b\d{12}\b/g) ?? []),
    );
    expect(accountIds).toEqual(new Set([vault.id, recoveryAccount.id]));
    const forRecovery = policy.filter((s) => JSON.stringify(s.statement.Principal).includes(recoveryAccount.id));
    expect(new Set(forRecovery.flatMap((s) => list(s.statement.Action)))).toEqual(
      new Set(['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant']),
    );
    // The recovery account uses its restore key through EC2 and RDS only: never a direct Decrypt.
    for (const s of forRecovery)
      expect(s.statement.Condition?.StringEquals?.['kms:ViaService'], s.statement.Sid).toEqual([
        `ec2.${vault.regions[0]}.amazonaws.com`,
        `rds.${vault.regions[0]}.amazonaws.com`,
      ]);
    for (const s of policy.filter(
      (x) =>
        JSON.stringify(x.statement.Principal).includes('AWS::AccountId') &&
        list(x.statement.Action).some((a) => /Encrypt|GenerateDataKey|CreateGrant/.test(a)),
    )) {
      expect(s.statement.Condition?.ArnEquals?.['aws:PrincipalArn'], s.statement.Sid).toBe(restoreRole);
    }
  });

  it("gives a recovery account only the recovery role: trusted by the vault's restore role with the ExternalId, writing parameters and rebuilding there", () => {
    expect(resourcesOfType(recovery, 'AWS::Lambda::Function')).toEqual([]);
    expect(resourcesOfType(recovery, 'AWS::IAM::Role').map(([, r]) => r.Properties!.RoleName)).toEqual(['backup-hub-recovery']);
    const trust = statements(recovery).filter((s) => s.logicalId === 'RecoveryRole' && s.property === 'AssumeRolePolicyDocument');
    expect(trust.map((s) => s.statement)).toEqual([
      expect.objectContaining({
        Principal: { AWS: `arn:aws:iam::${vault.id}:root` },
        Condition: {
          StringEquals: { 'sts:ExternalId': vault.externalId, 'aws:PrincipalOrgID': vault.organizationId },
          // Both restore roles: the vault region's, and the DR region's (`restore --from-region`).
          ArnEquals: { 'aws:PrincipalArn': [restoreRole, `${restoreRole}-dr`] },
        },
      }),
    ]);
    const grants = statements(recovery).filter((s) => s.logicalId === 'RecoveryRole' && s.property === 'PolicyDocument');
    expect(grants.slice(0, 2).map((s) => [list(s.statement.Action), s.statement.Resource])).toEqual([
      [['ssm:PutParameter', 'ssm:GetParameter'], `arn:aws:ssm:${vault.regions[0]}:${recoveryAccount.id}:parameter/*`],
      // A restore from the DR region writes parameters there.
      [['ssm:PutParameter', 'ssm:GetParameter'], `arn:aws:ssm:${vault.drRegion}:${recoveryAccount.id}:parameter/*`],
    ]);
    // The rebuild (restore --rebuild): creates in the account only, starting from what the vault shared; deletes and modifies nothing.
    const rebuild = grants.slice(2).map((s) => s.statement);
    expect(rebuild.map((s) => s.Sid)).toEqual([
      'RebuildDescribesWhatItMade',
      'RebuildCreatesTheNetworkInstancesAndVolumes',
      'RebuildTagsWhatItCreates',
      'RebuildRestoresTheDatabases',
      'RebuildPassesTheInstanceProfilesRoles',
    ]);
    const actions = rebuild.flatMap((s) => list(s.Action));
    expect(actions.filter((a) => /:(Delete|Modify|Terminate|Stop|Revoke|Detach)/.test(a))).toEqual([]);
    for (const s of rebuild.filter((x) => x.Resource !== '*'))
      for (const r of list(s.Resource))
        expect(r, s.Sid).toMatch(new RegExp(`:(${recoveryAccount.id}|${vault.id})?:|::(image|snapshot)/\\*$`));
  });
});

describe('vault stack: key and tables', () => {
  it('encrypts with a rotating vault key, kept when the stack goes, aliased alias/backup-hub-vault', () => {
    const key = resource(template, 'VaultKey');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key).toMatchObject({ DeletionPolicy: 'Retain' });
    expect(resource(template, 'VaultKeyAlias').Properties).toEqual({
      AliasName: 'alias/backup-hub-vault',
      TargetKeyId: { Ref: 'VaultKey' },
    });
  });

  it('names no other account in the vault key policy', () => {
    const keyStatements = statements(template).filter((s) => s.logicalId === 'VaultKey' && isKeyPolicy(s));
    expect(keyStatements.length).toBeGreaterThan(0);
    for (const s of keyStatements) {
      expect(s.statement.Principal, s.statement.Sid).toEqual({ AWS: { 'Fn::Sub': 'arn:aws:iam::${AWS::AccountId}:root' } });
      const accountIds = strings(s.statement as unknown as Json).flatMap((text) => text.match(/\b\d{12}\b/g) ?? []);
      expect(new Set(accountIds), s.statement.Sid).toEqual(new Set(accountIds.length ? [vault.id] : []));
    }
  });

  it('lets only the vault handler roles and the restore role use the vault key, and only through EC2, RDS, S3 or (the migration) SSM', () => {
    const use = statements(template).filter(
      (s) => s.logicalId === 'VaultKey' && list(s.statement.Action).some((a) => /Decrypt|Encrypt|GenerateDataKey|CreateGrant/.test(a)),
    );
    // The reconciler uses it through the kinds' roles.
    const handlerRoles = handlerKinds.map((k) => `arn:aws:iam::${vault.id}:role/backup-hub-${k}`);
    const restoreRole = `arn:aws:iam::${vault.id}:role/backup-hub-restore`;
    const drRestoreRole = `arn:aws:iam::${vault.id}:role/backup-hub-restore-dr`;
    // The configuration capture encrypts its documents in the store, through S3 only.
    const captureRole = `arn:aws:iam::${vault.id}:role/backup-hub-config-capture`;
    const byCapture = use.filter((s) => list(s.statement.Condition?.ArnEquals?.['aws:PrincipalArn'] as string).includes(captureRole));
    expect(byCapture.map((s) => [s.statement.Action, s.statement.Condition?.StringEquals?.['kms:ViaService']])).toEqual([
      ['kms:GenerateDataKey', `s3.${vault.regions[0]}.amazonaws.com`],
    ]);
    expect(use.length).toBeGreaterThan(0);
    const services = ['ec2', 'rds', 's3', 'ssm'].map((service) => `${service}.${vault.regions[0]}.amazonaws.com`);
    for (const s of use) {
      const principals = list(s.statement.Condition?.ArnEquals?.['aws:PrincipalArn'] as string | string[] | undefined);
      expect(principals.length, s.statement.Sid).toBeGreaterThan(0);
      // The DR region's restore role too: a restore that lands there copies this region's vault copies across.
      for (const principal of principals)
        expect([...handlerRoles, restoreRole, drRestoreRole, captureRole], s.statement.Sid).toContain(principal);
      // Only the SSM kind's role decrypts through SSM: the reconciler, acting through it, moves the legacy vault parameters into the store.
      const via = list(s.statement.Condition?.StringEquals?.['kms:ViaService'] as string | string[] | undefined);
      if (via.some((v) => v.startsWith('ssm.')))
        expect(principals, s.statement.Sid).toEqual([`arn:aws:iam::${vault.id}:role/backup-hub-ssm-parameter`]);
      const throughAService = via.length > 0 && via.every((v) => services.includes(v));
      expect(throughAService || s.statement.Condition?.Bool?.['kms:GrantIsForAWSResource'] === 'true', s.statement.Sid).toBe(true);
    }
    expect(
      use.filter((s) => s.statement.Condition?.ArnEquals?.['aws:PrincipalArn'] === restoreRole).flatMap((s) => list(s.statement.Action)),
    ).not.toContain('kms:Encrypt');
    const roleNames = resourcesOfType(template, 'AWS::IAM::Role').map(
      ([, r]) => `arn:aws:iam::${vault.id}:role/${r.Properties!.RoleName as string}`,
    );
    // The pruner deletes copies and never reads one, the RPO check reads the catalog only, the sweeps list and describe: none uses the key.
    expect(new Set(roleNames)).toEqual(
      new Set([
        ...handlerRoles,
        restoreRole,
        // The DR region's restore role: it uses this key only to copy vault copies into its region (a restore there).
        drRestoreRole,
        ...[
          'backup-hub-reconciler',
          'backup-hub-pruner',
          'backup-hub-legal-hold',
          'backup-hub-retry',
          'backup-hub-rpo-check',
          'backup-hub-sweep',
          'backup-hub-integrity',
          'backup-hub-audit-anchor',
          'backup-hub-config-capture',
        ].map((name) => `arn:aws:iam::${vault.id}:role/${name}`),
      ]),
    );
  });

  it("signs the audit log's head every hour with a P-256 key only the audit anchor role may sign with, into a compliance-locked bucket", () => {
    const anchorRole = `arn:aws:iam::${vault.id}:role/backup-hub-audit-anchor`;
    expect(scheduleOf('AuditDashanchor')).toBe('rate(60 minutes)');
    expect(resource(template, 'AuditAnchorKey').Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const keyStatements = statements(template)
      .filter((s) => s.logicalId === 'AuditAnchorKey')
      .map((s) => s.statement);
    const signers = keyStatements.filter((s) => list(s.Action).some((a) => a === 'kms:Sign' || a === 'kms:*'));
    expect(signers.map((s) => [s.Effect, s.Condition?.ArnEquals ?? s.Condition?.ArnNotEquals])).toEqual([
      ['Allow', { 'aws:PrincipalArn': anchorRole }],
      ['Deny', { 'aws:PrincipalArn': anchorRole }],
    ]);
    const roleSigners = resourcesOfType(template, 'AWS::IAM::Role')
      .filter(([id]) => roleActions(template, id).some((a) => a === 'kms:Sign'))
      .map(([id]) => id);
    expect(roleSigners).toEqual(['AuditAnchorRole']);
    expect(resource(template, 'AuditAnchorBucket').Properties).toMatchObject({
      BucketName: `backup-hub-audit-anchors-${vault.id}-${vault.regions[0]}`,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('keeps SSM parameter versions in a locked, versioned bucket under the vault key that nobody may bypass the lock of', () => {
    const bucket = resource(template, 'SsmStoreBucket');
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucket.Properties).toMatchObject({
      BucketName: ssmStoreBucket(vault.id, vault.regions[0]!),
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: accounts.vault.lock!.minRetentionDays } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['VaultKey', 'Arn'] } } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const denies = statements(template)
      .filter((s) => s.logicalId === 'SsmStoreBucketPolicy')
      .map((s) => s.statement);
    expect(denies.every((s) => s.Effect === 'Deny')).toBe(true);
    expect(denies.map((s) => s.Action)).toEqual(['s3:*', 's3:BypassGovernanceRetention']);
    // Only the pruner deletes, one version at a time.
    const deleters = statements(template).filter(
      (s) => s.property === 'PolicyDocument' && list(s.statement.Action).some((a) => a.startsWith('s3:Delete')),
    );
    expect(deleters.map((s) => [s.logicalId, s.statement.Action])).toEqual([
      ['PrunerRole', 's3:DeleteObjectVersion'],
      ['PrunerRole', 's3:DeleteObjectVersion'], // in the DR region's store
    ]);
  });

  it("holds, in the DR region's stack, the DR vault key under the same alias and the SSM store's copy under it, and nothing else", () => {
    const dr = renderAccount('vault', { accounts, region: vault.drRegion });
    const own = Object.keys(dr.Resources).filter((id) => !id.startsWith('ServerlessDeploymentBucket'));
    const restoreKeys = accounts.recovery.flatMap((r) => [`RestoreKey${r.id}`, `RestoreKeyAlias${r.id}`]);
    expect(own.sort()).toEqual(['SsmStoreBucket', 'SsmStoreBucketPolicy', 'VaultKey', 'VaultKeyAlias', ...restoreKeys].sort());
    expect(resource(dr, 'VaultKeyAlias').Properties).toEqual({ AliasName: 'alias/backup-hub-vault', TargetKeyId: { Ref: 'VaultKey' } });
    expect(resource(dr, 'SsmStoreBucket').Properties).toMatchObject({
      BucketName: ssmStoreBucket(vault.id, vault.drRegion!),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['VaultKey', 'Arn'] } } },
        ],
      },
    });
    // The key is used through the services of its own region only.
    const vias = JSON.stringify(resource(dr, 'VaultKey').Properties.KeyPolicy).match(/[a-z0-9]+\.[a-z]+-[a-z]+-\d\.amazonaws\.com/g) ?? [];
    expect(vias.length).toBeGreaterThan(0);
    expect(vias.every((via) => via.includes(`.${vault.drRegion}.`))).toBe(true);
  });

  it("holds, in a recovery account's region that is not the vault's, that account's restore key only, which both restore roles encrypt under there", () => {
    const withThirdRegion = accountsFor({
      vault: { account: vault.id, region: vault.regions[0]!, drRegion: vault.drRegion },
      sources: [{ account: '111111111111', regions: [vault.regions[0]!] }],
      recovery: [{ account: '444444444444', regions: [vault.regions[0]!, 'us-east-1'] }, { account: '555555555555' }],
    });
    const restoreRegion = renderAccount('vault', { accounts: withThirdRegion, region: 'us-east-1' });
    const own = Object.keys(restoreRegion.Resources).filter((id) => !id.startsWith('ServerlessDeploymentBucket'));
    expect(own.sort()).toEqual(['RestoreKey444444444444', 'RestoreKeyAlias444444444444']);
    const encrypting = statements(restoreRegion).find((s) => s.statement.Sid === 'TheRestoreRoleEncryptsRestoreCopies')!.statement;
    expect(encrypting.Condition?.ArnEquals?.['aws:PrincipalArn']).toEqual(
      [NAMES.restoreRole, NAMES.drRestoreRole].map((name) => `arn:aws:iam::${vault.id}:role/${name}`),
    );
    expect(encrypting.Condition?.StringEquals?.['kms:ViaService']).toEqual(['ec2.us-east-1.amazonaws.com', 'rds.us-east-1.amazonaws.com']);
  });

  it('keeps the catalog and audit log safe in each replica (the vault region and its DR region): point-in-time recovery, deletion protection, encryption', () => {
    const safe = { DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } };
    for (const id of ['CatalogTable', 'AuditTable']) {
      const table = resource(template, id);
      expect(table).toMatchObject({ Type: 'AWS::DynamoDB::GlobalTable', DeletionPolicy: 'Retain' });
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        Replicas: [
          { Region: vault.regions[0], ...safe },
          { Region: vault.drRegion, ...safe },
        ],
      });
    }
    // Without a DR region, plain tables.
    const { drRegion: _dr, ...single } = vault;
    const plain = renderAccount('vault', { accounts: { ...accounts, vault: single } });
    expect(resource(plain, 'CatalogTable')).toMatchObject({ Type: 'AWS::DynamoDB::Table', Properties: safe });
  });

  it('lets the DR restore role read the catalog and append to the audit log in their DR replicas, which a restore from there uses while the vault region is down', () => {
    const drRestore = statements(template)
      .filter((s) => s.logicalId === 'DrRestoreRole' && s.property === 'PolicyDocument')
      .map((s) => s.statement);
    const table = (name: string) => `arn:aws:dynamodb:${vault.drRegion}:${vault.id}:table/${name}`;
    expect(drRestore).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['dynamodb:GetItem'], Resource: table(NAMES.catalogTable) }),
        expect.objectContaining({ Action: 'dynamodb:Query', Resource: `${table(NAMES.catalogTable)}/index/*` }),
        expect.objectContaining({ Action: 'dynamodb:Query', Resource: table(NAMES.auditTable) }),
        // Inserts only, as every writer of the audit log (PartiQL INSERT never overwrites).
        expect.objectContaining({ Action: 'dynamodb:PartiQLInsert', Resource: table(NAMES.auditTable) }),
      ]),
    );
  });

  it('gives the catalog and the audit log the keys and indexes the code queries', () => {
    const keys = (id: string) => {
      const p = resource(template, id).Properties;
      const types = Object.fromEntries(
        (p.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).map((a) => [a.AttributeName, a.AttributeType]),
      );
      const schema = (s: { AttributeName: string; KeyType: string }[]) =>
        s.map((k) => `${k.AttributeName}:${types[k.AttributeName]}:${k.KeyType}`);
      return {
        table: schema(p.KeySchema as never),
        indexes: Object.fromEntries(
          (p.GlobalSecondaryIndexes as { IndexName: string; KeySchema: never; Projection: { ProjectionType: string } }[]).map((i) => [
            i.IndexName,
            [...schema(i.KeySchema), i.Projection.ProjectionType],
          ]),
        ),
      };
    };
    expect(keys('CatalogTable')).toEqual({
      table: ['pk:S:HASH'],
      indexes: {
        byResource: ['resourcePk:S:HASH', 'createdAt:S:RANGE', 'ALL'],
        byAccount: ['account:S:HASH', 'createdAt:S:RANGE', 'ALL'],
        byState: ['openState:S:HASH', 'updatedAt:S:RANGE', 'ALL'],
        latestAvailable: ['availableResourcePk:S:HASH', 'createdAt:S:RANGE', 'ALL'],
        inventory: ['inventoryAccount:S:HASH', 'resourcePk:S:RANGE', 'ALL'],
        protectedResources: ['protectedAccount:S:HASH', 'resourcePk:S:RANGE', 'ALL'],
      },
    });
    expect(keys('AuditTable')).toEqual({
      table: ['chain:S:HASH', 'seq:N:RANGE'],
      indexes: { byEvent: ['eventId:S:HASH', 'seq:N:RANGE', 'ALL'], byDecision: ['decision:S:HASH', 'at:S:RANGE', 'ALL'] },
    });
  });
});

// ---------------------------------------------------------------- IAM vs. code

/**
 * The IAM actions the packaged stacks grant the handlers (their roles and the sources' reader
 * role) equal the AWS calls the code makes: a new SDK call without a permission fails here, and
 * so does a permission no code uses. The calls are read from the source: every `new XCommand(`
 * of an AWS SDK client in shared/ and handlers/.
 */
/** lib-dynamodb's document commands and the DynamoDB actions they call. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  // The hub's one PartiQL statement is an INSERT (shared/audit/audit-log.ts insertInto).
  ExecuteStatement: 'PartiQLInsert',
};
/**
 * API actions IAM authorizes as another: "setting permissions for SendMessage, DeleteMessage, or
 * ChangeMessageVisibility sets permissions for the corresponding batch versions" (SQS Developer
 * Guide, "Amazon SQS batch actions").
 */
const AUTHORIZED_AS: Record<string, string> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
};
/** SDK client package → IAM service prefix, where they differ. */
const SERVICE_PREFIX: Record<string, string> = { eventbridge: 'events' };
/**
 * S3 authorizes an operation as an action of another name (Service Authorization Reference, Amazon S3);
 * the hub reads and deletes stored parameter versions by version id.
 */
const S3_ACTIONS: Record<string, string> = {
  HeadObject: 'GetObject',
  GetObject: 'GetObjectVersion',
  DeleteObject: 'DeleteObjectVersion',
  ListObjectVersions: 'ListBucketVersions',
};

/**
 * Granted but never called by the code itself, and why. Everything else granted must be called.
 */
const IMPLIED: Record<string, string> = {
  'logs:CreateLogStream': 'the Lambda runtime writes the function logs with the function role',
  'logs:PutLogEvents': 'the Lambda runtime writes the function logs with the function role',
  'sqs:ReceiveMessage': 'the SQS event source mapping polls the queue with the function role',
  'sqs:DeleteMessage': 'the SQS event source mapping deletes processed messages with the function role',
  'sqs:GetQueueAttributes': 'the SQS event source mapping reads the queue with the function role',
  'ec2:CreateTags': 'CopySnapshot with TagSpecifications is also authorized as ec2:CreateTags (ec2:CreateAction = CopySnapshot)',
  'kms:Decrypt': "EC2 calls KMS with the caller's permissions to read an encrypted snapshot during CopySnapshot",
  'kms:ReEncrypt*': "EC2 calls KMS with the caller's permissions to re-encrypt during CopySnapshot",
  'kms:GenerateDataKeyWithoutPlaintext': "EC2 calls KMS with the caller's permissions for the encrypted copy",
  'kms:GenerateDataKey*':
    'the EBS User Guide lists GenerateDataKey and GenerateDataKeyWithoutPlaintext for users of a shared customer managed key',
  'kms:CreateGrant': 'EC2 creates a grant for the encrypted copy (only with kms:GrantIsForAWSResource)',
  'kms:GenerateDataKey': "S3 calls KMS with the caller's permissions to encrypt an SSE-KMS object in PutObject",
  's3:ListBucket':
    'S3 answers the HeadObject of a key that does not exist with 404 only for a caller allowed s3:ListBucket (403 otherwise)',
  'sts:SetSourceIdentity': 'AssumeRole with SourceIdentity is also authorized as sts:SetSourceIdentity',
  'rds:AddTagsToResource': 'CopyDBSnapshot / CopyDBClusterSnapshot with Tags is also authorized as rds:AddTagsToResource',
  'iam:PassRole': "RunInstances with an instance profile passes the profile's role to EC2 (the rebuild)",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every AWS action the code calls, with the files that call it. */
function actionsCalledByCode(): Map<string, Set<string>> {
  const calls = new Map<string, Set<string>>();
  // Doctor runs with the operator's credentials (its DryRuns as the roles it checks): no hub role needs its calls.
  const operatorOnly = join(ROOT, 'shared', 'doctor');
  for (const file of [...sourceFiles(join(ROOT, 'shared')), ...sourceFiles(join(ROOT, 'handlers'))]) {
    if (file.startsWith(operatorOnly)) continue;
    const text = readFileSync(file, 'utf8');
    const imported = new Map<string, string>(); // local name → IAM action
    for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-([\w-]+)|lib-dynamodb)'/g)) {
      const service = match[3] ? (SERVICE_PREFIX[match[3]] ?? match[3]) : 'dynamodb';
      for (const spec of match[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (spec.startsWith('type ')) continue;
        const [name, alias] = spec.split(/\s+as\s+/);
        const command = /^(\w+)Command$/.exec(name!)?.[1];
        if (!command) continue;
        const action = match[3] ? (service === 's3' ? (S3_ACTIONS[command] ?? command) : command) : DOCUMENT_COMMANDS[command];
        if (!action) throw new Error(`${relative(ROOT, file)}: no DynamoDB action known for ${name}; add it to DOCUMENT_COMMANDS`);
        imported.set(alias ?? name!, AUTHORIZED_AS[`${service}:${action}`] ?? `${service}:${action}`);
      }
    }
    for (const [local, action] of imported) {
      if (new RegExp(`new\\s+${local}\\s*\\(`).test(text)) {
        if (!calls.has(action)) calls.set(action, new Set());
        calls.get(action)!.add(relative(ROOT, file));
      }
    }
  }
  return calls;
}

/** Every role that runs the hub's code: the kinds' (the reconciler and the sweeps act through them), the reconciler, the pruner, the RPO check, the sweeps, the restore, legal hold and retry roles, the sources' readers, the recovery role. */
const allGranted = () => [
  ...handlerKinds.flatMap((k) => [...roleActions(template, `${pascal(k)}Role`), ...roleActions(source, `${pascal(k)}ReaderRole`)]),
  ...roleActions(template, 'ReconcilerRole'),
  ...roleActions(template, 'PrunerRole'),
  ...roleActions(template, 'RpoCheckRole'),
  ...roleActions(template, 'SweepRole'),
  ...roleActions(template, 'IntegrityRole'),
  ...roleActions(template, 'AuditAnchorRole'),
  ...roleActions(template, 'RestoreRole'),
  ...roleActions(template, 'LegalHoldRole'),
  ...roleActions(template, 'RetryRole'),
  ...roleActions(template, 'ConfigCaptureRole'),
  ...roleActions(source, 'ConfigReaderRole'),
  ...roleActions(recovery, 'RecoveryRole'),
];

describe('IAM grants vs. the AWS calls in the code', () => {
  const called = actionsCalledByCode();

  it('finds the calls of the code (the scan itself works)', () => {
    expect(called.get('ec2:CopySnapshot')).toEqual(new Set(['shared/kinds/ebs-snapshot/ebs-snapshot.ts']));
    expect(called.get('dynamodb:Query')?.size).toBeGreaterThanOrEqual(2);
  });

  it('grants every call the code makes', () => {
    const granted = new Set([...allGranted()]);
    const missing = [...called]
      .filter(([action]) => !granted.has(action))
      .map(([action, files]) => `${action} (called in ${[...files].join(', ')})`);
    expect(missing, 'calls without a permission').toEqual([]);
  });

  it('grants nothing the code does not call, except what AWS uses on its behalf', () => {
    const granted = new Set([...allGranted()]);
    const unused = [...granted].filter((action) => !called.has(action) && !(action in IMPLIED));
    expect(unused, 'permissions no code uses').toEqual([]);
  });

  it('gives the reconciler no queue access: it reads no queue', () => {
    expect(roleActions(template, 'ReconcilerRole').filter((a) => a.startsWith('sqs:'))).toEqual([]);
  });
});

describe('vault stack: RPO metrics, alarms and the dashboard', () => {
  const manySources = (n: number) =>
    accountsFor({
      vault: { account: '999999999999', region: 'eu-west-1' },
      sources: Array.from({ length: n }, (_, i) => ({ account: String(100000000000 + i), regions: ['eu-west-1'] })),
    });

  it('runs the RPO check every 15 minutes, one run at a time, with the targets and silence hours of the account files', () => {
    expect(scheduleOf('RpoDashcheck')).toBe('rate(15 minutes)');
    const fn = resource(template, 'RpoDashcheckLambdaFunction').Properties;
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    const variables = (fn.Environment as { Variables: Record<string, Json> }).Variables;
    // From the source records, as the retention: nothing in its environment grows with the sources.
    const settings = rpoSettings(sourceRecords());
    expect(Object.keys(settings).sort()).toEqual([...vault.allowedSources].sort());
    expect(settings['333333333333']).toMatchObject({ name: 'source-c', silenceHours: 2, rpoHours: { 'ebs-snapshot': 1 } });
    // Twice the smallest target when the file says nothing: source-a's EBS target is 12 hours.
    expect(settings['111111111111']?.silenceHours).toBe(24);
    expect(variables.ALARM_TOPIC_ARN).toEqual({ Ref: 'AlarmTopic' });
  });

  it('lets the RPO check query only the protected resources and write only the per-source alarms, by their prefix', () => {
    const actions = roleActions(template, 'RpoCheckRole');
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((a) => a.startsWith('cloudwatch:')).sort()).toEqual([
      'cloudwatch:DeleteAlarms',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:PutMetricAlarm',
    ]);
    const own = statements(template)
      .filter((s) => s.logicalId === 'RpoCheckRole' && s.property === 'PolicyDocument')
      .map((s) => s.statement);
    const alarmStatement = own.find((s) => list(s.Action).includes('cloudwatch:PutMetricAlarm'))!;
    expect(alarmStatement.Resource).toBe(`arn:aws:cloudwatch:eu-west-1:${vault.id}:alarm:backup-hub-source-*`);
    const query = own.find((s) => list(s.Action).includes('dynamodb:Query'))!;
    expect(query.Resource).toEqual({ 'Fn::Sub': '${CatalogTable.Arn}/index/protectedResources' });
  });

  it('pages on any source over its RPO target and on an RPO check that stopped running, into the alarm topic', () => {
    expect(resource(template, 'RpoBreachedAlarm').Properties).toMatchObject({
      Namespace: 'backup-hub',
      MetricName: 'ResourcesOverRpo',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(resource(template, 'RpoCheckSilentAlarm').Properties).toMatchObject({
      MetricName: 'RpoChecks',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('holds a dashboard of protection, time to protection, copy slots, throttling, dead letters and failures, the same size for 300 sources', () => {
    const bodyOf = (t: typeof template) => String(resource(t, 'Dashboard').Properties.DashboardBody);
    const body = JSON.parse(bodyOf(template)) as { widgets: { properties: { title?: string } }[] };
    const titles = body.widgets.map((w) => w.properties.title ?? '').join('\n');
    for (const topic of [
      'RPO target, per account',
      'Time to protection',
      'Copy slots in use',
      'Throttled',
      'Dead-letter queue depth',
      'failed, by reason',
    ])
      expect(titles).toContain(topic);
    expect(body.widgets.length).toBeLessThanOrEqual(500);
    const large = renderAccount('vault', { accounts: manySources(300) });
    expect(bodyOf(large).length).toBe(bodyOf(renderAccount('vault', { accounts: manySources(3) })).length);
  });

  it("stays within CloudFormation's 500 resources per stack at 300 sources: the per-source alarms are not in the template", () => {
    // Beside the source records, which hold several sources each (see above).
    const count = (n: number) =>
      Object.values(renderAccount('vault', { accounts: manySources(n) }).Resources).filter((r) => r.Type !== 'AWS::SSM::Parameter').length;
    expect(count(300)).toBe(count(3));
    expect(Object.keys(renderAccount('vault', { accounts: manySources(300) }).Resources).length).toBeLessThan(0.8 * 500);
  });
});
