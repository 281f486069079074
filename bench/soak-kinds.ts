import { ARTIFACT_KINDS } from '../shared/kinds/index.js';
import type { SoakKind } from './soak-kind.js';

export type { Picker, SoakArtifact, SoakKind, VaultCopy } from './soak-kind.js';

/**
 * Every kind the soak announces, in the order of the kind list: each kind's folder says in its
 * soak.ts how the soak makes one. Found by name, so that the list stays the one place kinds are
 * listed (the soak runs through tsx and vitest, which load the TypeScript as it is).
 */
export const SOAK_KINDS: readonly SoakKind[] = await Promise.all(
  ARTIFACT_KINDS.map(async (kind) => ((await import(`../shared/kinds/${kind}/soak.ts`)) as { soak: SoakKind }).soak),
);
