import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { ArtifactKindName } from '../shared/catalog/recovery-point.js';

/** What the deployment declares for one kind (accounts/resources/kinds.yml): the same file serverless.yml builds from. */
export interface KindSettings {
  pattern: Record<string, unknown>;
  handler?: string;
  timeout: number;
  batchSize: number;
  maximumConcurrency: number;
  vault: { Action: string | string[] }[];
  reader: { Action: string | string[] }[];
  /** The pruner's statements for this kind's vault copies. */
  prune: { Action: string | string[] }[];
  /** The restore role's statements for this kind. */
  restore: { Action: string | string[] }[];
  /** The recovery account role's statements, for kinds whose restore writes there. */
  recovery?: { Action: string | string[] }[];
}

const KINDS_FILE = fileURLToPath(new URL('../accounts/resources/kinds.yml', import.meta.url));

/** Reads every kind's deployment settings, so the simulated hub is wired exactly as the stack. */
export function loadKindSettings(file = KINDS_FILE): Record<ArtifactKindName, KindSettings> {
  return yaml.load(readFileSync(file, 'utf8')) as Record<ArtifactKindName, KindSettings>;
}

/** The IAM actions a kind's statements grant, for the simulated roles. */
export function actionsOf(statements: { Action: string | string[] }[] | undefined): string[] {
  return (statements ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}
