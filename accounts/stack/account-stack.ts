import { type Account, type AccountsConfig, restoreRegions, vaultRegions } from '../../shared/config/accounts.js';
import { buildLogArchive } from './audit-anchor.js';
import { buildRecovery } from './recovery-stack.js';
import type { ServiceModel } from './service.js';
import { buildSource } from './source-stack.js';
import { buildVault, buildVaultDr, buildVaultRestoreRegion } from './vault-stack.js';

/** The stack model of one account's role, in one of its regions (before the checks and reasons `buildService` adds; the doctor reads it on production dependencies only). */
export function buildForAccount(
  config: AccountsConfig,
  account: Account,
  stack: { stage: string; region: string },
): Pick<ServiceModel, 'functions' | 'resources'> {
  switch (account.role) {
    case 'vault':
      if (stack.region === account.drRegion) return buildVaultDr(config, stack);
      return restoreRegions(config).includes(stack.region) ? buildVaultRestoreRegion(config, stack) : buildVault(config, stack);
    case 'source':
      return buildSource(config, account, stack);
    case 'recovery':
      return buildRecovery(config, account);
    case 'log-archive':
      return buildLogArchive(config);
  }
}

/** The regions an account has a stack in: its regions; the vault's DR region and restore regions after the vault's own. */
export function stackRegions(config: AccountsConfig, account: Account): string[] {
  return account.role === 'vault' ? [...vaultRegions(account), ...restoreRegions(config)] : account.regions;
}
