import type { AccountsConfig, RecoveryAccount } from '../../shared/config/accounts.js';
import { KINDS } from '../../shared/kinds/index.js';
import { ref } from './cloudformation.js';
import { NAMES, roleArn } from './names.js';
import { pascal, prefixSids, role, vaultRoleTrust } from './policies.js';
import type { ServiceModel } from './service.js';

/**
 * A recovery account's stack: the role `backup-hub restore` assumes there to write SSM parameters
 * back. Snapshots, images and DB snapshots need nothing here: the vault shares them with the
 * account, under a restore key the account may use. IAM is global, so the role lives in the
 * account's primary (first) region only.
 */
export function buildRecovery(config: AccountsConfig, account: RecoveryAccount): Pick<ServiceModel, 'functions' | 'resources'> {
  const { vault } = config;
  // A restore from the vault's DR region writes parameters in that region.
  const scopes = [vault.regions[0]!, ...(vault.drRegion ? [vault.drRegion] : [])].map((vaultRegion) => ({
    vaultRegion,
    account: account.id,
  }));
  return {
    functions: {},
    resources: {
      Conditions: { IsPrimaryRegion: { 'Fn::Equals': [ref('AWS::Region'), account.regions[0]!] } },
      Resources: {
        // Trusts only the vault's backup-hub-restore role, with the ExternalId, and may only write
        // (and read back, to recognise its own earlier write) parameters (the kinds' `recovery`).
        RecoveryRole: role({
          name: NAMES.recoveryRole,
          description: "backup-hub recovery; assumed by the vault's restore role to write restored parameters",
          condition: 'IsPrimaryRegion',
          maxSessionDuration: 3600,
          trust: [
            vaultRoleTrust(
              vault,
              'OnlyTheVaultRestoreRolesWithTheExternalId',
              [NAMES.restoreRole, ...(vault.drRegion ? [NAMES.drRestoreRole] : [])].map((name) => roleArn(vault.id, name)),
            ),
          ],
          statements: scopes.flatMap((scope, i) =>
            KINDS.flatMap((k) =>
              k.manifest.recovery ? prefixSids(`${i ? 'Dr' : ''}${pascal(k.module.name)}`, k.manifest.recovery(scope)) : [],
            ),
          ),
        }),
      },
    },
  };
}
