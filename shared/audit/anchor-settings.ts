/** Where the audit anchor function signs and stores: set by the vault stack in its environment. */
export interface AnchorSettings {
  /** The asymmetric signing key (ARN). */
  keyArn: string;
  bucket: string;
  /** The account that owns the bucket (the vault, or a log-archive account). */
  bucketOwner: string;
}

const VARIABLES = { keyArn: 'AUDIT_ANCHOR_KEY_ARN', bucket: 'AUDIT_ANCHOR_BUCKET', bucketOwner: 'AUDIT_ANCHOR_BUCKET_OWNER' } as const;

/** The environment {@link anchorSettingsFromEnv} reads (in the stack model, values may be CloudFormation references). */
export const anchorEnvironment = <V>(values: Record<keyof AnchorSettings, V>): Record<string, V> =>
  Object.fromEntries((Object.keys(VARIABLES) as (keyof AnchorSettings)[]).map((field) => [VARIABLES[field], values[field]]));

/**
 * @throws Error naming the variables that are missing
 */
export function anchorSettingsFromEnv(env: Record<string, string | undefined>): AnchorSettings {
  const missing = Object.values(VARIABLES).filter((name) => !env[name]);
  if (missing.length)
    throw new Error(`backup-hub audit anchor is misconfigured: ${missing.join(', ')} not set in the function's environment`);
  return { keyArn: env[VARIABLES.keyArn]!, bucket: env[VARIABLES.bucket]!, bucketOwner: env[VARIABLES.bucketOwner]! };
}
