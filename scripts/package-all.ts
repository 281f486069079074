import { spawnSync } from 'node:child_process';
import { everyStack } from '../accounts/stack/service.js';
import { loadAccounts } from '../shared/config/accounts.js';

/**
 * `npm run package:all [-- --stage prod]`: packages the stack of every account file in every one
 * of its regions into `.build/<account file>/` (`.build/<account file>-<region>/` beyond its first
 * region), exactly as `serverless package` does before a deployment, with no AWS credentials.
 */
const options = process.argv.slice(2);
const stage = options.includes('--stage') ? [] : ['--stage', 'dev'];
for (const { account, region, folder } of everyStack(loadAccounts())) {
  const args = ['package', ...stage, ...options, `--param=account=${account}`, '--region', region, '--package', `.build/${folder}`];
  console.log(`serverless ${args.join(' ')}`);
  const { status } = spawnSync('node_modules/.bin/serverless', args, { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
