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
  /** The kind's own queue, where deferred messages go back with a delay. */
  queueUrl: z.optional(z.string()),
  /** The queue's maxReceiveCount: the attempt that reaches it records the failure before the DLQ. */
  maxReceiveCount: z._default(z.int().check(z.positive()), 5),
});

export type HubConfig = z.infer<typeof hubConfigSchema>;

/** Reads the hub configuration from the Lambda environment; a missing or bad variable is named in the error. */
export function hubConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const parsed = hubConfigSchema.safeParse({
    vaultAccountId: env.VAULT_ACCOUNT_ID,
    vaultRegion: env.AWS_REGION,
    vaultKeyArn: env.VAULT_KEY_ARN,
    catalogTable: env.CATALOG_TABLE,
    auditTable: env.AUDIT_TABLE,
    readerRoleName: env.READER_ROLE_NAME ?? 'backup-hub-reader',
    externalId: env.EXTERNAL_ID,
    shareKeyAlias: env.SHARE_KEY_ALIAS ?? 'alias/backup-hub-share',
    allowedSources: parseJson(env.ALLOWED_SOURCES),
    queueUrl: env.QUEUE_URL,
    maxReceiveCount: env.MAX_RECEIVE_COUNT === undefined ? undefined : Number(env.MAX_RECEIVE_COUNT),
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
