import * as z from 'zod/mini';

const accountId = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));

/** What the vault's handlers need to know about the hub; in Lambda it comes from the environment. */
export const hubConfigSchema = z.object({
  vaultAccountId: accountId,
  vaultRegion: z.string().check(z.minLength(1)),
  /** ARN of the vault CMK every vault copy is encrypted with. */
  vaultKeyArn: z.string().check(z.startsWith('arn:aws:kms:')),
  catalogTable: z.string().check(z.minLength(1)),
  auditTable: z.string().check(z.minLength(1)),
  /** The sources' reader roles are `<readerRoleName>-<kind>`. */
  readerRoleName: z.string().check(z.minLength(1)),
  externalId: z.string().check(z.minLength(2)),
  shareKeyAlias: z.string().check(z.startsWith('alias/')),
  /** The SSM path under which the vault stack records each source (`<path><account id>`). */
  sourcesPath: z.string().check(z.startsWith('/'), z.endsWith('/')),
  /** Set for the reconciler: it acts for a kind through the kind's vault role, `<kindRolePrefix><kind>`. */
  kindRolePrefix: z.optional(z.string()),
  /** The function's name (Lambda's AWS_LAMBDA_FUNCTION_NAME): the source identity of the sessions it opens. */
  functionName: z.optional(z.string()),
  /** The vault's DR region: every vault copy is copied there, under the vault key of that region (found by its alias). */
  drRegion: z.optional(z.string().check(z.minLength(1))),
  /**
   * The region whose replica of the catalog and audit log (global tables with a DR region) is read and
   * written: the vault's region when absent; the DR region for a restore from there, which must work
   * while the vault's region is down.
   */
  tablesRegion: z.optional(z.string().check(z.minLength(1))),
  /** The kind's own queue, where deferred messages go back with a delay. */
  queueUrl: z.optional(z.string()),
  /** The cooling-off period of the compliance-mode snapshot locks on vault copies (lock.coolOffHours of the vault file), in hours. */
  lockCoolOffHours: z.optional(z.int().check(z.minimum(1), z.maximum(72))),
  /** The queue's maxReceiveCount: the attempt that reaches it records the failure before the DLQ. */
  maxReceiveCount: z._default(z.int().check(z.positive()), 5),
});

export type HubConfig = z.infer<typeof hubConfigSchema>;

/** The environment variable each field is read from; AWS_REGION (the vault's region) is Lambda's own. */
const VARIABLES = {
  vaultAccountId: 'VAULT_ACCOUNT_ID',
  vaultKeyArn: 'VAULT_KEY_ARN',
  catalogTable: 'CATALOG_TABLE',
  auditTable: 'AUDIT_TABLE',
  readerRoleName: 'READER_ROLE_NAME',
  externalId: 'EXTERNAL_ID',
  shareKeyAlias: 'SHARE_KEY_ALIAS',
  sourcesPath: 'SOURCES_PATH',
  kindRolePrefix: 'KIND_ROLE_PREFIX',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  queueUrl: 'QUEUE_URL',
  lockCoolOffHours: 'VAULT_LOCK_COOL_OFF_HOURS',
  drRegion: 'DR_REGION',
  tablesRegion: 'TABLES_REGION',
} as const;

type Field = keyof typeof VARIABLES;

/**
 * The environment {@link hubConfigFromEnv} reads, from values already encoded as the variables hold
 * them: strings, or in the stack model CloudFormation references.
 */
export function hubEnvironment<V>(
  values: Record<Exclude<Field, 'queueUrl' | 'kindRolePrefix' | 'drRegion' | 'lockCoolOffHours' | 'tablesRegion'>, V> & {
    queueUrl?: V;
    kindRolePrefix?: V;
    drRegion?: V;
    lockCoolOffHours?: V;
    tablesRegion?: V;
  },
): Record<string, V> {
  return Object.fromEntries(
    (Object.keys(VARIABLES) as Field[]).filter((field) => values[field] !== undefined).map((field) => [VARIABLES[field], values[field]!]),
  );
}

/** Reads the hub configuration from the Lambda environment; a missing or bad variable is named in the error. */
export function hubConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const variable = (field: Field) => env[VARIABLES[field]];
  const parsed = hubConfigSchema.safeParse({
    vaultAccountId: variable('vaultAccountId'),
    vaultRegion: env.AWS_REGION,
    vaultKeyArn: variable('vaultKeyArn'),
    catalogTable: variable('catalogTable'),
    auditTable: variable('auditTable'),
    readerRoleName: variable('readerRoleName') ?? 'backup-hub-reader',
    externalId: variable('externalId'),
    shareKeyAlias: variable('shareKeyAlias') ?? 'alias/backup-hub-share',
    sourcesPath: variable('sourcesPath') ?? '/backup-hub-sources/',
    kindRolePrefix: variable('kindRolePrefix'),
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    queueUrl: variable('queueUrl'),
    drRegion: variable('drRegion'),
    tablesRegion: variable('tablesRegion'),
    maxReceiveCount: variable('maxReceiveCount') === undefined ? undefined : Number(variable('maxReceiveCount')),
    lockCoolOffHours: variable('lockCoolOffHours') === undefined ? undefined : Number(variable('lockCoolOffHours')),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`backup-hub is misconfigured (check the function's environment variables): ${problems}`);
  }
  return parsed.data;
}
