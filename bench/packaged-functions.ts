import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT } from './esbuild-options.js';

/** One Lambda function the vault stack packages. */
export interface PackagedFunction {
  /** The function's key in serverless.yml (`ebs-snapshot`, `reconciler`, ...). */
  name: string;
  /** `handlers/<file>.<export>`, as serverless.yml declares it. */
  handler: string;
  /** The entry file serverless-esbuild bundles (absolute). */
  entry: string;
}

interface StackBuilder {
  hub(input: { options: Record<string, unknown> }): Promise<{ role: string; functions: Record<string, { handler: string }> }>;
}

/**
 * The functions `npm run package:vault` packages, from the same stack builder serverless.yml
 * reads (accounts/resources/stack.cjs: every kind of kinds.yml with a `handler:`, and the
 * reconciler), so a new kind is benchmarked as soon as it is deployed.
 */
export async function packagedFunctions(): Promise<PackagedFunction[]> {
  const stack = createRequire(import.meta.url)('../accounts/resources/stack.cjs') as StackBuilder;
  const vault = await stack.hub({ options: { param: ['account=vault'], stage: 'dev' } });
  return Object.entries(vault.functions).map(([name, fn]) => {
    const file = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    return { name, handler: fn.handler, entry: path.join(REPO_ROOT, `${file}.ts`) };
  });
}
