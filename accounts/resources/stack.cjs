'use strict';
/**
 * Builds the backup-hub stack of one account for serverless.yml, from the account files
 * (accounts/*.yml, validated by shared/config/accounts.ts) and the kinds (kinds.yml).
 *
 *   npx serverless package --stage prod --param="account=vault"
 *   npx serverless package --stage prod --param="account=source-b" --region eu-central-1
 *
 * serverless.yml reads `${file(./accounts/resources/stack.cjs):plugins}` (resolved before the
 * plugins load, so only CLI options are available) and `...:hub` (everything else). CommonJS
 * because the Serverless Framework loads variable files with require(); the TypeScript loader is
 * imported through tsx. BACKUP_HUB_ACCOUNTS_DIR points at another accounts folder (tests).
 */
const fs = require('node:fs');
const path = require('node:path');
const yaml = require('js-yaml');

/** Names fixed by the hub's contract; the handlers, the sim and the docs use the same ones. */
const NAMES = {
  bus: 'backup-hub',
  readerRole: 'backup-hub-reader',
  forwarderRole: 'backup-hub-forwarder',
  reconcilerRole: 'backup-hub-reconciler',
  prunerRole: 'backup-hub-pruner',
  restoreRole: 'backup-hub-restore',
  legalHoldRole: 'backup-hub-legal-hold',
  recoveryRole: 'backup-hub-recovery',
  restoreKeyAliasPrefix: 'alias/backup-hub-restore-',
  shareKeyAlias: 'alias/backup-hub-share',
  vaultKeyAlias: 'alias/backup-hub-vault',
  catalogTable: 'backup-hub-catalog',
  auditTable: 'backup-hub-audit',
};
const SERVICE = 'backup-hub';
/** A message is tried this often before the DLQ (also the default of hub-config's MAX_RECEIVE_COUNT). */
const MAX_RECEIVE_COUNT = 5;
/** Lambda's SQS guidance: a queue's visibility timeout at least six times the function timeout. */
const VISIBILITY_FACTOR = 6;
const RECONCILER = { timeout: 280, schedule: 'rate(5 minutes)' };
/** Retention is counted in days: four runs a day keep a copy at most six hours past its policy. */
const PRUNER = { timeout: 900, everyHours: 6 };

const RESOURCES_DIR = __dirname;
const accountsDir = () => (process.env.BACKUP_HUB_ACCOUNTS_DIR ? path.resolve(process.env.BACKUP_HUB_ACCOUNTS_DIR) : path.resolve(__dirname, '..'));

/** An error Serverless shows as its message alone (it prints the stack of JS-variable errors). */
function configError(message) {
  const error = new Error(`backup-hub: ${message}`);
  error.stack = error.message;
  return error;
}

// ---------------------------------------------------------------- inputs

/** `--param="account=<name>"`, read from the CLI options as Serverless parses them. */
function accountName(options) {
  const params = [].concat(options.param || []);
  for (const item of params) {
    const match = /^(?<key>[^=]+)=(?<value>.+)$/.exec(item);
    if (match && match.groups.key === 'account') return match.groups.value.trim();
  }
  throw configError('say which account to package: --param="account=<name>", where <name> is a file in accounts/ (e.g. vault, source-a)');
}

let accountsModule;
async function loadAccountsConfig() {
  accountsModule ??= await (await import('tsx/esm/api')).tsImport('../../shared/config/accounts.ts', __filename);
  try {
    return accountsModule.loadAccounts(accountsDir());
  } catch (error) {
    throw configError(error.message);
  }
}

/** CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, ...), for the templates in this folder. */
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  ['Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or', 'Condition', 'ImportValue', 'FindInMap', 'Base64', 'GetAZs', 'Cidr'].flatMap((name) =>
    ['scalar', 'sequence', 'mapping'].map(
      (kind) =>
        new yaml.Type(`!${name}`, {
          kind,
          construct: (data) => {
            if (name === 'Ref' || name === 'Condition') return { [name]: data };
            if (name === 'GetAtt' && typeof data === 'string') return { 'Fn::GetAtt': data.split('.') };
            return { [`Fn::${name}`]: data };
          },
        }),
    ),
  ),
);

/** A template of this folder with its {{placeholders}} filled in, parsed. */
function template(file, values) {
  const text = fs.readFileSync(path.join(RESOURCES_DIR, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (whole, key) => {
    if (!(key in values)) throw configError(`${file}: no value for ${whole}`);
    const value = values[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
  });
  return yaml.load(text, { schema: CFN_SCHEMA, filename: file });
}

/** kinds.yml, checked: a mistake there is reported with the kind and field. */
function loadKinds(kindNames) {
  const file = path.join(RESOURCES_DIR, 'kinds.yml');
  const kinds = yaml.load(fs.readFileSync(file, 'utf8'), { filename: file });
  const problems = [];
  for (const name of Object.keys(kinds)) if (!kindNames.includes(name)) problems.push(`${name}: not an artifact kind (${kindNames.join(', ')})`);
  for (const name of kindNames) {
    const kind = kinds[name];
    if (!kind) {
      problems.push(`${name}: missing; every kind needs at least its pattern`);
      continue;
    }
    if (!kind.pattern || typeof kind.pattern !== 'object') problems.push(`${name}.pattern: missing`);
    if (kind.handler === undefined) continue;
    if (!/^handlers\/[\w-]+\.\w+$/.test(kind.handler)) problems.push(`${name}.handler: must be handlers/<file>.<export>, e.g. handlers/${name}.handler`);
    for (const field of ['timeout', 'batchSize', 'maximumConcurrency', 'copyQuota']) {
      if (!Number.isInteger(kind[field]) || kind[field] <= 0) problems.push(`${name}.${field}: must be a positive whole number`);
    }
    if (kind.batchSize * kind.maximumConcurrency > kind.copyQuota) problems.push(`${name}: batchSize x maximumConcurrency exceeds copyQuota`);
    for (const field of ['vault', 'reader', 'prune']) if (!Array.isArray(kind[field]) || kind[field].length === 0) problems.push(`${name}.${field}: list the IAM statements the ${field === 'prune' ? 'pruner' : 'handler'} needs`);
  }
  if (problems.length) throw configError(`accounts/resources/kinds.yml is not valid:\n  - ${problems.join('\n  - ')}`);
  return kindNames.map((name) => ({ name, Name: pascal(name), ...kinds[name] }));
}

const pascal = (name) => name.replace(/(^|-)([a-z0-9])/g, (_, __, c) => c.toUpperCase());
const unique = (values) => [...new Set(values)];

// ---------------------------------------------------------------- statement tokens (see kinds.yml)

const PAIR_TOKENS = /\{(sourceAccount|sourceRegion)\}/;

/**
 * Expands kinds.yml tokens in a statement. Strings naming {sourceAccount}/{sourceRegion} become one
 * string per source account/region pair; {readerKeyAliases} becomes one string per alias.
 */
function expand(value, ctx) {
  if (Array.isArray(value)) return unique(value.flatMap((item) => expandToList(item, ctx)));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, ctx)]));
  if (typeof value !== 'string') return value;
  const list = expandToList(value, ctx);
  return list.length === 1 ? list[0] : list;
}

function expandToList(value, ctx) {
  if (typeof value !== 'string') return [expand(value, ctx)];
  if (value === '{vaultKeyArn}') return [{ 'Fn::GetAtt': ['VaultKey', 'Arn'] }];
  if (value === '{readerKeyAliases}') {
    if (!ctx.readerKeyAliases) throw configError('{readerKeyAliases} is only known in a source account (use it in reader: statements)');
    return ctx.readerKeyAliases;
  }
  const strings = PAIR_TOKENS.test(value) ? unique(ctx.pairs.map(({ account, region }) => value.replaceAll('{sourceAccount}', account).replaceAll('{sourceRegion}', region))) : [value];
  return strings.map((s) =>
    s.replace(/(?<!\$)\{(\w+)\}/g, (whole, token) => {
      const replacement = { vaultAccount: ctx.vaultAccount, vaultRegion: ctx.vaultRegion, shareKeyAlias: NAMES.shareKeyAlias }[token];
      if (replacement === undefined) throw configError(`kinds.yml: unknown token ${whole} in ${JSON.stringify(value)}`);
      return replacement;
    }),
  );
}

/**
 * A statement naming {recoveryAccount} is repeated once per recovery account, so that its
 * conditions pair each account with itself (a copy tagged for one account is shared with that one
 * only); the other statements stay as they are.
 */
function perRecovery(statements, accountIds) {
  return (statements || []).flatMap((statement) => {
    const text = JSON.stringify(statement);
    if (!text.includes('{recoveryAccount}')) return [statement];
    return accountIds.map((id) => ({ ...JSON.parse(text.replaceAll('{recoveryAccount}', id)), Sid: `${statement.Sid}For${id}` }));
  });
}

// ---------------------------------------------------------------- shared facts

function facts(config, stage) {
  const vault = config.vault;
  const sources = config.sources;
  const handlerKinds = (kinds) => kinds.filter((k) => k.handler);
  const functionName = (fn) => `${SERVICE}-${stage}-${fn}`;
  const roleArn = (name) => `arn:aws:iam::${vault.id}:role/${name}`;
  return {
    vault,
    sources,
    stage,
    functionName,
    handlerKinds,
    /** The vault roles that may assume the readers and use the share keys: every copy handler and the reconciler. */
    vaultHandlerRoleArns: (kinds) => [...handlerKinds(kinds).map((k) => roleArn(`${SERVICE}-${k.name}`)), roleArn(NAMES.reconcilerRole)],
    vaultBusArn: `arn:aws:events:${vault.regions[0]}:${vault.id}:event-bus/${NAMES.bus}`,
    /** Every allowed source account and region: what the vault's statements cover. */
    sourcePairs: sources.flatMap((s) => s.regions.map((region) => ({ account: s.id, region }))),
  };
}

// ---------------------------------------------------------------- the vault

function buildVault(config, kinds, { stage, region }) {
  const f = facts(config, stage);
  const vault = config.vault;
  const ctx = { vaultAccount: vault.id, vaultRegion: region, pairs: f.sourcePairs };
  const readerRoleArns = config.vault.allowedSources.map((id) => `arn:aws:iam::${id}:role/${NAMES.readerRole}`);
  const logGroupArns = (fn) => [`arn:aws:logs:${region}:${vault.id}:log-group:/aws/lambda/${f.functionName(fn)}:*`, `arn:aws:logs:${region}:${vault.id}:log-group:/aws/lambda/${f.functionName(fn)}:*:*`];
  const catalogArn = { 'Fn::GetAtt': ['CatalogTable', 'Arn'] };
  const auditArn = { 'Fn::GetAtt': ['AuditTable', 'Arn'] };

  /** The catalog (its items and indexes) and the append-only audit log, with the catalog actions given. */
  const tableStatements = (catalogActions) => [
    { Sid: 'ReadAndWriteTheCatalog', Effect: 'Allow', Action: catalogActions, Resource: catalogArn },
    { Sid: 'QueryTheCatalogIndexes', Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Sub': '${CatalogTable.Arn}/index/*' } },
    { Sid: 'AppendToAndReadTheAuditLog', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:Query'], Resource: auditArn },
    { Sid: 'QueryTheAuditLogIndexes', Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Sub': '${AuditTable.Arn}/index/*' } },
  ];
  const ownLogs = (fn) => ({ Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroupArns(fn) });
  /** What every copy function does: its logs, the reader roles, the catalog and the append-only audit log. */
  const commonStatements = (fn) => [
    ownLogs(fn),
    { Sid: 'AssumeTheSourceReaderRoles', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: readerRoleArns },
    ...tableStatements(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
  ];
  const queueStatements = (kind) => {
    const queueArn = { 'Fn::GetAtt': [`${kind.Name}Queue`, 'Arn'] };
    return [
      // The event source mapping polls with the function's role (Lambda developer guide, SQS execution role permissions).
      { Sid: 'ConsumeOwnQueue', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: queueArn },
      { Sid: 'RequeueDeferredMessagesOnOwnQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
    ];
  };
  const kindStatements = (kind) => expand(kind.vault, ctx);
  const restoreRoleArn = `arn:aws:iam::${vault.id}:role/${NAMES.restoreRole}`;
  const recoveryIds = config.recovery.map((r) => r.id);

  const resources = {};
  const functions = {};
  for (const kind of kinds) {
    const visibilityTimeout = VISIBILITY_FACTOR * (kind.timeout ?? 120);
    Object.assign(resources, template('vault-kind.yml', { kind: kind.name, Kind: kind.Name, pattern: kind.pattern, visibilityTimeout, maxReceiveCount: MAX_RECEIVE_COUNT }));
    if (!kind.handler) continue;
    const statements = [...commonStatements(kind.name), ...queueStatements(kind), ...kindStatements(kind)];
    Object.assign(resources, template('vault-handler.yml', { kind: kind.name, Kind: kind.Name, functionName: f.functionName(kind.name), statements }));
    functions[kind.name] = {
      handler: kind.handler,
      description: `backup-hub: copies the ${kind.name} artifacts announced on the backup-hub-${kind.name} queue into the vault`,
      role: `${kind.Name}Role`,
      timeout: kind.timeout,
      environment: { QUEUE_URL: { Ref: `${kind.Name}Queue` } },
      events: [
        {
          sqs: {
            arn: { 'Fn::GetAtt': [`${kind.Name}Queue`, 'Arn'] },
            batchSize: kind.batchSize,
            functionResponseType: 'ReportBatchItemFailures',
            maximumConcurrency: kind.maximumConcurrency,
          },
        },
      ],
    };
  }
  functions.reconciler = {
    handler: 'handlers/reconciler.handler',
    description: 'backup-hub: completes pending vault copies and cleans up the sources',
    role: 'ReconcilerRole',
    timeout: RECONCILER.timeout,
    reservedConcurrency: 1, // one run at a time; the catalog's leases make an overlap safe anyway
    events: [{ schedule: { rate: [RECONCILER.schedule], description: 'backup-hub reconciler' } }],
  };
  for (const id of recoveryIds) Object.assign(resources, template('vault-restore-key.yml', { account: id, restoreRoleArn, vaultRegion: region }));
  functions.pruner = {
    handler: 'handlers/pruner.handler',
    description: 'backup-hub: deletes vault copies past their retention (never under the vault lock or a legal hold)',
    role: 'PrunerRole',
    timeout: PRUNER.timeout,
    reservedConcurrency: 1, // one run at a time; its conditional catalog writes make an overlap safe anyway
    environment: { RETENTION: JSON.stringify(accountsModule.retentionSettings(config)) },
    events: [{ schedule: { rate: [`rate(${PRUNER.everyHours} hours)`], description: 'backup-hub pruner' } }],
  };
  Object.assign(resources, alertLogAlarm(Object.keys(functions)));
  if (vault.alarmEmail) {
    resources.AlarmEmailSubscription = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: vault.alarmEmail } };
  }

  const patterns = kinds.map((k) => k.pattern);
  const busCondition = {
    StringEquals: {
      'events:source': unique(patterns.flatMap((p) => p.source)),
      'events:detail-type': unique(patterns.flatMap((p) => p['detail-type'])),
      ...(vault.organizationId ? { 'aws:PrincipalOrgID': vault.organizationId } : {}),
    },
  };
  return {
    role: 'vault',
    plugins: ['serverless-esbuild'],
    environment: {
      VAULT_ACCOUNT_ID: vault.id,
      VAULT_KEY_ARN: { 'Fn::GetAtt': ['VaultKey', 'Arn'] },
      CATALOG_TABLE: { Ref: 'CatalogTable' },
      AUDIT_TABLE: { Ref: 'AuditTable' },
      READER_ROLE_NAME: NAMES.readerRole,
      EXTERNAL_ID: vault.externalId,
      SHARE_KEY_ALIAS: NAMES.shareKeyAlias,
      ALLOWED_SOURCES: JSON.stringify(accountsModule.allowedSourceRegions(config)),
      MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
    },
    functions,
    resources: { Resources: resources },
    functionNames: { reconciler: f.functionName('reconciler'), pruner: f.functionName('pruner') },
    busPolicyStatement: {
      Effect: 'Allow',
      Principal: { AWS: vault.allowedSources.map((id) => `arn:aws:iam::${id}:root`) },
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] },
      Condition: busCondition,
    },
    vaultHandlerRoleArns: f.vaultHandlerRoleArns(kinds),
    reconcilerStatements: [...commonStatements('reconciler'), ...f.handlerKinds(kinds).flatMap((k) => prefixSids(k, kindStatements(k)))],
    // No reader role, no source: the pruner deletes vault copies (kinds.yml `prune:`) and records it.
    prunerStatements: [ownLogs('pruner'), ...tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query']), ...f.handlerKinds(kinds).flatMap((k) => prefixSids(k, expand(k.prune, ctx)))],
    // `backup-hub hold`: it sets or lifts a legal hold on a catalog item and records that, nothing else.
    legalHoldStatements: tableStatements(['dynamodb:GetItem', 'dynamodb:UpdateItem']).filter((st) => !st.Sid.endsWith('Indexes')),
    restoreRoleArn,
    // What `backup-hub restore` needs (kinds.yml `restore:`): it reads the catalog, records in the
    // audit log, finds the restore keys, and re-encrypts and shares restore copies.
    restoreStatements: [
      ...tableStatements(['dynamodb:GetItem', 'dynamodb:Query']),
      {
        Sid: 'FindTheRestoreKeys',
        Effect: 'Allow',
        Action: 'kms:DescribeKey',
        Resource: `arn:aws:kms:${region}:${vault.id}:key/*`,
        Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': `${NAMES.restoreKeyAliasPrefix}*` } },
      },
      ...f.handlerKinds(kinds).flatMap((k) => prefixSids(k, expand(perRecovery(k.restore, recoveryIds), ctx))),
    ],
  };
}

/** Several kinds' statements in one policy: Sids must be unique, so each is prefixed with its kind. */
const prefixSids = (kind, statements) => statements.map((statement) => ({ ...statement, Sid: `${kind.Name}${statement.Sid}` }));

// ---------------------------------------------------------------- a source

function buildSource(config, kinds, account, { stage, region }) {
  const f = facts(config, stage);
  const vault = config.vault;
  const primaryRegion = account.regions[0];
  const ctx = {
    vaultAccount: vault.id,
    vaultRegion: vault.regions[0],
    pairs: account.regions.map((r) => ({ account: account.id, region: r })),
    readerKeyAliases: unique(['alias/aws/ebs', NAMES.shareKeyAlias, ...account.customerKeyAliases]),
  };
  const forwarderRoleArn = `arn:aws:iam::${account.id}:role/${NAMES.forwarderRole}`;
  const resources = {};
  for (const kind of kinds) {
    const rule = template('source-kind.yml', { kind: kind.name, Kind: kind.Name, pattern: kind.pattern, vaultBusArn: f.vaultBusArn, forwarderRoleArn });
    // In the primary region the role is created by this very stack: wait for it.
    if (region === primaryRegion) for (const resource of Object.values(rule)) resource.DependsOn = ['ForwarderRole'];
    Object.assign(resources, rule);
  }

  const trust = vaultRoleTrust(vault, 'OnlyTheVaultHandlersWithTheExternalId', f.vaultHandlerRoleArns(kinds));
  return {
    role: 'source',
    plugins: [],
    environment: {},
    functions: {},
    resources: { Resources: resources },
    primaryRegion,
    vaultBusArn: f.vaultBusArn,
    vaultRootArn: `arn:aws:iam::${vault.id}:root`,
    vaultHandlerRoleArns: f.vaultHandlerRoleArns(kinds),
    readerRoleArn: `arn:aws:iam::${account.id}:role/${NAMES.readerRole}`,
    readerTrustStatements: [trust],
    readerStatements: f.handlerKinds(kinds).flatMap((k) => prefixSids(k, expand(k.reader, ctx))),
    // EC2 uses the share key in the vault's region (the copy) and in this region (the source side);
    // RDS describes it in the vault's region when the vault copies a shared DB (cluster) snapshot.
    shareKeyViaServices: unique([`ec2.${vault.regions[0]}.amazonaws.com`, `ec2.${region}.amazonaws.com`, `rds.${vault.regions[0]}.amazonaws.com`]),
  };
}

/**
 * A role trust for vault roles only: the vault account as principal, narrowed to those roles by
 * aws:PrincipalArn, with the ExternalId (and the organization, when set). The trust survives the
 * vault roles being re-created (a role principal would be pinned to the old role's unique id) and
 * does not fail when the vault is deployed after this account.
 */
function vaultRoleTrust(vault, sid, principalArns) {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${vault.id}:root` },
    Action: 'sts:AssumeRole',
    Condition: {
      StringEquals: { 'sts:ExternalId': vault.externalId, ...(vault.organizationId ? { 'aws:PrincipalOrgID': vault.organizationId } : {}) },
      ArnEquals: { 'aws:PrincipalArn': principalArns },
    },
  };
}

// ---------------------------------------------------------------- a recovery account

function buildRecovery(config, kinds, account) {
  const vault = config.vault;
  const ctx = { vaultAccount: vault.id, vaultRegion: vault.regions[0], pairs: [] };
  const trust = vaultRoleTrust(vault, 'OnlyTheVaultRestoreRoleWithTheExternalId', `arn:aws:iam::${vault.id}:role/${NAMES.restoreRole}`);
  return {
    role: 'recovery',
    plugins: [],
    environment: {},
    functions: {},
    resources: { Resources: {} },
    primaryRegion: account.regions[0],
    recoveryTrustStatements: [trust],
    recoveryStatements: kinds.filter((k) => k.recovery).flatMap((k) => prefixSids(k, expand(perRecovery(k.recovery, [account.id]), ctx))),
  };
}

// ---------------------------------------------------------------- entry points

const builds = new Map();

/** The stack of the account named on the command line, built once per account/stage/region. */
async function build(options) {
  const name = accountName(options);
  const stage = options.stage || 'dev';
  const key = `${name}|${stage}|${options.region || ''}`;
  if (!builds.has(key)) builds.set(key, buildNow(name, stage, options.region));
  return builds.get(key);
}

async function buildNow(name, stage, requestedRegion) {
  const config = await loadAccountsConfig();
  let account;
  try {
    account = config.account(name);
  } catch (error) {
    throw configError(error.message);
  }
  const region = requestedRegion || account.regions[0];
  if (!account.regions.includes(region)) {
    throw configError(`${account.file} lists regions ${account.regions.join(', ')}; --region ${region} is not one of them`);
  }
  const kinds = loadKinds(accountsModule.ARTIFACT_KINDS);
  const builders = { vault: () => buildVault(config, kinds, { stage, region }), source: () => buildSource(config, kinds, account, { stage, region }), recovery: () => buildRecovery(config, kinds, account) };
  const built = builders[account.role]();
  return {
    account: account.name,
    accountId: account.id,
    region,
    names: NAMES,
    vaultAccountId: config.vault.id,
    stackTags: { 'backup-hub:account': account.name, 'backup-hub:role': account.role },
    ...built,
  };
}

/** The CloudFormation logical id prefix serverless gives a function (`ebs-snapshot` → `EbsDashsnapshot`). */
const normalizedFunctionName = (name) => name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore').replace(/^./, (c) => c.toUpperCase());

/**
 * The hub logs at ERROR level only what needs a person (a copy that failed or is stuck, a vault
 * lock an account file tried to shorten): every function's such lines feed one metric and one
 * alarm on the alarm topic, with the function's log group to read the reason in.
 */
function alertLogAlarm(functionNames) {
  const metric = { MetricNamespace: 'backup-hub', MetricName: 'AlertLogLines', MetricValue: '1', DefaultValue: 0 };
  const resources = {};
  for (const name of functionNames) {
    resources[`${normalizedFunctionName(name)}AlertLogLines`] = {
      Type: 'AWS::Logs::MetricFilter',
      Properties: { LogGroupName: { Ref: `${normalizedFunctionName(name)}LogGroup` }, FilterPattern: '{ $.level = "ERROR" }', MetricTransformations: [metric] },
    };
  }
  resources.AlertLogLinesAlarm = {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: 'backup-hub-alerts',
      AlarmDescription: 'A backup-hub function logged an ERROR line: a vault copy failed or is stuck, or the vault lock refused a shorter value. The line (level ERROR) in the functions\' log groups has the reason.',
      Namespace: metric.MetricNamespace,
      MetricName: metric.MetricName,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
    },
  };
  return resources;
}

/**
 * The vault key's policy exactly as vault.yml writes it, with its serverless variables and
 * `!Sub` pseudo parameters resolved: the simulated hub gives its vault key this policy, so a
 * statement the handlers need and the stack lacks fails a test instead of a deployment.
 */
function vaultKeyPolicy({ accountId, region, vaultHandlerRoleArns, restoreRoleArn }) {
  const file = path.join(RESOURCES_DIR, 'vault.yml');
  const policy = yaml.load(fs.readFileSync(file, 'utf8'), { schema: CFN_SCHEMA, filename: file }).Resources.VaultKey.Properties.KeyPolicy;
  const variables = { 'self:custom.hub.region': region, 'self:custom.hub.vaultHandlerRoleArns': vaultHandlerRoleArns, 'self:custom.hub.restoreRoleArn': restoreRoleArn, 'AWS::AccountId': accountId };
  const resolve = (value) => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') return 'Fn::Sub' in value ? resolve(value['Fn::Sub']) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    if (typeof value !== 'string') return value;
    const whole = /^\$\{([^}]+)\}$/.exec(value);
    if (whole && Array.isArray(variables[whole[1]])) return variables[whole[1]];
    return value.replace(/\$\{([^}]+)\}/g, (text, name) => {
      if (!(name in variables)) throw new Error(`vault.yml VaultKey policy: no value for ${text}`);
      return variables[name];
    });
  };
  return resolve(policy);
}

module.exports = {
  plugins: async ({ options }) => (await build(options)).plugins,
  hub: async ({ options }) => build(options),
  NAMES,
  MAX_RECEIVE_COUNT,
  PRUNER,
  vaultKeyPolicy,
};
