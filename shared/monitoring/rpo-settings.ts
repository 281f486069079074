import * as z from 'zod/mini';
import type { ArtifactKindName } from '../kinds/index.js';

/** What the RPO check knows per source account, from the account files. */
export interface SourceMonitoring {
  /** The account file's name, for the alarms' descriptions. */
  name: string;
  /** The RPO target of each kind that has one. */
  rpoHours: Partial<Record<ArtifactKindName, number>>;
  /** The "no events" alarm's hours. */
  silenceHours: number;
}

export type RpoSettings = Record<string, SourceMonitoring>;

const schema = z.record(
  z.string(),
  z.object({ name: z.string(), rpoHours: z.record(z.string(), z.number()), silenceHours: z.int().check(z.positive()) }),
);

/** The RPO check's environment: what {@link rpoSettingsFromEnv} reads. */
export function rpoEnvironment(settings: RpoSettings): { RPO_TARGETS: string } {
  return { RPO_TARGETS: JSON.stringify(settings) };
}

/** Reads the RPO check's settings from its environment; a missing or bad variable is named in the error. */
export function rpoSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RpoSettings {
  let json: unknown;
  try {
    json = JSON.parse(env.RPO_TARGETS ?? '');
  } catch {
    throw new Error('backup-hub RPO check is misconfigured: RPO_TARGETS must be JSON (the vault stack builds it from accounts/*.yml)');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `backup-hub RPO check is misconfigured: RPO_TARGETS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data as RpoSettings;
}
