/**
 * Names fixed by the hub's contract: the stacks create these, and the handlers, the operator
 * commands and the simulated cloud find what was deployed by them. The source and vault stacks
 * refer to each other by name, so they do not change with the stage.
 */
export const NAMES = {
  service: 'backup-hub',
  bus: 'backup-hub',
  readerRole: 'backup-hub-reader',
  forwarderRole: 'backup-hub-forwarder',
  reconcilerRole: 'backup-hub-reconciler',
  prunerRole: 'backup-hub-pruner',
  restoreRole: 'backup-hub-restore',
  /** The restore role for the copies in the vault's DR region (`backup-hub restore --from-region`). */
  drRestoreRole: 'backup-hub-restore-dr',
  legalHoldRole: 'backup-hub-legal-hold',
  sweepRole: 'backup-hub-sweep',
  integrityRole: 'backup-hub-integrity',
  retryRole: 'backup-hub-retry',
  recoveryRole: 'backup-hub-recovery',
  /** The vault's configuration capture; it assumes each source's config reader role. */
  configCaptureRole: 'backup-hub-config-capture',
  /** A source's read-only role for its configuration: Describe calls of what is captured, no data. */
  configReaderRole: 'backup-hub-config-reader',
  restoreKeyAliasPrefix: 'alias/backup-hub-restore-',
  shareKeyAlias: 'alias/backup-hub-share',
  vaultKeyAlias: 'alias/backup-hub-vault',
  catalogTable: 'backup-hub-catalog',
  auditTable: 'backup-hub-audit',
  alarmTopic: 'backup-hub-alarms',
  rpoCheckRole: 'backup-hub-rpo-check',
  auditAnchorRole: 'backup-hub-audit-anchor',
  auditAnchorKeyAlias: 'alias/backup-hub-audit-anchor',
  dashboard: 'backup-hub',
} as const;

/** A kind's queue: the vault rule fills it, the kind's handler reads it, the inventory sweep adds what no event announced. */
export const queueName = (kind: string) => `${NAMES.service}-${kind}`;

/** A message is tried this often before the DLQ (also the default of hub-config's MAX_RECEIVE_COUNT). */
export const MAX_RECEIVE_COUNT = 5;

/** Lambda's SQS guidance: a queue's visibility timeout at least six times the function timeout. */
export const VISIBILITY_FACTOR = 6;

/** What every function runs on. */
export const LAMBDA = { runtime: 'nodejs22.x', architecture: 'arm64', memorySize: 512, logRetentionInDays: 90 } as const;

/** A safety net since the vault's own completion events complete copies: lost events, Aurora copies (no event), waiting points, residue. */
export const RECONCILER = { timeout: 280, everyMinutes: 15 } as const;

/** Every 15 minutes: a source's RPO alarm pages within half an hour of its first resource going over its target. */
export const RPO_CHECK = { timeout: 300, everyMinutes: 15 } as const;

/**
 * Hourly: each source region is captured when its last capture is older than its account's
 * configCaptureHours. A run stops before Lambda's 15 minutes and the next one goes on.
 */
export const CONFIG_CAPTURE = { timeout: 900, everyMinutes: 60, runBudgetSeconds: 780 } as const;

/** The vault captures each source's configuration daily unless its account file says otherwise. Here, not in shared/config, so the capture's bundle holds no YAML or zod parser. */
export const CONFIG_CAPTURE_HOURS = 24;

/** Retention is counted in days: four runs a day keep a copy at most six hours past its policy. */
export const PRUNER = { timeout: 900, everyHours: 6 } as const;

/** Every hour the audit log's head is signed: at most an hour of entries is ever without a signature. */
export const AUDIT_ANCHOR = { timeout: 300, everyMinutes: 60 } as const;

/** Where the signed heads of the audit log are kept: an S3 Object Lock bucket in the account `accounts/vault.yml` names (the vault by default). */
export const auditAnchorBucket = (account: string, region: string) => `backup-hub-audit-anchors-${account}-${region}`;

/** Where a verify finds the anchors (bucket and its owner) and the key that signed them (its alias ARN). */
export const auditAnchorLocation = (vault: { id: string; auditAnchors: { account: string } }, region: string) => ({
  bucket: auditAnchorBucket(vault.auditAnchors.account, region),
  owner: vault.auditAnchors.account,
  keyId: `arn:aws:kms:${region}:${vault.id}:${NAMES.auditAnchorKeyAlias}`,
});

/**
 * The vault's store of SSM parameter versions, an S3 bucket per vault account and region (bucket
 * names are global). Every call to it names the vault as the expected owner, so a bucket of the same
 * name in another account is never written to.
 */
export const ssmStoreBucket = (account: string, region: string) => `backup-hub-ssm-${account}-${region}`;

/** Where the configuration captures live in the vault store: `config/<account>/<region>/<capturedAt>.json`. */
export const CONFIG_PREFIX = 'config/';

/** The vault key of a region by its alias ARN, which EC2, RDS and S3 take as a key id: the vault stack of each region gives its key the same alias. */
export const vaultKeyAliasArn = (account: string, region: string) => `arn:aws:kms:${region}:${account}:${NAMES.vaultKeyAlias}`;
/**
 * The inventory sweep: its schedule comes from the account files (`sweep.everyMinutes`); a run
 * stops listing after `runSeconds` (well within Lambda's 15 minutes) and the next run goes on.
 */
export const SWEEP = { timeout: 900, runSeconds: 600 } as const;

/** The integrity sweep: every hour, at most `pointsPerRun` available points checked a run (a few calls per hundred). */
export const INTEGRITY = { timeout: 900, everyMinutes: 60, pointsPerRun: 10_000 } as const;

/** A source's reader role of one kind: only that kind's vault role may assume it. */
export const readerRoleName = (kind: string) => `${NAMES.readerRole}-${kind}`;

/** The vault role of one kind: its handler's execution role, which the reconciler assumes for that kind's work. */
export const kindRoleName = (kind: string) => `${NAMES.service}-${kind}`;

/** Where the vault stack records each source (one SSM parameter per account: `<path><account id>`). */
export const SOURCES_PATH = '/backup-hub-sources/';

/** A vault role's ARN: the vault's IAM is named, so sources can trust its roles before they exist. */
export const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

/** The logical id prefix serverless gives a function (`ebs-snapshot` → `EbsDashsnapshot`). */
export const normalizedFunctionName = (key: string) =>
  key
    .replace(/-/g, 'Dash')
    .replace(/_/g, 'Underscore')
    .replace(/^./, (c) => c.toUpperCase());

/** The name serverless gives a function: `backup-hub-<stage>-<key>`. */
export const functionName = (stage: string, key: string) => `${NAMES.service}-${stage}-${key}`;
