import { createHash } from 'node:crypto';
import type { Account, AccountsConfig } from '../../shared/config/accounts.js';

/** The tags on each stack: which account file it was deployed from, and from which contents (doctor compares them). */
export const STACK_TAGS = { account: 'backup-hub:account', role: 'backup-hub:role', fingerprint: 'backup-hub:accounts' } as const;

/**
 * The stack's tags. The fingerprint is a digest of the account files the stack is built from (the
 * vault's stack: every file; another stack: its own and the vault's): a stack whose fingerprint
 * differs was deployed before the files last changed.
 */
export function stackTags(accounts: AccountsConfig, account: Account): Record<string, string> {
  return { [STACK_TAGS.account]: account.name, [STACK_TAGS.role]: account.role, [STACK_TAGS.fingerprint]: fingerprint(accounts, account) };
}

function fingerprint(accounts: AccountsConfig, account: Account): string {
  const inputs = account.role === 'vault' ? accounts.all : [accounts.vault, account];
  // Where the files lie on disk is no part of what they say.
  const contents = inputs.map(({ file: _file, ...rest }) => rest);
  return createHash('sha256').update(JSON.stringify(contents)).digest('hex').slice(0, 16);
}
