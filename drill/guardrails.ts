import type { PolicyDocument } from '@backup-hub/aws-sim';
import { guardrails } from '../shared/guardrails/guardrails.js';
import type { LocalHub } from './local-hub.js';

/** FullAWSAccess and RCPFullAWSAccess: what AWS Organizations attaches to every account by default, beside which the guardrails deny. */
const fullAccess = (principal?: '*'): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', ...(principal ? { Principal: principal } : {}), Action: '*', Resource: '*' }],
});

/**
 * Attaches `backup-hub guardrails` (the SCP and the RCP) to the vault account, as the organization
 * would: from then on every call in the drill, the hub's own included, is judged under them.
 * @returns what was done, for the drill's progress
 */
export function applyGuardrails(hub: LocalHub): string {
  const vault = hub.cloud.account(hub.config.vaultAccountId);
  if (!vault || !hub.accounts.vault.deployRole)
    return `organization policies: none (${hub.accounts.vault.file} names no deployRole, which backup-hub guardrails needs)`;
  const level = (name: string, document: PolicyDocument, principal?: '*') => ({
    orgIdentifier: `ou-${hub.config.vaultAccountId}`,
    policies: [
      { name: principal ? 'RCPFullAWSAccess' : 'FullAWSAccess', document: fullAccess(principal) },
      { name, document },
    ],
  });
  vault.controlPolicies = {
    scps: [level('backup-hub-guardrails-scp', guardrails(hub.accounts, 'scp') as PolicyDocument)],
    rcps: [level('backup-hub-guardrails-rcp', guardrails(hub.accounts, 'rcp') as PolicyDocument, '*')],
  };
  return `organization policies: backup-hub guardrails (SCP and RCP) attached to the vault account ${vault.id}`;
}
