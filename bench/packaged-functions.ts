import path from 'node:path';
import { buildService } from '../accounts/stack/service.js';
import { loadAccounts } from '../shared/config/accounts.js';
import { REPO_ROOT } from './esbuild-options.js';

/** One Lambda function the vault stack packages. */
export interface PackagedFunction {
  /** The function's key in the stack (`ebs-snapshot`, `reconciler`, ...). */
  name: string;
  /** `handlers/<file>.<export>`, as the stack declares it. */
  handler: string;
  /** The entry file serverless-esbuild bundles (absolute). */
  entry: string;
}

/**
 * The functions the vault's stack packages, from the stack model serverless.yml reads (a handler
 * per kind, the reconciler and the pruner), so a new kind is benchmarked as soon as it is deployed.
 */
export function packagedFunctions(): PackagedFunction[] {
  const vault = buildService(loadAccounts(), 'vault', { stage: 'dev' });
  return Object.entries(vault.functions).map(([name, fn]) => {
    const file = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    return { name, handler: fn.handler, entry: path.join(REPO_ROOT, `${file}.ts`) };
  });
}
