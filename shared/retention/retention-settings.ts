import * as z from 'zod/mini';
import { ARTIFACT_KINDS, type ArtifactKindName, isArtifactKindName } from '../kinds/index.js';

/** How long one kind's vault copies of one source account are kept. */
export interface RetentionPolicy {
  retentionDays: number;
  /** The newest N copies of each protected resource are kept whatever their age. */
  keepLast?: number;
}

/** What the pruner enforces; in Lambda it comes from the `RETENTION` variable, built from the account files. */
export interface RetentionSettings {
  /** The lock the account files ask for; the one in force may be longer (it only grows). */
  lockDays?: number;
  /** Source account id → kind → policy. A kind without a policy is never pruned. */
  accounts: Record<string, Partial<Record<ArtifactKindName, RetentionPolicy>>>;
}

const positiveInt = z.int().check(z.positive());
const policy = z.object({ retentionDays: positiveInt, keepLast: z.optional(positiveInt) });
const schema = z.object({
  lockDays: z.optional(positiveInt),
  accounts: z.record(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id')), z.record(z.string(), policy)),
});

/** The pruner's environment: what {@link retentionSettingsFromEnv} reads. */
export function retentionEnvironment(settings: RetentionSettings): { RETENTION: string } {
  return { RETENTION: JSON.stringify(settings) };
}

/** Reads the pruner's settings from its environment; a missing or bad variable is named in the error. */
export function retentionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionSettings {
  let json: unknown;
  try {
    json = JSON.parse(env.RETENTION ?? '');
  } catch {
    throw new Error(
      'backup-hub pruner is misconfigured: RETENTION must be the JSON of the retention settings (the vault stack builds it from accounts/*.yml)',
    );
  }
  const parsed = schema.safeParse(json);
  const problems = parsed.success
    ? unknownKinds(parsed.data.accounts)
    : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (problems.length) throw new Error(`backup-hub pruner is misconfigured: RETENTION: ${problems.join('; ')}`);
  return parsed.data as RetentionSettings;
}

function unknownKinds(accounts: Record<string, Record<string, unknown>>): string[] {
  return Object.entries(accounts).flatMap(([account, kinds]) =>
    Object.keys(kinds)
      .filter((kind) => !isArtifactKindName(kind))
      .map((kind) => `accounts.${account}.${kind}: must be an artifact kind (${ARTIFACT_KINDS.join(', ')})`),
  );
}
