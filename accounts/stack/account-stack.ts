import type { Account, AccountsConfig } from '../../shared/config/accounts.js';
import { buildLogArchive } from './audit-anchor.js';
import { buildRecovery } from './recovery-stack.js';
import type { ServiceModel } from './service.js';
import { buildSource } from './source-stack.js';
import { buildVault, buildVaultDr } from './vault-stack.js';

/** The stack model of one account's role, in one of its regions (before the checks and reasons `buildService` adds; the doctor reads it on production dependencies only). */
export function buildForAccount(
  config: AccountsConfig,
  account: Account,
  stack: { stage: string; region: string },
): Pick<ServiceModel, 'functions' | 'resources'> {
  switch (account.role) {
    case 'vault':
      return stack.region === account.drRegion ? buildVaultDr(config, stack) : buildVault(config, stack);
    case 'source':
      return buildSource(config, account, stack);
    case 'recovery':
      return buildRecovery(config, account);
    case 'log-archive':
      return buildLogArchive(config);
  }
}

/** The regions an account has a stack in: its regions, and the vault's DR region after its own. */
export function stackRegions(account: Account): string[] {
  return account.role === 'vault' && account.drRegion !== undefined ? [...account.regions, account.drRegion] : account.regions;
}
