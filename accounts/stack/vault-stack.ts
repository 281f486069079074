import { anchorEnvironment } from '../../shared/audit/anchor-settings.js';
import { CHAIN } from '../../shared/audit/audit-log.js';
import {
  type AccountsConfig,
  effectiveTargets,
  restoreRegions,
  silenceHours,
  sweepSettings,
  type VaultAccount,
} from '../../shared/config/accounts.js';
import { hubEnvironment } from '../../shared/config/hub-config.js';
import type { SourceRecord } from '../../shared/config/source-registry.js';
import { PENDING_CAP } from '../../shared/core/copy-quota.js';
import { all, type Condition, type RestoreScope, type VaultScope } from '../../shared/kinds/common/manifest.js';
import { grantForAwsResource, keysOf } from '../../shared/kinds/common/statements.js';
import { KINDS } from '../../shared/kinds/index.js';
import { MIGRATION_REASON } from '../../shared/kinds/ssm-parameter/manifest.js';
import { LINE_KEY, OVER_CAP_KEY } from '../../shared/pipeline/fair-share.js';
import { MIGRATION_CURSOR_KEY } from '../../shared/pipeline/migrate-ssm-store.js';
import { HOLD_PREFIX } from '../../shared/retention/hold-ledger.js';
import { lockEnvironment } from '../../shared/retention/retention-settings.js';
import { VAULT_LOCK_KEY } from '../../shared/retention/vault-lock.js';
import { sweepEnvironment } from '../../shared/sweep/sweep-settings.js';
import { auditAnchorResources } from './audit-anchor.js';
import {
  type EventPattern,
  getAtt,
  type PolicyDocument,
  policy,
  type Resource,
  ref,
  type Statement,
  sub,
  THIS_ACCOUNT_ROOT,
  type Value,
} from './cloudformation.js';
import { dashboard, rpoAlarms, sourceAlarmStatements } from './monitoring.js';
import {
  AUDIT_ANCHOR,
  auditAnchorBucket,
  CONFIG_CAPTURE,
  CONFIG_CAPTURE_HOURS,
  CONFIG_PREFIX,
  functionName,
  INTEGRITY,
  kindRoleName,
  MAX_RECEIVE_COUNT,
  NAMES,
  normalizedFunctionName,
  PRUNER,
  queueName,
  RECONCILER,
  RPO_CHECK,
  readerRoleName,
  roleArn,
  SOURCES_PATH,
  SWEEP,
  ssmStoreBucket,
  VISIBILITY_FACTOR,
} from './names.js';
import {
  alarm,
  keyAdministration,
  keyUseBy,
  LAMBDA_TRUST,
  objectLockBucket,
  operatorTrust,
  pascal,
  prefixSids,
  role,
  VAULT_FUNCTION_IDENTITY,
  withoutRepeats,
} from './policies.js';
import type { FunctionModel, ServiceModel } from './service.js';

type Kind = (typeof KINDS)[number];

/**
 * The vault's stack: the bus and its policy; per kind a rule, a queue and its DLQ, a handler with
 * its own role, and their alarms; the reconciler and the pruner; the vault key and a restore key
 * per recovery account; the operators' restore, legal hold and retry roles; the catalog and the audit log.
 */
export function buildVault(
  config: AccountsConfig,
  { stage, region }: { stage: string; region: string },
): Pick<ServiceModel, 'functions' | 'resources'> {
  const { vault } = config;
  const recoveryIds = config.recovery.map((r) => r.id);
  // In an organization, statements that reach into the sources stay inside it; no statement lists the sources.
  const inSources: Condition = vault.organizationId ? { StringEquals: { 'aws:ResourceOrgID': vault.organizationId } } : {};
  const scope: VaultScope = { vaultAccount: vault.id, vaultRegion: region, vaultKeyArn: getAtt('VaultKey'), inSources };
  const restoreRoleArn = roleArn(vault.id, NAMES.restoreRole);
  /** The functions that act for every kind through that kind's role: the reconciler and the two sweeps. */
  const actingRoleArns = [NAMES.reconcilerRole, NAMES.sweepRole, NAMES.integrityRole].map((name) => roleArn(vault.id, name));
  const kindRoleArns = KINDS.map((k) => roleArn(vault.id, kindRoleName(k.module.name)));
  // The kinds whose role moves what an earlier release stored (the reconciler acts through it).
  const migrationRoleArns = KINDS.filter((k) => k.manifest.migration).map((k) => roleArn(vault.id, kindRoleName(k.module.name)));
  const sourceRecords = `arn:aws:ssm:${region}:${vault.id}:parameter${SOURCES_PATH}`;
  /** Every function reads the records of the sources (the parameters under one path). */
  const readSourceRecords: Statement = {
    Sid: 'ReadTheSourceRecords',
    Effect: 'Allow',
    Action: 'ssm:GetParametersByPath',
    Resource: [sourceRecords.slice(0, -1), `${sourceRecords}*`],
  };
  const logsOf = (key: string): Statement => {
    const group = `arn:aws:logs:${region}:${vault.id}:log-group:/aws/lambda/${functionName(stage, key)}`;
    return {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`${group}:*`, `${group}:*:*`],
      Reason:
        "the Lambda runtime writes the function's log stream to CloudWatch Logs with its role; the simulated cloud runs no CloudWatch Logs",
    };
  };
  /**
   * What a kind's role does besides its kind's statements: its logs, the kind's reader role in the
   * sources (with a source identity), the source records, the catalog and the append-only audit log.
   */
  const copyStatements = (kind: string): Statement[] => [
    logsOf(kind),
    {
      Sid: 'AssumeTheKindsReaderRoles',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: roleArn('*', readerRoleName(kind)),
      ...(Object.keys(inSources).length ? { Condition: inSources } : {}),
    },
    readSourceRecords,
    ...tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], { indexes: false }),
    ...catalogGuards({ holds: true }),
  ];
  const hub = {
    vaultAccountId: vault.id,
    vaultKeyArn: getAtt('VaultKey'),
    catalogTable: ref('CatalogTable'),
    auditTable: ref('AuditTable'),
    readerRoleName: NAMES.readerRole,
    externalId: vault.externalId,
    shareKeyAlias: NAMES.shareKeyAlias,
    sourcesPath: SOURCES_PATH,
    maxReceiveCount: String(MAX_RECEIVE_COUNT),
    ...(vault.lock?.coolOffHours === undefined ? {} : { lockCoolOffHours: String(vault.lock.coolOffHours) }),
    ...(vault.drRegion ? { drRegion: vault.drRegion } : {}),
  };
  const environment = hubEnvironment<Value>(hub);
  /** The environment of a function that acts for each kind through the kind's role. */
  const actingEnvironment = hubEnvironment<Value>({ ...hub, kindRolePrefix: `${NAMES.service}-` });
  /** Such a function may assume each kind's role, with its name as source identity (the kinds' roles trust it). */
  const actAsEachKindsRole: Statement = {
    Sid: 'ActAsEachKindsRole',
    Effect: 'Allow',
    Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
    Resource: kindRoleArns,
  };

  const functions: Record<string, FunctionModel> = {};
  for (const kind of KINDS) {
    const Kind = pascal(kind.module.name);
    functions[kind.module.name] = {
      name: functionName(stage, kind.module.name),
      handler: `handlers/${kind.module.name}.handler`,
      description: `backup-hub: copies the ${kind.module.name} artifacts announced on the backup-hub-${kind.module.name} queue into the vault`,
      role: `${Kind}Role`,
      timeout: kind.manifest.queue.timeout,
      environment: hubEnvironment<Value>({ ...hub, queueUrl: ref(`${Kind}Queue`) }),
      events: [
        {
          sqs: {
            queue: `${Kind}Queue`,
            batchSize: kind.manifest.queue.batchSize,
            maximumConcurrency: kind.manifest.queue.maximumConcurrency,
          },
        },
      ],
    };
  }
  functions.reconciler = {
    name: functionName(stage, 'reconciler'),
    handler: 'handlers/reconciler.handler',
    description: 'backup-hub: completes pending vault copies and cleans up the sources',
    role: 'ReconcilerRole',
    timeout: RECONCILER.timeout,
    reservedConcurrency: 1, // one run at a time; the catalog's leases make an overlap safe anyway
    environment: actingEnvironment,
    events: [{ schedule: { rate: `rate(${RECONCILER.everyMinutes} minutes)`, description: 'backup-hub reconciler' } }],
  };
  const sweep = sweepSettings(config);
  functions.sweep = {
    name: functionName(stage, 'sweep'),
    handler: 'handlers/sweep.handler',
    description: 'backup-hub: lists every source and protects what no event announced; records what each source holds',
    role: 'SweepRole',
    timeout: SWEEP.timeout,
    reservedConcurrency: 1, // one run at a time: each source's pass goes on from the cursor the last run left
    environment: { ...actingEnvironment, ...sweepEnvironment(sweep) },
    events: [{ schedule: { rate: `rate(${sweep.everyMinutes} minutes)`, description: 'backup-hub inventory sweep' } }],
  };
  functions.integrity = {
    name: functionName(stage, 'integrity'),
    handler: 'handlers/integrity.handler',
    description: 'backup-hub: checks that every available vault copy still exists; marks a vanished one lost',
    role: 'IntegrityRole',
    timeout: INTEGRITY.timeout,
    reservedConcurrency: 1, // one run at a time: the next run goes on from its cursor
    environment: actingEnvironment,
    events: [{ schedule: { rate: `rate(${INTEGRITY.everyMinutes} minutes)`, description: 'backup-hub integrity sweep' } }],
  };
  functions.pruner = {
    name: functionName(stage, 'pruner'),
    handler: 'handlers/pruner.handler',
    description: 'backup-hub: deletes vault copies past their retention (never under the vault lock or a legal hold)',
    role: 'PrunerRole',
    timeout: PRUNER.timeout,
    reservedConcurrency: 1, // one run at a time; its conditional catalog writes make an overlap safe anyway
    environment: { ...environment, ...lockEnvironment(vault.lock?.minRetentionDays) },
    events: [{ schedule: { rate: `rate(${PRUNER.everyHours} hours)`, description: 'backup-hub pruner' } }],
  };
  functions['config-capture'] = {
    name: functionName(stage, 'config-capture'),
    handler: 'handlers/config-capture.handler',
    description:
      "backup-hub: captures each source region's configuration (hourly when due, and on a new AMI or DB snapshot) into the vault store",
    role: 'ConfigCaptureRole',
    timeout: CONFIG_CAPTURE.timeout,
    reservedConcurrency: 1, // one run at a time: two would pace a source's calls on two buckets
    environment,
    events: [{ schedule: { rate: `rate(${CONFIG_CAPTURE.everyMinutes} minutes)`, description: 'backup-hub configuration capture' } }],
  };
  functions['rpo-check'] = {
    name: functionName(stage, 'rpo-check'),
    handler: 'handlers/rpo-check.handler',
    description: "backup-hub: each source's RPO from the catalog, as metrics, and the per-source alarms that page",
    role: 'RpoCheckRole',
    timeout: RPO_CHECK.timeout,
    reservedConcurrency: 1, // one run at a time: the cursor of an unfinished run is the next one's start
    environment: { ...environment, ALARM_TOPIC_ARN: ref('AlarmTopic') },
    events: [{ schedule: { rate: `rate(${RPO_CHECK.everyMinutes} minutes)`, description: 'backup-hub RPO check' } }],
  };
  functions['audit-anchor'] = {
    name: functionName(stage, 'audit-anchor'),
    handler: 'handlers/audit-anchor.handler',
    description: "backup-hub: signs the audit log's head and stores it in the Object Lock bucket",
    role: 'AuditAnchorRole',
    timeout: AUDIT_ANCHOR.timeout,
    reservedConcurrency: 1, // one run at a time: a second would find the anchor the first wrote, or write the same one
    environment: {
      ...environment,
      ...anchorEnvironment<Value>({
        keyArn: getAtt('AuditAnchorKey'),
        bucket: auditAnchorBucket(vault.auditAnchors.account, region),
        bucketOwner: vault.auditAnchors.account,
      }),
    },
    events: [{ schedule: { rate: `rate(${AUDIT_ANCHOR.everyMinutes} minutes)`, description: 'backup-hub audit anchor' } }],
  };

  const resources: Record<string, Resource> = {
    // ------------------------------------------------------------------ events in
    EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: NAMES.bus } },
    // Only the sources' forwarder roles may put events, and only the AWS service events the kinds
    // take. events:source and events:detail-type are multivalued: ForAllValues keeps every value to
    // the list, Null refuses a request without them (EventBridge user guide, "Using IAM policy
    // conditions in Amazon EventBridge"). With an organization id: any forwarder role inside it, a
    // policy of constant size (the handlers reject an account that is not a source, with its
    // reason); without one, the listed sources' accounts. Roles are matched by aws:PrincipalArn, so
    // that the policy does not fail on a source whose stack is not deployed yet.
    EventBusPolicy: {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: ref('EventBus'),
        StatementId: 'backup-hub-sources',
        Statement: {
          Effect: 'Allow',
          Principal: vault.organizationId ? '*' : { AWS: vault.allowedSources.map((id) => `arn:aws:iam::${id}:root`) },
          Action: 'events:PutEvents',
          Resource: getAtt('EventBus'),
          Condition: {
            'ForAllValues:StringEquals': {
              'events:source': all(...KINDS.map((k) => k.manifest.pattern.source)),
              'events:detail-type': all(...KINDS.map((k) => k.manifest.pattern['detail-type'])),
            },
            Null: { 'events:source': 'false', 'events:detail-type': 'false' },
            ArnLike: { 'aws:PrincipalArn': roleArn('*', NAMES.forwarderRole) },
            ...(vault.organizationId ? { StringEquals: { 'aws:PrincipalOrgID': vault.organizationId } } : {}),
          },
        },
      },
    },

    // ------------------------------------------------------------------ the sources
    // The vault's record of each source (regions, targets), read by the functions: an event from an
    // account without one is rejected. In parameters, so that no environment grows with the estate,
    // as few as Parameter Store's 4 KB allow (about 9 sources each), so that resources barely do.
    ...Object.fromEntries(
      recordParts(
        config.sources.map((source): [string, SourceRecord] => [
          source.id,
          {
            name: source.name,
            regions: source.regions,
            targets: effectiveTargets(config, source),
            silenceHours: silenceHours(config, source),
            customerKeyAliases: source.customerKeyAliases,
            configCaptureHours: source.configCaptureHours ?? CONFIG_CAPTURE_HOURS,
            pendingCap: source.pendingCap ?? PENDING_CAP,
            ssmParameters: source.ssmParameters,
            ...(source.sweep ? { sweepCallsPerSecond: source.sweep.callsPerSecond } : {}),
          },
        ]),
      ).map((part, i) => [
        `SourceRecords${i}`,
        {
          Type: 'AWS::SSM::Parameter',
          Properties: {
            Name: `${SOURCES_PATH}part-${i}`,
            Type: 'String',
            Description: "backup-hub: sources of the account files, as the vault's functions take them",
            Value: part,
          },
        },
      ]),
    ),

    // ------------------------------------------------------------------ the vault key
    ...vaultKey({
      region,
      handlerRoleArns: kindRoleArns,
      captureRoleArn: roleArn(vault.id, NAMES.configCaptureRole),
      migrationRoleArns,
      restoreRoleArns: [restoreRoleArn, ...(vault.drRegion ? [roleArn(vault.id, NAMES.drRestoreRole)] : [])],
      copiesToDr: vault.drRegion !== undefined,
    }),

    // ------------------------------------------------------------------ the SSM parameter store
    ...ssmStore(vault.id, region, config.vault.lock?.minRetentionDays),

    // ------------------------------------------------------------------ the Recycle Bin
    ...recycleBinRules(config.vault.lock?.minRetentionDays),

    // ------------------------------------------------------------------ catalog and audit log
    ...vaultTables([region, ...(vault.drRegion ? [vault.drRegion] : [])]),
    ...auditAnchorResources(vault, { region, functionName: functions['audit-anchor'].name, logs: logsOf('audit-anchor') }),

    // ------------------------------------------------------------------ the reconciler
    // Pushes every kind's pending copies through that kind's own role (it assumes it), so its own
    // policy holds no kind's statements: the catalog, the audit log, the source records.
    ReconcilerRole: role({
      name: NAMES.reconcilerRole,
      description: 'backup-hub reconciler; completes pending vault copies and cleans up the sources',
      trust: LAMBDA_TRUST,
      statements: [
        logsOf('reconciler'),
        actAsEachKindsRole,
        readSourceRecords,
        ...tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], { indexes: true }),
        // Where the SSM store migration stands, which sources were over their cap and the slots' lines: marker items of their own, written whole (PutItem), and no other.
        {
          Sid: 'KeepTheMigrationCursor',
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: getAtt('CatalogTable'),
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [MIGRATION_CURSOR_KEY, OVER_CAP_KEY, LINE_KEY] } },
        },
        ...catalogGuards({ holds: true }),
      ],
    }),
    ReconcilerErrorsAlarm: alarm({
      name: 'backup-hub-reconciler-errors',
      description: 'The backup-hub reconciler failed; pending copies are not being completed.',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functions.reconciler.name }],
      statistic: 'Sum',
      period: 300,
    }),

    // ------------------------------------------------------------------ the configuration capture
    // Reads each source's configuration through its config reader role (Describe calls only) and
    // writes each capture once into the store's config/ prefix under the vault key; lists that
    // prefix to know when a source region is due. It reads no data and deletes nothing.
    ConfigCaptureRole: role({
      name: NAMES.configCaptureRole,
      description: "backup-hub configuration capture; reads the sources' configuration, writes it to the vault store",
      trust: LAMBDA_TRUST,
      statements: [
        logsOf('config-capture'),
        {
          Sid: 'AssumeTheConfigReaderRoles',
          Effect: 'Allow',
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Resource: roleArn('*', NAMES.configReaderRole),
          ...(Object.keys(inSources).length ? { Condition: inSources } : {}),
        },
        readSourceRecords,
        {
          Sid: 'ListTheCapturesInTheStore',
          Effect: 'Allow',
          Action: 's3:ListBucketVersions',
          Resource: `arn:aws:s3:::${ssmStoreBucket(vault.id, region)}`,
          Condition: { StringLike: { 's3:prefix': `${CONFIG_PREFIX}*` } },
        },
        {
          Sid: 'WriteEachCaptureOnceUnderTheVaultKey',
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${ssmStoreBucket(vault.id, region)}/${CONFIG_PREFIX}*`,
          Condition: { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        },
        {
          Sid: 'EncryptCapturesWithTheVaultKeyThroughS3',
          Effect: 'Allow',
          Action: 'kms:GenerateDataKey',
          Resource: getAtt('VaultKey'),
          Condition: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
        },
      ],
    }),
    ...captureOnSnapshots(functions['config-capture'].name),

    // ------------------------------------------------------------------ the pruner
    // Deletes vault copies past retention: only the vault's own copies (the kinds' `prune`
    // statements), nothing in a source, and no use of any key.
    PrunerRole: role({
      name: NAMES.prunerRole,
      description: 'backup-hub pruner; deletes vault copies past their retention',
      trust: LAMBDA_TRUST,
      statements: [
        logsOf('pruner'),
        readSourceRecords,
        ...tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], { indexes: true }),
        auditInsert('RecordTheVaultLock', VAULT_LOCK_KEY),
        ...catalogGuards({ holds: true }),
        ...withoutRepeats(KINDS.flatMap((k) => prefixSids(pascal(k.module.name), k.manifest.prune(scope)))),
        // The DR copies go with their vault copies, by the same rules.
        ...(vault.drRegion
          ? withoutRepeats(
              KINDS.flatMap((k) => prefixSids(`Dr${pascal(k.module.name)}`, k.manifest.prune({ ...scope, vaultRegion: vault.drRegion! }))),
            )
          : []),
      ],
    }),
    PrunerErrorsAlarm: alarm({
      name: 'backup-hub-pruner-errors',
      description: 'The backup-hub pruner failed; copies past retention are not being deleted.',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functions.pruner.name }],
      statistic: 'Sum',
      period: PRUNER.everyHours * 3600,
    }),

    // ------------------------------------------------------------------ the sweeps
    // The inventory sweep lists the sources through each kind's role and its reader roles (the
    // listing calls are the readers' statements), records what they hold and its cursor in the
    // catalog, and hands what no event announced to the kinds' queues (the handlers verify and copy
    // it). Operators assume it too, to run `backup-hub sweep` on demand.
    SweepRole: role({
      name: NAMES.sweepRole,
      description: 'backup-hub inventory sweep; lists the sources and queues what no event announced',
      trust: [
        ...LAMBDA_TRUST,
        ...operatorTrust(vault.operators.sweep, vault.operators.mfa).map((statement) => ({
          ...statement,
          Reason: 'operators assume it to run `backup-hub sweep` on demand; the drills run the scheduled function only',
        })),
      ],
      statements: [
        logsOf('sweep'),
        actAsEachKindsRole,
        readSourceRecords,
        {
          Sid: 'ReadTheCatalogAndKeepTheInventory',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
          Resource: getAtt('CatalogTable'),
        },
        { Sid: 'QueryTheCatalogIndexes', Effect: 'Allow', Action: 'dynamodb:Query', Resource: sub('${CatalogTable.Arn}/index/*') },
        {
          Sid: 'QueueWhatNoEventAnnounced',
          Effect: 'Allow',
          Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
          Resource: KINDS.map((k) => getAtt(`${pascal(k.module.name)}Queue`)),
        },
        // It writes inventory items into the catalog table: never the vault lock or a legal hold.
        ...catalogGuards({ holds: true }),
      ],
    }),
    SweepErrorsAlarm: alarm({
      name: 'backup-hub-sweep-errors',
      description: 'The backup-hub inventory sweep failed; what no event announced is not being protected.',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functions.sweep.name }],
      statistic: 'Sum',
      period: sweep.everyMinutes * 60,
    }),
    // The integrity sweep reads the vault's copies through each kind's role, marks a vanished one
    // lost in the catalog and appends that to the audit log; it changes nothing else.
    IntegrityRole: role({
      name: NAMES.integrityRole,
      description: 'backup-hub integrity sweep; checks that the vault copies still exist',
      trust: LAMBDA_TRUST,
      statements: [
        logsOf('integrity'),
        actAsEachKindsRole,
        readSourceRecords,
        ...tableStatements(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], { indexes: true }),
        ...catalogGuards({ holds: true }),
      ],
    }),
    IntegrityErrorsAlarm: alarm({
      name: 'backup-hub-integrity-errors',
      description: 'The backup-hub integrity sweep failed; vanished vault copies are not being found.',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functions.integrity.name }],
      statistic: 'Sum',
      period: INTEGRITY.everyMinutes * 60,
    }),
    // ------------------------------------------------------------------ the RPO check
    // Reads the protected resources (Queries), keeps its cursor in the catalog, and keeps the
    // per-source alarms; its metrics are log lines.
    RpoCheckRole: role({
      name: NAMES.rpoCheckRole,
      description: "backup-hub RPO check; measures each source's RPO and keeps its alarms",
      trust: LAMBDA_TRUST,
      statements: [
        logsOf('rpo-check'),
        readSourceRecords,
        ...catalogGuards({ holds: true }),
        {
          Sid: 'ReadAndKeepTheCursor',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          Resource: getAtt('CatalogTable'),
        },
        {
          Sid: 'QueryTheProtectedResources',
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: sub('${CatalogTable.Arn}/index/protectedResources'),
        },
        ...sourceAlarmStatements(vault.id, region),
      ],
    }),
    ...rpoAlarms(stage),
    Dashboard: dashboard(region),

    // ------------------------------------------------------------------ restore
    // Assumed by an operator to run `backup-hub restore` (the standard credential chain, e.g. a
    // profile with role_arn). It reads the catalog, appends to the audit log, finds the restore
    // keys, and re-encrypts vault copies under a recovery account's restore key to share them with
    // that account (the kinds' `restore` statements); it deletes nothing.
    RestoreRole: restoreRole(NAMES.restoreRole, 'the vault copies', region, scope, vault),
    // `backup-hub restore --from-region`, when the vault's region may be down: the same calls on the
    // DR copies in the DR region, under its vault key, which this stack cannot name (every key of the
    // vault account there: the DR vault key and the restore keys). A role of its own: the two
    // regions' statements together outgrow IAM's inline policy size.
    ...(vault.drRegion
      ? {
          DrRestoreRole: restoreRole(
            NAMES.drRestoreRole,
            "the DR copies in the vault's DR region",
            vault.drRegion,
            {
              ...scope,
              vaultRegion: vault.drRegion,
              vaultKeyArn: keysOf(vault.id, vault.drRegion),
            },
            vault,
          ),
        }
      : {}),
    ...(vault.drRegion ? restoreAcrossPolicies(vault) : {}),
    ...restoreLandingPolicies(vault, restoreRegions(config)),
    // Assumed by an operator to run `backup-hub hold` (legal holds): it may change catalog items
    // (the only role that may name their legalHold) and append to the audit log, nothing else.
    LegalHoldRole: role({
      name: NAMES.legalHoldRole,
      description: 'backup-hub legal hold; assumed by operators in the vault to set or lift legal holds',
      trust: operatorTrust(vault.operators.legalHold, vault.operators.mfa),
      statements: [
        ...tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem'], { indexes: false }),
        auditInsert('RecordHoldsAndLifts', `${HOLD_PREFIX}*`),
        ...catalogGuards({ holds: false }),
      ],
    }),
    // Assumed by an operator to run `backup-hub retry`: it finds failed points (the by-state index),
    // reopens them and appends to the audit log; the reconciler does the copying, with its own role.
    RetryRole: role({
      name: NAMES.retryRole,
      description: 'backup-hub retry; assumed by operators in the vault to reopen failed recovery points',
      trust: operatorTrust(vault.operators.retry, vault.operators.mfa),
      statements: tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem'], { indexes: true }),
    }),

    // ------------------------------------------------------------------ alarms
    // Alarm notifications carry no backup data. (CloudWatch cannot publish to a topic encrypted
    // with the AWS managed aws/sns key, and the vault key is kept for copies only.)
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: NAMES.alarmTopic, DisplayName: 'backup-hub alarms' } },
  };

  for (const kind of KINDS)
    Object.assign(
      resources,
      kindResources(kind, {
        stage,
        statements: [
          ...copyStatements(kind.module.name),
          ...queueStatements(kind),
          ...kind.manifest.vault(scope),
          ...(vault.drRegion ? kind.manifest.regionCopy({ ...scope, drRegion: vault.drRegion }) : []),
          ...(kind.manifest.migration?.(scope) ?? []),
        ],
        actingRoleArns,
      }),
    );
  for (const id of recoveryIds) Object.assign(resources, restoreKey(id, { region, restoreRoleArns: [restoreRoleArn] }));
  Object.assign(resources, alertLogAlarm(Object.keys(functions)));
  if (vault.alarmEmail) {
    resources.AlarmEmailSubscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: ref('AlarmTopic'), Protocol: 'email', Endpoint: vault.alarmEmail },
    };
  }

  return {
    functions,
    resources: {
      Resources: resources,
      Outputs: {
        EventBusArn: { Description: 'The vault bus each source forwards its events to', Value: getAtt('EventBus') },
        VaultKeyArn: { Description: 'The vault CMK', Value: getAtt('VaultKey') },
        AlarmTopicArn: { Description: 'Subscribe the on-call here', Value: ref('AlarmTopic') },
      },
    },
  };
}

/**
 * A source's new AMI or DB (cluster) snapshot, forwarded to the vault bus, captures its region's
 * configuration again: one rule per such kind on the vault bus (its own pattern), targeting the
 * capture function, which coalesces a burst into one capture.
 */
function captureOnSnapshots(functionName: string): Record<string, Resource> {
  const fn = `${normalizedFunctionName('config-capture')}LambdaFunction`;
  const kinds = KINDS.filter((k) => CAPTURED_ON.includes(k.module.name));
  return Object.fromEntries(
    kinds.flatMap((k) => {
      const rule = `ConfigCaptureOn${pascal(k.module.name)}Rule`;
      return [
        [
          rule,
          {
            Type: 'AWS::Events::Rule',
            Properties: {
              Description: `backup-hub: a ${k.module.name} captures its source region's configuration (${functionName})`,
              EventBusName: ref('EventBus'),
              State: 'ENABLED',
              EventPattern: k.manifest.pattern,
              Targets: [{ Arn: getAtt(fn), Id: 'config-capture' }],
            },
          },
        ],
        [
          `${rule}Permission`,
          {
            Type: 'AWS::Lambda::Permission',
            Properties: {
              FunctionName: getAtt(fn),
              Action: 'lambda:InvokeFunction',
              Principal: 'events.amazonaws.com',
              SourceArn: getAtt(rule),
            },
          },
        ],
      ];
    }),
  );
}

/** The kinds whose artifacts are taken of a resource whose configuration a rebuild needs. */
const CAPTURED_ON: string[] = ['ami', 'rds-snapshot', 'rds-cluster-snapshot'];

/**
 * The vault's stack in its DR region: the DR vault key (the same alias as in the primary region, so
 * the hub finds each region's key by it) and the SSM store's copy there, under that key. The roles
 * its key policy names are the primary stack's (IAM is global): it is deployed after that one.
 */
export function buildVaultDr(
  config: AccountsConfig,
  { region }: { stage: string; region: string },
): Pick<ServiceModel, 'functions' | 'resources'> {
  const { vault } = config;
  const restoreRoleArn = roleArn(vault.id, NAMES.drRestoreRole);
  return {
    functions: {},
    resources: {
      Resources: {
        ...vaultKey({
          region,
          handlerRoleArns: KINDS.map((k) => roleArn(vault.id, kindRoleName(k.module.name))),
          migrationRoleArns: [],
          restoreRoleArns: [restoreRoleArn, roleArn(vault.id, NAMES.restoreRole)],
        }),
        ...ssmStore(vault.id, region, vault.lock?.minRetentionDays),
        // `backup-hub restore --from-region` re-encrypts the DR copies under these, as in the vault's region.
        ...Object.assign({}, ...config.recovery.map((r) => restoreKey(r.id, { region, restoreRoleArns: [restoreRoleArn] }))),
      },
      Outputs: { VaultKeyArn: { Description: `The vault's DR key in ${region}`, Value: getAtt('VaultKey') } },
    },
  };
}

/**
 * The vault key of one region and its alias. Every vault copy in that region is encrypted with it.
 * Its policy names vault principals only: the account root for administration (no use, no grants)
 * and the vault's own roles for use through a service. Deleting the stack keeps it: the copies
 * cannot be read without it.
 */
function vaultKey(roles: Omit<Parameters<typeof vaultKeyPolicy>[0], 'accountRoot'>): Record<string, Resource> {
  return {
    VaultKey: {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Description: `backup-hub vault key; every vault copy in ${roles.region} is encrypted with it`,
        EnableKeyRotation: true,
        KeyPolicy: vaultKeyPolicy({ accountRoot: THIS_ACCOUNT_ROOT, ...roles }),
      },
    },
    VaultKeyAlias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: NAMES.vaultKeyAlias, TargetKeyId: ref('VaultKey') } },
  };
}

/**
 * A restore that lands in one vault region from the vault copies of the other (`--to-region`) runs
 * with the landing region's restore role, whose restore keys are there. Each of the two roles gets the
 * copies' source side in the other region as a managed policy of its own: the role's inline policy
 * has no room left for it (IAM counts a role's inline policies together, up to 10,240 characters).
 */
function restoreAcrossPolicies(vault: VaultAccount): Record<string, Resource> {
  const roles = restoreRoles(vault);
  return Object.fromEntries(
    roles.map(({ region, role, name }) => {
      const fromRegion = roles.find((r) => r.region !== region)!.region;
      const scope = { vaultAccount: vault.id, vaultRegion: region, fromRegion };
      const statements = KINDS.flatMap((k) => prefixSids(pascal(k.module.name), k.manifest.restoreAcross(scope)));
      const resource: Resource = {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          ManagedPolicyName: `${name}-from-${fromRegion}`,
          Description: `backup-hub restore into ${region} from the vault copies in ${fromRegion}, each copied across regions first`,
          Roles: [ref(role)],
          PolicyDocument: policy(withoutRepeats(statements)),
        },
      };
      return [`${role}From${pascal(fromRegion)}Policy`, resource];
    }),
  );
}

/**
 * The vault's stack in a region a restore may land in that is not one of its own (another region
 * of a recovery account): the restore keys of the recovery accounts there. The restore roles of the
 * vault's regions encrypt under them: a restore lands there from either region's copies.
 */
export function buildVaultRestoreRegion(
  config: AccountsConfig,
  { region }: { stage: string; region: string },
): Pick<ServiceModel, 'functions' | 'resources'> {
  const { vault } = config;
  const restoreRoleArns = restoreRoles(vault).map((r) => roleArn(vault.id, r.name));
  const accounts = config.recovery.filter((r) => r.regions.includes(region));
  return {
    functions: {},
    resources: { Resources: Object.assign({}, ...accounts.map((r) => restoreKey(r.id, { region, restoreRoleArns }))) },
  };
}

/** The operators' restore role of each vault region: its logical id and name. */
function restoreRoles(vault: VaultAccount): { region: string; role: string; name: string }[] {
  return [
    { region: vault.regions[0]!, role: 'RestoreRole', name: NAMES.restoreRole },
    ...(vault.drRegion ? [{ region: vault.drRegion, role: 'DrRestoreRole', name: NAMES.drRestoreRole }] : []),
  ];
}

/**
 * A restore that lands in a region that is not one of the vault's runs with the restore role of the
 * region it restores from (its catalog and audit log, and its vault copies, are there). Each role
 * gets, per such region, what the restore does there (the kinds' `restoreLanding`, and finding the
 * restore keys) as managed policies of its own, one for the kinds copying through EC2 and one for
 * those through RDS: the roles' inline policies have no room left, and both together would fill
 * more than 80 % of a managed policy's 6,144 characters.
 */
function restoreLandingPolicies(vault: VaultAccount, regions: string[]): Record<string, Resource> {
  const services = ['ec2', 'rds'] as const;
  return Object.fromEntries(
    restoreRoles(vault).flatMap(({ role, name }) =>
      regions.flatMap((region) =>
        services.map((service) => {
          const scope = { vaultAccount: vault.id, vaultRegion: region };
          const kinds = KINDS.filter((k) => k.manifest.sharesThrough === service);
          const statements = [
            ...(service === 'ec2' ? [findRestoreKeys(vault.id, region)] : []),
            ...kinds.flatMap((k) => prefixSids(pascal(k.module.name), k.manifest.restoreLanding(scope))),
          ];
          const resource: Resource = {
            Type: 'AWS::IAM::ManagedPolicy',
            Properties: {
              ManagedPolicyName: `${name}-into-${region}-${service}`,
              Description: `backup-hub restore into ${region}, a recovery account's region: the restore copies made there through ${service.toUpperCase()}`,
              Roles: [ref(role)],
              PolicyDocument: policy(withoutRepeats(statements)),
            },
          };
          return [`${role}Into${pascal(region)}${pascal(service)}Policy`, resource];
        }),
      ),
    ),
  );
}

/** DescribeKey of the restore keys of a region (by their alias): a missing key stops a restore before anything is copied. */
const findRestoreKeys = (vault: string, region: string): Statement => ({
  Sid: 'FindTheRestoreKeys',
  Effect: 'Allow',
  Action: 'kms:DescribeKey',
  Resource: `arn:aws:kms:${region}:${vault}:key/*`,
  Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': `${NAMES.restoreKeyAliasPrefix}*` } },
});

/**
 * An operators' restore role for the vault copies in one vault region. It reads the catalog, appends
 * to the audit log, finds the restore keys, and re-encrypts vault copies under a recovery account's
 * restore key to share them with that account (the kinds' `restore` statements); it deletes nothing.
 */
function restoreRole(name: string, what: string, region: string, scope: RestoreScope, vault: VaultAccount): Resource {
  return role({
    name,
    description: `backup-hub restore; assumed by operators in the vault to restore ${what} into a recovery account`,
    trust: operatorTrust(vault.operators.restore, vault.operators.mfa),
    statements: [
      // The catalog's and audit log's replica in the region restored from: the DR restore runs while the vault's region is down.
      ...tableStatements(['dynamodb:GetItem'], {
        indexes: true,
        ...(region === vault.regions[0] ? {} : { replicaIn: { region, account: vault.id } }),
      }),
      findRestoreKeys(vault.id, region),
      ...withoutRepeats(KINDS.flatMap((k) => prefixSids(pascal(k.module.name), k.manifest.restore(scope)))),
      // `config export`, `config diff` and a rebuild find the captures as of a time (reading one is the
      // store's GetObjectVersion above); they are kept in the vault's region only.
      ...(region === vault.regions[0]
        ? [
            {
              Sid: 'ListTheConfigurationCaptures',
              Effect: 'Allow' as const,
              Action: 's3:ListBucketVersions',
              Resource: `arn:aws:s3:::${ssmStoreBucket(vault.id, region)}`,
              Condition: { StringLike: { 's3:prefix': `${CONFIG_PREFIX}*` } },
            },
          ]
        : []),
    ],
  });
}

/**
 * The vault key's policy. `accountRoot` is the vault account's root principal: the stack writes it
 * as `${AWS::AccountId}`; the simulated hub passes the account's ARN.
 */
export function vaultKeyPolicy(options: {
  accountRoot: Value;
  region: string;
  handlerRoleArns: string[];
  /** The configuration capture (vault region only): it writes its documents into the store under the key. */
  captureRoleArn?: string;
  /** The kind roles that move what an earlier release stored (SSM: vault parameters into the store). */
  migrationRoleArns: string[];
  /**
   * The operators' restore roles that read the vault copies of the key's region: its own region's,
   * and with a DR region the other region's too (a restore that lands there copies them across).
   */
  restoreRoleArns: string[];
  /** Set in the primary region of a vault with a DR region: the handlers read what they copy there. */
  copiesToDr?: boolean;
}): PolicyDocument {
  const { accountRoot, region, handlerRoleArns, captureRoleArn, migrationRoleArns, restoreRoleArns, copiesToDr } = options;
  const viaServices = (...services: string[]) => services.map((s) => `${s}.${region}.amazonaws.com`);
  const via = (...services: string[]) => ({
    StringEquals: {
      'kms:ViaService':
        services.length === 1 ? `${services[0]}.${region}.amazonaws.com` : services.map((s) => `${s}.${region}.amazonaws.com`),
    },
  });
  return {
    Version: '2012-10-17',
    Statement: [
      keyAdministration('VaultAccountAdministersTheKey', {}, accountRoot),
      keyUseBy(
        'VaultHandlersEncryptCopiesThroughEc2',
        handlerRoleArns,
        ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
        via('ec2'),
        accountRoot,
      ),
      keyUseBy('VaultHandlersEncryptParameterVersionsThroughS3', handlerRoleArns, 'kms:GenerateDataKey', via('s3'), accountRoot),
      ...(captureRoleArn
        ? [keyUseBy('TheCaptureEncryptsConfigurationsThroughS3', captureRoleArn, 'kms:GenerateDataKey', via('s3'), accountRoot)]
        : []),
      // A DR copy of a parameter version is read back from the store of this region.
      ...(copiesToDr
        ? [keyUseBy('VaultHandlersReadParameterVersionsForTheDrCopyThroughS3', handlerRoleArns, 'kms:Decrypt', via('s3'), accountRoot)]
        : []),
      // Earlier releases kept parameter versions as vault parameters: the reconciler reads them once,
      // through the SSM kind's role, to move them into the store.
      ...(migrationRoleArns.length
        ? [
            {
              ...keyUseBy('MigrationRolesReadLegacyVaultParameters', migrationRoleArns, 'kms:Decrypt', via('ssm'), accountRoot),
              Reason: MIGRATION_REASON,
            },
          ]
        : []),
      keyUseBy(
        'TheRestoreRoleReadsVaultCopies',
        restoreRoleArns,
        ['kms:Decrypt', 'kms:ReEncrypt*', 'kms:DescribeKey'],
        via('ec2', 'rds', 's3'),
        accountRoot,
      ),
      keyUseBy(
        'TheRestoreRoleLetsServicesUseTheKey',
        restoreRoleArns,
        'kms:CreateGrant',
        grantForAwsResource(...viaServices('ec2', 'rds')),
        accountRoot,
      ),
      keyUseBy(
        'VaultHandlersLetEbsUseTheKey',
        handlerRoleArns,
        'kms:CreateGrant',
        grantForAwsResource(...viaServices('ec2', 'rds')),
        accountRoot,
      ),
    ],
  };
}

/**
 * The vault's store of SSM parameter versions: each source version one object, under the vault key,
 * with versioning and Object Lock. Every object is locked for the vault lock's days in compliance mode:
 * nobody, the account's root user included, deletes it or shortens its retention until then; the
 * bucket policy denies bypassing a governance lock anyway and plain HTTP. Deleting the stack keeps it.
 */
function ssmStore(vault: string, region: string, lockDays: number | undefined): Record<string, Resource> {
  return objectLockBucket('SsmStoreBucket', {
    name: ssmStoreBucket(vault, region),
    lockDays,
    encryptionKey: getAtt('VaultKey'),
    statements: [
      {
        Sid: 'NobodyBypassesTheObjectLock',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:BypassGovernanceRetention',
        Resource: sub('${SsmStoreBucket.Arn}/*'),
      },
    ],
  });
}

/**
 * Recycle Bin retention rules for the vault's snapshots and AMIs: whatever deletes a vault copy
 * (the pruner, or anyone around the hub once its lock has expired), it stays recoverable for the
 * rule's days (the vault lock's, at least a week). Region-level (the vault account holds only the
 * hub's copies and its restore copies), so that they can be locked: a locked rule can be
 * neither deleted nor changed, and unlocking it takes {@link RECYCLE_BIN_UNLOCK_DELAY_DAYS} days.
 */
function recycleBinRules(lockDays: number | undefined): Record<string, Resource> {
  const rule = (resourceType: 'EBS_SNAPSHOT' | 'EC2_IMAGE', what: string): Resource => ({
    Type: 'AWS::Rbin::Rule',
    Properties: {
      Description: `backup-hub: deleted vault ${what} stay recoverable`,
      ResourceType: resourceType,
      RetentionPeriod: { RetentionPeriodValue: Math.min(365, Math.max(7, lockDays ?? 0)), RetentionPeriodUnit: 'DAYS' },
      // CloudFormation's LockConfiguration is the API's UnlockDelay itself (AWS::Rbin::Rule UnlockDelay).
      LockConfiguration: { UnlockDelayValue: RECYCLE_BIN_UNLOCK_DELAY_DAYS, UnlockDelayUnit: 'DAYS' },
    },
  });
  return { SnapshotRecycleBinRule: rule('EBS_SNAPSHOT', 'snapshots'), ImageRecycleBinRule: rule('EC2_IMAGE', 'AMIs') };
}

/** The longest unlock delay Recycle Bin allows (7 to 30 days): the time anyone who would lift a rule's lock must wait. */
export const RECYCLE_BIN_UNLOCK_DELAY_DAYS = 30;

/**
 * What IAM holds besides the code: only the legal hold role names an item's `legalHold`
 * (`dynamodb:Attributes`), and no role puts, updates or deletes an item of the audit table: each may
 * only insert (PartiQL INSERT, which never overwrites), in the partitions its statements name.
 */
function catalogGuards(deny: { holds: boolean }): Statement[] {
  const writes = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
  return [
    ...(deny.holds
      ? [
          {
            Sid: 'OnlyTheLegalHoldRoleSetsOrLiftsHolds',
            Effect: 'Deny' as const,
            Action: writes,
            Resource: getAtt('CatalogTable'),
            Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:Attributes': 'legalHold' } },
          },
        ]
      : []),
    {
      Sid: 'NoAuditEntryIsChanged',
      Effect: 'Deny',
      Action: [...writes, 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'],
      Resource: getAtt('AuditTable'),
    },
  ];
}

/**
 * Inserts (never overwrites) into the audit table's partitions `leadingKey` names: the audit chain's, the
 * vault lock's, the holds'; in the stack region's table unless a replica's ARN is given.
 */
function auditInsert(sid: string, leadingKey: string, table: Value = getAtt('AuditTable')): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: 'dynamodb:PartiQLInsert',
    Resource: table,
    Condition: {
      [leadingKey.endsWith('*') ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals']: { 'dynamodb:LeadingKeys': [leadingKey] },
    },
  };
}

/**
 * The catalog and the append-only audit log, with the catalog actions given, and its indexes when the
 * role lists points (the reconciler by state, the pruner and a restore by account or resource). No
 * role reads the audit log's indexes: the audit report runs with the auditor's own credentials.
 */
function tableStatements(
  catalogActions: string[],
  { indexes, replicaIn }: { indexes: boolean; replicaIn?: { region: string; account: string } },
): Statement[] {
  // A replica in another region than the stack's is named by its ARN: GetAtt gives the stack region's.
  const arnOf = (logicalId: string, name: string) =>
    replicaIn ? `arn:aws:dynamodb:${replicaIn.region}:${replicaIn.account}:table/${name}` : getAtt(logicalId);
  const catalog = arnOf('CatalogTable', NAMES.catalogTable);
  return [
    { Sid: 'ReadAndWriteTheCatalog', Effect: 'Allow', Action: catalogActions, Resource: catalog },
    ...(indexes
      ? [
          {
            Sid: 'QueryTheCatalogIndexes',
            Effect: 'Allow' as const,
            Action: 'dynamodb:Query',
            Resource: replicaIn ? `${catalog}/index/*` : sub('${CatalogTable.Arn}/index/*'),
          },
        ]
      : []),
    { Sid: 'ReadTheAuditLog', Effect: 'Allow', Action: 'dynamodb:Query', Resource: arnOf('AuditTable', NAMES.auditTable) },
    auditInsert('AppendToTheAuditLog', CHAIN, arnOf('AuditTable', NAMES.auditTable)),
  ];
}

function queueStatements(kind: Kind): Statement[] {
  const queueArn = getAtt(`${pascal(kind.module.name)}Queue`);
  return [
    // The event source mapping polls with the function's role (Lambda developer guide, SQS execution role permissions).
    {
      Sid: 'ConsumeOwnQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: queueArn,
    },
    { Sid: 'RequeueDeferredMessagesOnOwnQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
  ];
}

/**
 * The catalog (one item per recovery point; every access pattern is a Query on the table or a GSI)
 * and the audit log (append-only and hash-chained: the handlers may only add entries and read them).
 * With a DR region, each is a global table with a replica there, so that a restore from the DR region
 * reads the catalog and appends to the audit log while the vault's region is down.
 */
export function vaultTables(regions: string[] = []): { CatalogTable: Resource; AuditTable: Resource } {
  return {
    CatalogTable: table(
      NAMES.catalogTable,
      {
        attributes: {
          pk: 'S',
          resourcePk: 'S',
          account: 'S',
          openState: 'S',
          availableResourcePk: 'S',
          inventoryAccount: 'S',
          protectedAccount: 'S',
          createdAt: 'S',
          updatedAt: 'S',
        },
        key: ['pk'],
        indexes: {
          byResource: ['resourcePk', 'createdAt'],
          byAccount: ['account', 'createdAt'],
          byState: ['openState', 'updatedAt'], // sparse: only pending, failed and lost points carry openState
          latestAvailable: ['availableResourcePk', 'createdAt'], // sparse: only available points carry availableResourcePk
          inventory: ['inventoryAccount', 'resourcePk'], // sparse: only the sweep's records of source resources carry inventoryAccount
          protectedResources: ['protectedAccount', 'resourcePk'], // sparse: one item per resource that counts against its RPO target
        },
      },
      regions,
    ),
    AuditTable: table(
      NAMES.auditTable,
      {
        attributes: { chain: 'S', seq: 'N', eventId: 'S', decision: 'S', at: 'S' },
        key: ['chain', 'seq'],
        indexes: { byEvent: ['eventId', 'seq'], byDecision: ['decision', 'at'] },
      },
      regions,
    ),
  };
}

/**
 * A DynamoDB table the stack keeps when it goes, with point-in-time recovery, deletion protection and
 * encryption; in more than one region, a global table with a replica in each (the first the stack's
 * own), which CloudFormation only creates with a stream.
 */
function table(
  name: string,
  schema: { attributes: Record<string, 'S' | 'N'>; key: [string] | [string, string]; indexes: Record<string, [string, string]> },
  regions: string[],
): Resource {
  const keySchema = ([hash, range]: string[]) => [
    { AttributeName: hash!, KeyType: 'HASH' },
    ...(range ? [{ AttributeName: range, KeyType: 'RANGE' }] : []),
  ];
  const safe = { DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } };
  const global = regions.length > 1;
  return {
    Type: global ? 'AWS::DynamoDB::GlobalTable' : 'AWS::DynamoDB::Table',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      AttributeDefinitions: Object.entries(schema.attributes).map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
      KeySchema: keySchema(schema.key),
      GlobalSecondaryIndexes: Object.entries(schema.indexes).map(([IndexName, key]) => ({
        IndexName,
        KeySchema: keySchema(key),
        Projection: { ProjectionType: 'ALL' },
      })),
      ...(global
        ? { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' }, Replicas: regions.map((Region) => ({ Region, ...safe })) }
        : safe),
    },
  };
}

/** Per kind: its queue and DLQ, the rule that fills the queue, the handler's role, and their alarms. */
function kindResources(
  kind: Kind,
  { stage, statements, actingRoleArns }: { stage: string; statements: Statement[]; actingRoleArns: string[] },
): Record<string, Resource> {
  const name = kind.module.name;
  const Kind = pascal(name);
  const pattern: EventPattern = kind.manifest.pattern;
  const completion: EventPattern | undefined = kind.manifest.completion;
  const target = {
    Arn: getAtt(`${Kind}Queue`),
    RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
    DeadLetterConfig: { Arn: getAtt(`${Kind}DeadLetterQueue`) },
  };
  const rules = [getAtt(`${Kind}Rule`), ...(completion ? [getAtt(`${Kind}CompletionRule`)] : [])];
  return {
    // Messages that failed MAX_RECEIVE_COUNT times, and events the rule could not deliver.
    [`${Kind}DeadLetterQueue`]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: `backup-hub-${name}-dlq`, SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 }, // 14 days, the SQS maximum
    },
    [`${Kind}Queue`]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: queueName(name),
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1209600,
        VisibilityTimeout: VISIBILITY_FACTOR * kind.manifest.queue.timeout,
        RedrivePolicy: { deadLetterTargetArn: getAtt(`${Kind}DeadLetterQueue`), maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    },
    // The kind's events on the vault bus go to its queue, exactly as the handler takes them.
    [`${Kind}Rule`]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `backup-hub-${name}`,
        Description: `backup-hub ${name} events from the sources, to the ${name} queue`,
        EventBusName: ref('EventBus'),
        State: 'ENABLED',
        EventPattern: pattern,
        Targets: [{ ...target, Id: 'queue' }],
      },
    },
    // The vault's own copies settling (its default bus) go to the same queue: they complete points in seconds.
    ...(completion
      ? {
          [`${Kind}CompletionRule`]: {
            Type: 'AWS::Events::Rule',
            Properties: {
              Name: `backup-hub-${name}-completion`,
              Description: `the vault's own ${name} copies settling, to the ${name} queue`,
              // Where AWS sends the vault account's own service events.
              EventBusName: 'default',
              State: 'ENABLED',
              EventPattern: completion,
              Targets: [{ ...target, Id: 'queue' }],
            },
          },
        }
      : {}),
    // Only this kind's rules may send to its queues.
    [`${Kind}QueuePolicy`]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(`${Kind}Queue`), ref(`${Kind}DeadLetterQueue`)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OnlyTheKindsRuleSends',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: [getAtt(`${Kind}Queue`), getAtt(`${Kind}DeadLetterQueue`)],
              Condition: { ArnEquals: { 'aws:SourceArn': rules } },
            },
          ],
        },
      },
    },
    [`${Kind}DeadLetterAlarm`]: alarm({
      name: `backup-hub-${name}-dead-letters`,
      description: `${name} events gave up and wait in backup-hub-${name}-dlq; the reasons are in the audit log (decision: failed).`,
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ Name: 'QueueName', Value: getAtt(`${Kind}DeadLetterQueue`, 'QueueName') }],
      statistic: 'Maximum',
      period: 300,
    }),
    [`${Kind}Role`]: role({
      name: kindRoleName(name),
      description: `backup-hub ${name} handler; copies announced artifacts into the vault (the reconciler and the sweeps act through it too)`,
      trust: [
        ...LAMBDA_TRUST,
        {
          Sid: 'TheReconcilerAndTheSweepsActForTheKind',
          Effect: 'Allow',
          Principal: { AWS: THIS_ACCOUNT_ROOT },
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': actingRoleArns },
            StringLike: { 'sts:SourceIdentity': VAULT_FUNCTION_IDENTITY },
          },
        },
      ],
      statements,
    }),
    [`${Kind}ErrorsAlarm`]: alarm({
      name: `backup-hub-${name}-errors`,
      description: `The backup-hub ${name} handler failed (an invocation, not a single message).`,
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimensions: [{ Name: 'FunctionName', Value: functionName(stage, name) }],
      statistic: 'Sum',
      period: 300,
    }),
    // Deferred messages come back as new messages, so an old message means nothing is consuming.
    [`${Kind}BacklogAlarm`]: alarm({
      name: `backup-hub-${name}-backlog`,
      description: `The oldest ${name} event has waited over an hour in backup-hub-${name}.`,
      namespace: 'AWS/SQS',
      metric: 'ApproximateAgeOfOldestMessage',
      dimensions: [{ Name: 'QueueName', Value: getAtt(`${Kind}Queue`, 'QueueName') }],
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 3,
      threshold: 3600,
    }),
  };
}

/**
 * A recovery account's restore key. A restore copies a vault copy in the vault, re-encrypted under
 * this key, and shares that copy with the recovery account; the vault CMK itself never admits
 * another account. The restore role may encrypt under it (through EC2 and RDS); the recovery
 * account may read and copy what was shared with it, and let EC2 and RDS use the key for that,
 * nothing else.
 */
function restoreKey(account: string, { region, restoreRoleArns }: { region: string; restoreRoleArns: string[] }): Record<string, Resource> {
  const recoveryRoot = `arn:aws:iam::${account}:root`;
  const roles = restoreRoleArns.length === 1 ? restoreRoleArns[0]! : restoreRoleArns;
  return {
    [`RestoreKey${account}`]: {
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Description: `backup-hub restore key for ${account}; restore copies shared with that account are encrypted with it`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            keyAdministration('VaultAccountAdministersTheKey', { disable: true }),
            keyUseBy(
              'TheRestoreRoleEncryptsRestoreCopies',
              roles,
              ['kms:ReEncrypt*', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
              {
                StringEquals: { 'kms:ViaService': [`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`] },
              },
            ),
            keyUseBy(
              'TheRestoreRoleLetsServicesUseTheKey',
              roles,
              'kms:CreateGrant',
              grantForAwsResource(`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`),
            ),
            // Only through EC2 and RDS, as they read or copy what was shared: never a direct Decrypt.
            {
              Sid: 'TheRecoveryAccountReadsRestoreCopies',
              Effect: 'Allow',
              Principal: { AWS: recoveryRoot },
              Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'kms:ViaService': [`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`] } },
              Reason:
                'the recovery account launches instances and restores databases from the shared restore copies, or copies them; the drills stop at shared and usable',
            },
            {
              Sid: 'TheRecoveryAccountLetsServicesUseTheKey',
              Effect: 'Allow',
              Principal: { AWS: recoveryRoot },
              Action: 'kms:CreateGrant',
              Resource: '*',
              Condition: grantForAwsResource(`ec2.${region}.amazonaws.com`, `rds.${region}.amazonaws.com`),
              Reason:
                'EC2 and RDS create grants for the recovery account as it launches or restores from the shared restore copies; the drills stop at shared and usable',
            },
          ],
        },
      },
    },
    [`RestoreKeyAlias${account}`]: {
      Type: 'AWS::KMS::Alias',
      Properties: { AliasName: `${NAMES.restoreKeyAliasPrefix}${account}`, TargetKeyId: ref(`RestoreKey${account}`) },
    },
  };
}

/**
 * The hub logs at ERROR level only what needs a person (a copy that failed or is stuck, a vault
 * lock an account file tried to shorten): every function's such lines feed one metric and one
 * alarm on the alarm topic, with the function's log group to read the reason in.
 */
function alertLogAlarm(functionKeys: string[]): Record<string, Resource> {
  const metric = { MetricNamespace: 'backup-hub', MetricName: 'AlertLogLines', MetricValue: '1', DefaultValue: 0 };
  const resources: Record<string, Resource> = {};
  for (const key of functionKeys) {
    resources[`${normalizedFunctionName(key)}AlertLogLines`] = {
      Type: 'AWS::Logs::MetricFilter',
      Properties: {
        LogGroupName: ref(`${normalizedFunctionName(key)}LogGroup`),
        FilterPattern: '{ $.level = "ERROR" }',
        MetricTransformations: [metric],
      },
    };
  }
  resources.AlertLogLinesAlarm = alarm({
    name: 'backup-hub-alerts',
    description:
      "A backup-hub function logged an ERROR line: a vault copy failed or is stuck, or the vault lock refused a shorter value. The line (level ERROR) in the functions' log groups has the reason.",
    namespace: metric.MetricNamespace,
    metric: metric.MetricName,
    statistic: 'Sum',
    period: 300,
  });
  return resources;
}

/** Parameter Store's largest Standard value (4 KB): a part of the sources' records stays within it. */
const PART_BYTES = 4096;

/** The sources' records as JSON objects (account id → record), each as large as a Standard parameter holds. */
function recordParts(records: [string, SourceRecord][]): string[] {
  const parts: string[] = [];
  let part: Record<string, SourceRecord> = {};
  for (const [account, record] of records) {
    const next = { ...part, [account]: record };
    if (Buffer.byteLength(JSON.stringify(next)) > PART_BYTES && Object.keys(part).length > 0) {
      parts.push(JSON.stringify(part));
      part = { [account]: record };
    } else part = next;
  }
  return [...parts, JSON.stringify(part)];
}
