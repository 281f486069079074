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
  readerRoleName: z.string().check(z.minLength(1)),
  externalId: z.string().check(z.minLength(2)),
  shareKeyAlias: z.string().check(z.startsWith('alias/')),
  /** Source account id → regions the vault accepts events from. */
  allowedSources: z.record(accountId, z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  /**
   * Source account id → its account file and the aliases of the customer managed keys the reader may
   * use (customerKeyAliases): a snapshot under any other customer key fails in verify, naming the fix.
   */
  sourceKeyAliases: z._default(z.record(accountId, z.object({ file: z.string(), aliases: z.array(z.string()) })), {}),
  /** The kind's own queue, where deferred messages go back with a delay. */
  queueUrl: z.optional(z.string()),
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
  allowedSources: 'ALLOWED_SOURCES',
  sourceKeyAliases: 'SOURCE_KEY_ALIASES',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  queueUrl: 'QUEUE_URL',
} as const;

type Field = keyof typeof VARIABLES;

/**
 * The environment {@link hubConfigFromEnv} reads, from values already encoded as the variables hold
 * them (allowedSources and sourceKeyAliases as JSON): strings, or in the stack model CloudFormation references.
 */
export function hubEnvironment<V>(
  values: Record<Exclude<Field, 'queueUrl' | 'sourceKeyAliases'>, V> & { queueUrl?: V; sourceKeyAliases?: V },
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
    allowedSources: parseJson(variable('allowedSources')),
    sourceKeyAliases: parseJson(variable('sourceKeyAliases')),
    queueUrl: variable('queueUrl'),
    maxReceiveCount: variable('maxReceiveCount') === undefined ? undefined : Number(variable('maxReceiveCount')),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`backup-hub is misconfigured (check the function's environment variables): ${problems}`);
  }
  return parsed.data;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
