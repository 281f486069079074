import { describe, expect, it } from 'vitest';
import { accountsFor } from '../../drill/hub-accounts.js';
import { type AccountsConfig, loadAccounts } from '../../shared/config/accounts.js';
import { IAM_QUOTA, managedPolicySizes, policyChars, type RoleSize, roleSizes } from './policy-size.js';
import { resolved } from './resolve.js';
import { type Json, renderAccount, resourcesOfType, type Template } from './stack.js';

/**
 * Policies whose size does not depend on the estate: every role of every stack stays under 80 % of
 * IAM's quotas with the example accounts and with 300 source accounts in 6 regions each, generated
 * here (issue 24's scale), in an organization and without one.
 */
const HEADROOM = 0.8;
const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-2', 'eu-north-1'];
const ORG = 'o-a1b2c3d4e5';

function estate(sources: number, organization: boolean): AccountsConfig {
  return accountsFor({
    vault: { account: '999999999999', region: REGIONS[0]!, drRegion: REGIONS[1]!, ...(organization ? { orgId: ORG } : {}) },
    sources: Array.from({ length: sources }, (_, i) => ({
      account: String(100_000_000_000 + i),
      regions: REGIONS,
      customerKeyAliases: ['alias/app-data', 'alias/ledger'],
      ssmParameters: { paths: ['/app/', '/orders/'], tagged: true },
    })),
    // One restores into a region of its own too, where the vault keeps its restore key (a restore region).
    recovery: [{ account: '444444444444', regions: [REGIONS[0]!, REGIONS[2]!] }, { account: '555555555555' }],
  });
}

/** Every role of the vault, the first source (its primary region) and the recovery accounts, with its size. */
function sizes(accounts: AccountsConfig): Map<string, RoleSize> {
  const found = new Map<string, RoleSize>();
  for (const account of [accounts.vault, accounts.sources[0]!, ...accounts.recovery]) {
    const region = account.regions[0]!;
    for (const size of roleSizes(renderAccount(account.name, { accounts, region }), { account: account.id, region }))
      found.set(`${account.role} ${size.logicalId}`, size);
  }
  return found;
}

const example = loadAccounts();
const large = estate(300, true);
const largeWithoutOrg = estate(300, false);

describe('IAM policies of a constant size', () => {
  for (const [label, accounts] of [
    ['the example accounts (3 sources)', example],
    ['300 sources × 6 regions in an organization', large],
    ['300 sources × 6 regions without one', largeWithoutOrg],
  ] as const) {
    it(`${label}: every role's inline policies under 80 % of 10,240 characters, its trust policy under 80 % of 2,048`, () => {
      const roles = [...sizes(accounts)];
      expect(roles.length).toBeGreaterThan(10);
      const over = roles.filter(([, s]) => s.inline > HEADROOM * IAM_QUOTA.inlinePolicies || s.trust > HEADROOM * IAM_QUOTA.trustPolicy);
      expect(over, 'roles over 80 % of a quota').toEqual([]);
    });
  }

  it('keeps the managed policies of a restore across regions under 80 % of 6,144 characters, the same with 3 sources as with 300', () => {
    const managed = (accounts: AccountsConfig) =>
      managedPolicySizes(renderAccount('vault', { accounts }), { account: accounts.vault.id, region: accounts.vault.regions[0]! });
    const across = ['RestoreRoleFromEuCentral1Policy', 'DrRestoreRoleFromEuWest1Policy'];
    expect(managed(example).map((p) => p.logicalId)).toEqual(across);
    for (const accounts of [large, largeWithoutOrg]) {
      const sizes = managed(accounts);
      // The landing side in the restore region (us-east-1) of both restore roles.
      expect(sizes.map((p) => p.logicalId)).toEqual([
        ...across,
        ...['RestoreRole', 'DrRestoreRole'].flatMap((role) => [`${role}IntoUsEast1Ec2Policy`, `${role}IntoUsEast1RdsPolicy`]),
      ]);
      expect(sizes.filter((p) => p.size > HEADROOM * IAM_QUOTA.managedPolicy)).toEqual([]);
      expect(sizes).toEqual(managed(estate(3, accounts === large)));
    }
  });

  it('keeps every role the same size with 3 sources as with 300: nothing lists the sources or their regions', () => {
    expect(sizes(large)).toEqual(sizes(estate(3, true)));
    expect(sizes(largeWithoutOrg)).toEqual(sizes(estate(3, false)));
  });

  it('keeps every function environment within Lambda’s 4 KB, the same with 3 sources as with 300 (the sources are recorded in SSM)', () => {
    const environments = (accounts: AccountsConfig) => {
      const vault = accounts.vault;
      const template = renderAccount('vault', { accounts });
      const resolve = resolved(template, { account: vault.id, region: vault.regions[0]! });
      return resourcesOfType(template, 'AWS::Lambda::Function').map(([id, fn]) => {
        const variables = resolve((fn.Properties!.Environment as { Variables: Json }).Variables) as Record<string, string>;
        return [id, Object.entries(variables).reduce((sum, [k, v]) => sum + k.length + v.length, 0)] as const;
      });
    };
    const at300 = environments(large);
    expect(at300.filter(([, bytes]) => bytes > 4096)).toEqual([]);
    expect(at300).toEqual(environments(estate(3, true)));
  });

  it('keeps the bus policy of an organization the same size with 3 sources as with 300, under 80 % of 10,240 characters', () => {
    const busPolicy = (accounts: AccountsConfig) => {
      const template: Template = renderAccount('vault', { accounts });
      const [[, policy]] = resourcesOfType(template, 'AWS::Events::EventBusPolicy') as [[string, Template['Resources'][string]]];
      return policyChars(resolved(template, { account: accounts.vault.id, region: REGIONS[0]! })(policy.Properties!.Statement!));
    };
    expect(busPolicy(large)).toBe(busPolicy(estate(3, true)));
    expect(busPolicy(large)).toBeLessThan(HEADROOM * 10_240);
  });
});
