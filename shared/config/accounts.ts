import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ARTIFACT_KINDS, type ArtifactKindName, isArtifactKindName } from '../kinds/index.js';
import { SWEEP_DEFAULTS, type SweepSettings } from '../sweep/sweep-settings.js';

/**
 * The account files under `accounts/`: one YAML file per AWS account the hub is deployed to.
 * The file name (without `.yml`) is the account's name, the one `serverless package
 * --param="account=<name>"` picks. Every problem is reported with its file and field, all at
 * once, so a broken folder is fixed in one pass.
 *
 * @example
 * const accounts = loadAccounts();            // accounts/ at the repository root
 * accounts.account('source-a').regions;       // ['eu-west-1']
 */

/** The folder of the example accounts, beside `shared/`. */
export const DEFAULT_ACCOUNTS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../accounts');

export interface ProtectionTarget {
  /** How long vault copies are kept: the pruner deletes older ones (unless `keepLast`, the vault lock or a legal hold keeps them). */
  retentionDays: number;
  /** The newest N copies of each protected resource are kept whatever their age (a resource that stopped producing backups keeps its last ones). */
  keepLast?: number;
  /** The newest recovery point of a protected resource must not be older than this. */
  rpoHours: number;
  /** The same for its newest copy in the vault's DR region; `rpoHours` when left out. */
  drRpoHours?: number;
}

/**
 * The quotas an account file may declare raised: AWS's adjustable quotas that the simulated deploy
 * enforces, with their default and the highest value AWS documents. Declare one only once Service
 * Quotas granted it to that account; the simulated deploy then holds the stacks to it.
 */
export const RAISABLE_QUOTAS = {
  'iam.trustPolicySize': { default: 2048, max: 4096, what: 'characters of a role trust policy' },
  'iam.managedPoliciesPerRole': { default: 10, max: 20, what: 'managed policies attached to a role' },
  'events.rulesPerBus': { default: 300, what: 'rules on an event bus' },
  'events.eventPatternSize': { default: 2048, max: 4096, what: 'characters of an event pattern' },
  'events.busPolicySize': { default: 10_240, what: 'characters of an event bus policy' },
  'dynamodb.globalSecondaryIndexesPerTable': { default: 20, what: 'global secondary indexes of a table' },
} as const satisfies Record<string, { default: number; max?: number; what: string }>;

export type RaisableQuota = keyof typeof RAISABLE_QUOTAS;

interface AccountBase {
  /** The file name without extension: what `--param="account=<name>"` names. */
  name: string;
  /** The file name, as errors show it. */
  file: string;
  id: string;
  /** The first one is the account's primary region: account-wide (IAM) resources live there. */
  regions: string[];
  organizationId?: string;
  /** As written in this file; {@link effectiveTargets} merges the vault's defaults in. */
  targets: Partial<Record<ArtifactKindName, ProtectionTarget>>;
  /** What Service Quotas raised for this account ({@link RAISABLE_QUOTAS}); AWS's defaults apply to the rest. */
  quotas: Partial<Record<RaisableQuota, number>>;
}

export interface VaultAccount extends AccountBase {
  role: 'vault';
  /** Every source's reader role requires it on AssumeRole. */
  externalId: string;
  /** Source account ids the vault accepts events from and copies out of. */
  allowedSources: string[];
  /** Subscribed to the alarm topic when set. */
  alarmEmail?: string;
  /** Who may assume the operators' roles in the vault. */
  operators: Operators;
  /** The vault lock asked for: no copy younger than this is ever deleted, and once in force it can only grow. */
  lock?: VaultLockSetting;
  /** The role that deploys the vault stack (ARN): the only principal the organization policies (`backup-hub guardrails`) let change the hub. */
  deployRole?: string;
  /** Where the audit log's signed heads are kept, and how long each is locked (compliance mode). */
  auditAnchors: { account: string; retentionDays: number };
  /**
   * A second vault region: every vault copy is copied there too, under the vault's DR key, so that a
   * region's outage leaves copies to restore from. Its stack is packaged with `--region` like a
   * source's further region.
   */
  drRegion?: string;
  sweep?: VaultSweepSetting;
}

/** The inventory sweep as the vault's file sets it: its period, and the default budget of every source. */
export interface VaultSweepSetting {
  everyMinutes?: number;
  callsPerSecond?: number;
}

/** Seven years, a common retention for audit records, unless the vault file asks for another. */
export const DEFAULT_ANCHOR_RETENTION_DAYS = 7 * 365;

/**
 * The principals (IAM ARN patterns, e.g. an IAM Identity Center permission set's role) that may
 * assume backup-hub-restore, backup-hub-legal-hold, backup-hub-retry and backup-hub-sweep; with `mfa`, only in a session signed in with MFA.
 */
export interface Operators {
  restore: string[];
  legalHold: string[];
  /** Those who may reopen failed points; the restore operators unless the vault file names others. */
  retry: string[];
  /** Those who may run the inventory sweep on demand (`backup-hub sweep`); the retry operators unless the vault file names others. */
  sweep: string[];
  mfa: boolean;
}

export interface VaultLockSetting {
  minRetentionDays: number;
  /**
   * Hours after a vault copy's compliance-mode snapshot lock is set during which it can still be
   * lifted (EBS's cooling-off period, 1 to 72); none: the lock binds at once.
   */
  coolOffHours?: number;
}

/** An account the vault restores into: it offers the role the restore assumes to write SSM parameters back. */
export interface RecoveryAccount extends AccountBase {
  role: 'recovery';
  /** The vault account id. */
  vault: string;
}

export interface SourceAccount extends AccountBase {
  role: 'source';
  /** The vault account id. */
  vault: string;
  /** Aliases of customer managed keys (besides the share key) whose snapshots the reader may re-encrypt. */
  customerKeyAliases: string[];
  /** Only when the file repeats it; it must equal the vault's, which is the one in force. */
  externalId?: string;
  /** The inventory sweep's budget in this account (API calls per second per region), when it differs from the vault's default. */
  sweep?: { callsPerSecond: number };
  /** The SSM parameters the vault may read and copy: those under these path prefixes, and with `tagged` those tagged backup-hub:protect=true. */
  ssmParameters: { paths: string[]; tagged: boolean };
  /** Page when no event came from this account for this long; {@link silenceHours} gives the default. */
  silenceHours?: number;
  /** How often the vault captures this account's configuration (hours); CONFIG_CAPTURE_HOURS (accounts/stack/names.ts) by default. */
  configCaptureHours?: number;
  /** Its fair share of the vault's copy slots (pending points); PENDING_CAP (shared/core/copy-quota.ts) by default. */
  pendingCap?: number;
}

/** Where the audit log's signed anchors are kept when the vault file names this account (`auditAnchors.account`): the Object Lock bucket only. */
export interface LogArchiveAccount extends AccountBase {
  role: 'log-archive';
  /** The vault account id. */
  vault: string;
}

export type Account = VaultAccount | SourceAccount | RecoveryAccount | LogArchiveAccount;

export interface AccountsConfig {
  dir: string;
  vault: VaultAccount;
  sources: SourceAccount[];
  /** Accounts the vault may restore into. */
  recovery: RecoveryAccount[];
  /** The account keeping the audit log's signed anchors, when it is not the vault. */
  logArchive: LogArchiveAccount[];
  /** Every account, vault first, then the sources, then the recovery accounts, then the log archive. */
  all: Account[];
  /** @throws Error naming the known accounts when there is no such file. */
  account(name: string): Account;
}

/** One thing wrong with the account files: where, and what. */
export interface AccountProblem {
  file: string;
  field: string;
  message: string;
}

export class AccountsConfigError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: AccountProblem[],
  ) {
    const lines = problems.map((p) => `  - ${p.file}: ${p.field}: ${p.message}`);
    super(
      `The account files in ${dir} are not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    );
    this.name = 'AccountsConfigError';
  }
}

// ---------------------------------------------------------------- schema of one file

const accountId = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : typeof issue.input === 'number'
          ? 'must be a quoted string of 12 digits (YAML reads an unquoted number as a number and drops leading zeros)'
          : 'must be a 12-digit AWS account id',
  })
  .regex(/^\d{12}$/, 'must be a 12-digit AWS account id');

const region = z
  .string({ error: 'must be a region name' })
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region name such as eu-west-1');

// An IAM ARN pattern: `*` and `?` stand for any characters, as ArnLike reads them.
const principalPatterns = z
  .array(
    z.string().regex(/^arn:aws[\w-]*:(iam|sts)::(\d{12}|\*):[\w+=,.@/*?-]+$/, 'must be an IAM role or user ARN (patterns with * allowed)'),
    {
      error: 'must be a list of IAM ARN patterns',
    },
  )
  .min(1, 'must name at least one principal');

const days = z.number({ error: 'must be a number of days' }).int('must be a whole number of days').positive('must be positive');

// A budget above EC2's own refill rate for Describe calls (20 a second) would be no budget at all.
const callsPerSecond = z
  .number({ error: 'must be a number of API calls per second' })
  .positive('must be positive')
  .max(10, "must be at most 10: the budget is a share of what the account's own tools need (EC2 refills 20 Describe calls a second)");

const target = z.strictObject({
  retentionDays: days,
  keepLast: z
    .number({ error: 'must be a number of copies' })
    .int('must be a whole number of copies')
    .positive('must be positive')
    .optional(),
  rpoHours: z.number({ error: 'must be a number of hours' }).positive('must be positive'),
  drRpoHours: z.number({ error: 'must be a number of hours' }).positive('must be positive').optional(),
});

const targets = z.record(z.string(), target).superRefine((value, ctx) => {
  for (const key of Object.keys(value)) {
    if (!isArtifactKindName(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `is not an artifact kind (one of ${ARTIFACT_KINDS.join(', ')})` });
    }
  }
});

const quotas = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  for (const [name, raised] of Object.entries(value)) {
    const quota = (RAISABLE_QUOTAS as Record<string, { default: number; max?: number; what: string }>)[name];
    if (!quota) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `is not a quota an account can raise (the raisable ones: ${Object.keys(RAISABLE_QUOTAS).join(', ')}); the rest are fixed by AWS`,
      });
      continue;
    }
    const range = `from ${quota.default} (AWS's default) to ${quota.max ?? 'any higher number'}`;
    if (
      typeof raised !== 'number' ||
      !Number.isInteger(raised) ||
      raised < quota.default ||
      (quota.max !== undefined && raised > quota.max)
    )
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `must be the limit Service Quotas granted this account (${quota.what}), a whole number ${range}`,
      });
  }
});

const common = {
  id: accountId,
  regions: z.array(region, { error: 'must be a list of region names' }).min(1, 'must list at least one region'),
  organizationId: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/, 'must be an AWS Organizations id such as o-a1b2c3d4e5')
    .optional(),
  // sts:ExternalId: 2 to 1224 characters of [\w+=,.@:/-] (STS AssumeRole API reference).
  externalId: z
    .string({ error: 'must be a string' })
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2 to 1224 characters of letters, digits and +=,.@:/-_')
    .optional(),
  targets: targets.optional(),
  quotas: quotas.optional(),
};

const vaultFile = z.strictObject({
  ...common,
  role: z.literal('vault'),
  regions: common.regions.max(1, 'a vault lives in exactly one region'),
  externalId: common.externalId.unwrap(),
  allowedSources: z.array(accountId, { error: 'must be a list of source account ids' }).min(1, 'must list at least one source account id'),
  alarmEmail: z.email('must be an email address').optional(),
  deployRole: z
    .string()
    .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be the ARN of the IAM role that deploys the vault stack')
    .optional(),
  lock: z
    .strictObject({
      minRetentionDays: days,
      coolOffHours: z
        .number({ error: 'must be a number of hours' })
        .int('must be a whole number of hours')
        .min(1, 'must be 1 to 72 hours (EBS snapshot lock cooling-off period)')
        .max(72, 'must be 1 to 72 hours (EBS snapshot lock cooling-off period)')
        .optional(),
    })
    .optional(),
  auditAnchors: z.strictObject({ account: accountId.optional(), retentionDays: days.optional() }).optional(),
  drRegion: region.optional(),
  sweep: z
    .strictObject({
      // EventBridge rate() takes whole minutes; less than 15 would list every source faster than a pass can finish.
      everyMinutes: z
        .number({ error: 'must be a number of minutes' })
        .int('must be a whole number of minutes')
        .min(15, 'must be at least 15')
        .max(1440, 'must be at most 1440 (a day)')
        .optional(),
      callsPerSecond: callsPerSecond.optional(),
    })
    .optional(),
  operators: z.strictObject(
    {
      restore: principalPatterns,
      legalHold: principalPatterns,
      retry: principalPatterns.optional(),
      sweep: principalPatterns.optional(),
      mfa: z.boolean({ error: 'must be true or false' }).optional(),
    },
    { error: 'must name the principals that may assume the operator roles: { restore: [ARN patterns], legalHold: [ARN patterns] }' },
  ),
});

const keyAlias = z.string().regex(/^alias\/[\w/-]+$/, 'must be a KMS alias such as alias/app-data');

const parameterPath = z.string().regex(/^\/[\w.\-/]*$/, 'must be a parameter path prefix starting with /, such as /app/');

const sourceFile = z.strictObject({
  ...common,
  role: z.literal('source'),
  vault: accountId,
  // 1 hour to 7 days: the alarm counts events per hour, and CloudWatch evaluates an alarm over 7 days at most.
  silenceHours: z
    .number({ error: 'must be a number of hours' })
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1')
    .max(168, 'must be at most 168 (7 days: the longest a CloudWatch alarm looks back)')
    .optional(),
  // 1 hour to 7 days: the capture runs hourly, and a week-old configuration rebuilds a week-old estate.
  configCaptureHours: z
    .number({ error: 'must be a number of hours' })
    .int('must be a whole number of hours')
    .min(1, 'must be at least 1 (the capture runs hourly)')
    .max(168, 'must be at most 168 (a week)')
    .optional(),
  customerKeyAliases: z
    .array(keyAlias)
    .refine((aliases) => aliases.every((a) => !a.startsWith('alias/aws/')), 'must not name AWS managed keys (aws/ebs is always allowed)')
    .optional(),
  pendingCap: z
    .number({ error: 'must be a number of recovery points' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .optional(),
  sweep: z.strictObject({ callsPerSecond }).optional(),
  ssmParameters: z
    .strictObject({ paths: z.array(parameterPath).optional(), tagged: z.boolean({ error: 'must be true or false' }).optional() })
    .optional(),
});

const recoveryFile = z.strictObject({
  id: common.id,
  role: z.literal('recovery'),
  regions: common.regions,
  organizationId: common.organizationId,
  vault: accountId,
  quotas: common.quotas,
});

const logArchiveFile = recoveryFile.extend({ role: z.literal('log-archive') });

// ---------------------------------------------------------------- loading

/** Reads every `*.yml` / `*.yaml` file directly in `dir` (not its subfolders) and validates them together. */
export function loadAccounts(dir: string = DEFAULT_ACCOUNTS_DIR): AccountsConfig {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && ['.yml', '.yaml'].includes(extname(entry.name)))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    throw new AccountsConfigError(dir, [{ file: dir, field: '(folder)', message: `cannot be read: ${(error as Error).message}` }]);
  }
  return parseAccounts(
    names.map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') })),
    dir,
  );
}

/** Validates account files given as text: what {@link loadAccounts} does after reading the folder. */
export function parseAccounts(files: { file: string; text: string }[], dir = 'accounts/'): AccountsConfig {
  const problems: AccountProblem[] = [];
  const accounts: Account[] = [];
  for (const { file, text } of files) {
    const account = parseFile(file, text, problems);
    if (account) accounts.push(account);
  }
  if (files.length === 0)
    problems.push({
      file: dir,
      field: '(folder)',
      message: 'has no account files (*.yml); add one for the vault and one per source account',
    });
  // Cross-file checks only once every file reads: a file with errors would make them report nonsense.
  else if (problems.length === 0) checkAcrossFiles(accounts, problems);
  if (problems.length) throw new AccountsConfigError(dir, problems);

  const vault = accounts.find((a): a is VaultAccount => a.role === 'vault')!;
  const sources = accounts.filter((a): a is SourceAccount => a.role === 'source');
  const recovery = accounts.filter((a): a is RecoveryAccount => a.role === 'recovery');
  const logArchive = accounts.filter((a): a is LogArchiveAccount => a.role === 'log-archive');
  const all: Account[] = [vault, ...sources, ...recovery, ...logArchive];
  return {
    dir,
    vault,
    sources,
    recovery,
    logArchive,
    all,
    account(name) {
      const found = all.find((a) => a.name === name);
      if (!found) throw new Error(`There is no account file ${name}.yml in ${dir}; the accounts are: ${all.map((a) => a.name).join(', ')}`);
      return found;
    },
  };
}

function parseFile(file: string, text: string, problems: AccountProblem[]): Account | undefined {
  const name = basename(file, extname(file));
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    problems.push({
      file,
      field: '(file name)',
      message: 'must be lower-case letters, digits and dashes: it is the account name used in --param="account=<name>"',
    });
    return undefined;
  }
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (error) {
    problems.push({ file, field: '(yaml)', message: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` });
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ file, field: '(file)', message: 'must be a YAML mapping of fields (id, role, regions, ...)' });
    return undefined;
  }
  const role = (raw as { role?: unknown }).role;
  if (role !== 'vault' && role !== 'source' && role !== 'recovery' && role !== 'log-archive') {
    problems.push({
      file,
      field: 'role',
      message: `must be vault, source, recovery or log-archive${role === undefined ? '' : ` (got ${JSON.stringify(role)})`}`,
    });
    return undefined;
  }
  const parsed = { vault: vaultFile, source: sourceFile, recovery: recoveryFile, 'log-archive': logArchiveFile }[role].safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...describeIssue(file, issue, raw));
    return undefined;
  }
  const data = parsed.data;
  const base = {
    name,
    file,
    id: data.id,
    regions: data.regions,
    organizationId: data.organizationId,
    targets: ('targets' in data ? (data.targets ?? {}) : {}) as AccountBase['targets'],
    quotas: (data.quotas ?? {}) as AccountBase['quotas'],
  };
  if (data.role === 'recovery') return { ...base, role: 'recovery', vault: data.vault };
  if (data.role === 'log-archive') return { ...base, role: 'log-archive', vault: data.vault };
  if (data.role === 'vault') {
    return {
      ...base,
      role: 'vault',
      externalId: data.externalId,
      allowedSources: data.allowedSources,
      alarmEmail: data.alarmEmail,
      lock: data.lock,
      deployRole: data.deployRole,
      auditAnchors: {
        account: data.auditAnchors?.account ?? data.id,
        retentionDays: data.auditAnchors?.retentionDays ?? DEFAULT_ANCHOR_RETENTION_DAYS,
      },
      drRegion: data.drRegion,
      ...(data.sweep ? { sweep: data.sweep } : {}),
      operators: {
        restore: data.operators.restore,
        legalHold: data.operators.legalHold,
        retry: data.operators.retry ?? data.operators.restore,
        sweep: data.operators.sweep ?? data.operators.retry ?? data.operators.restore,
        mfa: data.operators.mfa ?? false,
      },
    };
  }
  return {
    ...base,
    role: 'source',
    vault: data.vault,
    customerKeyAliases: data.customerKeyAliases ?? [],
    externalId: data.externalId,
    ...(data.sweep ? { sweep: data.sweep } : {}),
    ssmParameters: { paths: data.ssmParameters?.paths ?? [], tagged: data.ssmParameters?.tagged ?? false },
    ...(data.silenceHours === undefined ? {} : { silenceHours: data.silenceHours }),
    ...(data.configCaptureHours === undefined ? {} : { configCaptureHours: data.configCaptureHours }),
    ...(data.pendingCap === undefined ? {} : { pendingCap: data.pendingCap }),
  };
}

function describeIssue(file: string, issue: z.core.$ZodIssue, raw: unknown): AccountProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ file, field: fieldName([...issue.path, key]), message: 'is not a known field (typo?)' }));
  }
  const value = valueAt(raw, issue.path);
  const got = value === undefined || typeof value === 'object' ? '' : ` (got ${JSON.stringify(value)})`;
  return [{ file, field: fieldName(issue.path), message: `${issue.message}${got}` }];
}

function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(file)';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function checkAcrossFiles(accounts: Account[], problems: AccountProblem[]): void {
  const byId = new Map<string, Account>();
  for (const account of accounts) {
    const other = byId.get(account.id);
    if (other)
      problems.push({
        file: account.file,
        field: 'id',
        message: `${account.id} is also the id of ${other.file}; each account has one file`,
      });
    else byId.set(account.id, account);
  }

  const vaults = accounts.filter((a): a is VaultAccount => a.role === 'vault');
  if (vaults.length === 0) {
    problems.push({ file: '(all files)', field: 'role', message: 'no account file has role: vault; exactly one must' });
    return;
  }
  for (const extra of vaults.slice(1)) {
    problems.push({
      file: extra.file,
      field: 'role',
      message: `${vaults[0]!.file} is already the vault; exactly one account file may have role: vault`,
    });
  }
  const vault = vaults[0]!;
  if (vault.drRegion !== undefined && vault.regions.includes(vault.drRegion))
    problems.push({
      file: vault.file,
      field: 'drRegion',
      message: `${vault.drRegion} is the vault's own region; the DR region must be another one (or leave drRegion out)`,
    });

  const checked = new Set<string[]>();
  for (const role of ['restore', 'legalHold', 'retry', 'sweep'] as const) {
    // A role without its own list takes another's (retry the restore one, sweep the retry one): reported once, where it is written.
    if (checked.has(vault.operators[role])) continue;
    checked.add(vault.operators[role]);
    vault.operators[role].forEach((pattern, i) => {
      if (pattern.split(':')[4] !== vault.id)
        problems.push({
          file: vault.file,
          field: `operators.${role}[${i}]`,
          message: `${pattern} is not a principal of the vault account ${vault.id}: the operator roles trust the vault's own principals only`,
        });
    });
  }

  const seen = new Set<string>();
  vault.allowedSources.forEach((id, i) => {
    const field = `allowedSources[${i}]`;
    if (seen.has(id)) problems.push({ file: vault.file, field, message: `${id} is listed twice` });
    seen.add(id);
    const account = byId.get(id);
    if (!account)
      problems.push({
        file: vault.file,
        field,
        message: `${id} has no account file in the folder (unknown account); add <name>.yml with role: source, or remove it`,
      });
    else if (account.role !== 'source')
      problems.push({ file: vault.file, field, message: `${id} is ${account.file}, which is not a source account` });
  });

  for (const source of accounts.filter((a): a is SourceAccount => a.role === 'source')) {
    if (source.vault !== vault.id) {
      const named = byId.get(source.vault);
      problems.push({
        file: source.file,
        field: 'vault',
        message: named
          ? `${source.vault} is ${named.file}, which is not the vault (${vault.file} has id ${vault.id})`
          : `${source.vault} is an unknown account: no account file has that id (${vault.file} has id ${vault.id})`,
      });
    }
    if (!vault.allowedSources.includes(source.id)) {
      problems.push({
        file: source.file,
        field: 'id',
        message: `${source.id} is a source listed nowhere: add it to allowedSources in ${vault.file}`,
      });
    }
    if (source.organizationId !== undefined && source.organizationId !== vault.organizationId) {
      problems.push({
        file: source.file,
        field: 'organizationId',
        message: `${source.organizationId} differs from ${vault.file} (${vault.organizationId ?? 'none'}); the vault and its sources share one organization`,
      });
    }
    if (source.externalId !== undefined && source.externalId !== vault.externalId) {
      problems.push({
        file: source.file,
        field: 'externalId',
        message: `differs from the one in ${vault.file}; leave it out of source files (the vault's applies to all)`,
      });
    }
    if (source.regions.length !== new Set(source.regions).size)
      problems.push({ file: source.file, field: 'regions', message: 'lists a region twice' });
  }

  for (const recovery of accounts.filter((a): a is RecoveryAccount => a.role === 'recovery')) {
    if (recovery.vault !== vault.id)
      problems.push({
        file: recovery.file,
        field: 'vault',
        message: `${recovery.vault} is not the vault (${vault.file} has id ${vault.id})`,
      });
    if (!recovery.regions.includes(vault.regions[0]!)) {
      problems.push({
        file: recovery.file,
        field: 'regions',
        message: `must include ${vault.regions[0]}: restores land in the vault's region, where its copies are`,
      });
    }
  }
  checkLogArchive(vault, accounts, problems);
  checkLock(
    vault,
    accounts.filter((a): a is SourceAccount => a.role === 'source'),
    problems,
  );
}

/** The anchors go to the vault or to a log-archive account file of this vault, in the vault's region; a log-archive file keeps them. */
function checkLogArchive(vault: VaultAccount, accounts: Account[], problems: AccountProblem[]): void {
  const archives = accounts.filter((a): a is LogArchiveAccount => a.role === 'log-archive');
  const named = vault.auditAnchors.account;
  if (named !== vault.id && !archives.some((a) => a.id === named))
    problems.push({
      file: vault.file,
      field: 'auditAnchors.account',
      message: `${named} has no account file with role: log-archive; add one (id, role: log-archive, regions, vault), or leave the field out to keep the anchors in the vault`,
    });
  for (const archive of archives) {
    if (archive.id !== named)
      problems.push({
        file: archive.file,
        field: 'role',
        message: `the vault file's auditAnchors.account is ${named}, not ${archive.id}: this account would keep nothing`,
      });
    if (archive.vault !== vault.id)
      problems.push({
        file: archive.file,
        field: 'vault',
        message: `${archive.vault} is not the vault (${vault.file} has id ${vault.id})`,
      });
    if (!archive.regions.includes(vault.regions[0]!))
      problems.push({
        file: archive.file,
        field: 'regions',
        message: `must include ${vault.regions[0]}: the anchors' bucket is in the vault's region`,
      });
  }
}

/**
 * A retention shorter than the vault lock could never be honoured (the pruner may not delete a copy
 * younger than the lock): refused where that retention is written.
 */
function checkLock(vault: VaultAccount, sources: SourceAccount[], problems: AccountProblem[]): void {
  const lock = vault.lock?.minRetentionDays;
  if (lock === undefined) return;
  for (const account of [vault, ...sources]) {
    for (const [kind, target] of Object.entries(account.targets)) {
      if (target.retentionDays >= lock) continue;
      problems.push({
        file: account.file,
        field: `targets.${kind}.retentionDays`,
        message: `${target.retentionDays} days is shorter than the vault lock (lock.minRetentionDays: ${lock} in ${vault.file}), which keeps every copy at least ${lock} days; raise it to ${lock} or more (a lock in force can only grow)`,
      });
    }
  }
}

/** The account's protection targets: the vault's as defaults, the account's own file overriding them per kind. */
export function effectiveTargets(config: AccountsConfig, account: Account): Partial<Record<ArtifactKindName, ProtectionTarget>> {
  return { ...config.vault.targets, ...account.targets };
}

/**
 * After how many hours without any event from a source its "no events" alarm pages: its file's
 * `silenceHours`, or twice its smallest `rpoHours` (whole hours, 1 to 168), or a day when no kind
 * has a target.
 */
export function silenceHours(config: AccountsConfig, source: SourceAccount): number {
  if (source.silenceHours !== undefined) return source.silenceHours;
  const targets = Object.values(effectiveTargets(config, source)).map((t) => t.rpoHours);
  if (targets.length === 0) return 24;
  return Math.min(168, Math.max(1, Math.ceil(2 * Math.min(...targets))));
}

/**
 * The inventory sweep's period and default budget, from the vault's file (or the hub's defaults).
 * A source's own budget travels in its source record.
 *
 * @example
 * sweepSettings(loadAccounts()).callsPerSecond; // 1
 */
export function sweepSettings(config: AccountsConfig): SweepSettings {
  return {
    everyMinutes: config.vault.sweep?.everyMinutes ?? SWEEP_DEFAULTS.everyMinutes,
    callsPerSecond: config.vault.sweep?.callsPerSecond ?? SWEEP_DEFAULTS.callsPerSecond,
  };
}

/** The vault's own regions: its region, and its DR region. */
export const vaultRegions = (vault: VaultAccount): string[] => [...vault.regions, ...(vault.drRegion ? [vault.drRegion] : [])];

/**
 * The regions a restore may land in besides the vault's: every other region of a recovery account.
 * The vault has a stack in each, with those accounts' restore keys.
 */
export function restoreRegions(config: AccountsConfig): string[] {
  const own = vaultRegions(config.vault);
  return [...new Set(config.recovery.flatMap((r) => r.regions))].filter((r) => !own.includes(r)).sort();
}
