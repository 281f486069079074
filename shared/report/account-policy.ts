import { type AccountsConfig, effectiveTargets, type ProtectionTarget } from '../config/accounts.js';
import type { ArtifactKindName } from '../kinds/index.js';

export interface AccountPolicy {
  targets: Partial<Record<ArtifactKindName, ProtectionTarget>>;
  /** Where the targets come from, for the report's reader. */
  from: string;
}

/**
 * The retention and RPO targets of a source account, from its account file (the vault's
 * defaults overridden per kind) or, for an account without a file, the vault's defaults alone.
 *
 * @example
 * policyOf(loadAccounts(), '111111111111'); // { targets: { 'ebs-snapshot': { retentionDays: 14, rpoHours: 12 }, … }, from: 'source-a.yml' }
 */
export function policyOf(config: AccountsConfig, accountId: string): AccountPolicy {
  const account = config.sources.find((a) => a.id === accountId);
  if (account) return { targets: effectiveTargets(config, account), from: account.file };
  return { targets: { ...config.vault.targets }, from: `${config.vault.file} defaults (no account file for ${accountId})` };
}
