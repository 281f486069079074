import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { renderTemplate } from '../accounts/stack/render.js';
import { buildService, everyStack } from '../accounts/stack/service.js';
import { loadAccounts } from '../shared/config/accounts.js';
import { REPO_ROOT } from './esbuild-options.js';
import { writeScaleAccounts } from './scale-accounts.js';

/**
 * `npm run bench:scale [-- --sources 300 --regions 6]`: the account files of an organisation at
 * scale (bench/scale-accounts.ts, in a temporary folder) rendered, the vault and one source
 * packaged with `serverless package` through BACKUP_HUB_ACCOUNTS_DIR and compared with the
 * rendering (the code's S3 key aside), and cfn-lint run on the vault's, the recovery account's and
 * every region's of the first and the last source (the other sources' differ from theirs only in
 * the account id; `--lint-all` lints all, which takes cfn-lint about a second each). Deploying them
 * with every quota measured is the benchmark's (`npm run bench`, `quotas`). Exit status 1 on a
 * difference or a cfn-lint error. The account files and templates are removed at the end unless
 * `--keep`.
 */
const option = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return Number(at < 0 ? fallback : process.argv[at + 1]);
};
const STAGE = 'prod';
const FILE = 'cloudformation-template-update-stack.json';
const dir = writeScaleAccounts({ sources: option('sources', '300'), regions: option('regions', '6') });
const accounts = loadAccounts(dir);
const out = mkdtempSync(join(tmpdir(), 'backup-hub-scale-stacks-'));
const stacks = everyStack(accounts);
const rendered = new Map(
  stacks.map((s) => [s.folder, renderTemplate(buildService(accounts, s.account, { stage: STAGE, region: s.region }))]),
);
for (const [folder, template] of rendered) {
  mkdirSync(join(out, folder));
  writeFileSync(join(out, folder, FILE), JSON.stringify(template, null, 2));
}
console.log(`${stacks.length} stacks of ${dir} rendered into ${out}`);

let failed = false;
const withoutCodeKeys = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutCodeKeys)
    : value && typeof value === 'object'
      ? Object.fromEntries(Object.entries(value).flatMap(([key, v]) => (key === 'S3Key' ? [] : [[key, withoutCodeKeys(v)]])))
      : value;
const source = stacks.find((s) => s.account !== 'vault' && s.folder !== s.account) ?? stacks[1]!;
for (const stack of [stacks.find((s) => s.account === 'vault')!, source]) {
  const packaged = join(out, `packaged-${stack.folder}`);
  const args = ['package', '--stage', STAGE, `--param=account=${stack.account}`, '--region', stack.region, '--package', packaged];
  const run = spawnSync(join(REPO_ROOT, 'node_modules/.bin/serverless'), args, {
    cwd: REPO_ROOT,
    env: { ...process.env, BACKUP_HUB_ACCOUNTS_DIR: dir },
    encoding: 'utf8',
  });
  const same =
    run.status === 0 &&
    isDeepStrictEqual(
      withoutCodeKeys(JSON.parse(readFileSync(join(packaged, FILE), 'utf8'))),
      withoutCodeKeys(JSON.parse(JSON.stringify(rendered.get(stack.folder)))),
    );
  failed ||= !same;
  console.log(
    `serverless ${args.join(' ')}: ${run.status === 0 ? (same ? 'the rendered template' : 'DIFFERS from the rendering') : `failed\n${run.stdout}${run.stderr}`}`,
  );
}

const [first, last] = [accounts.sources[0]!.name, accounts.sources.at(-1)!.name];
const linted = process.argv.includes('--lint-all')
  ? stacks
  : stacks.filter((s) => accounts.account(s.account).role !== 'source' || [first, last].includes(s.account));
const started = performance.now();
let output: string;
try {
  output = execFileSync('cfn-lint', ['--format', 'json', ...linted.map((s) => join(out, s.folder, FILE))], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
} catch (error) {
  // cfn-lint exits non-zero on warnings too; its JSON says which is which.
  output = (error as { stdout?: string }).stdout ?? '';
  if (!output) throw error;
}
const findings = JSON.parse(output) as { Level: string; Rule: { Id: string }; Message: string; Filename: string }[];
const errors = findings.filter((f) => f.Level === 'Error');
failed ||= errors.length > 0;
console.log(
  `cfn-lint on ${linted.length} of the ${stacks.length} templates (${((performance.now() - started) / 1000).toFixed(0)} s): ${errors.length} errors, ${findings.length - errors.length} warnings or notes`,
);
for (const e of errors.slice(0, 20)) console.log(`  ${e.Rule.Id} ${e.Filename}: ${e.Message}`);
if (process.argv.includes('--keep')) console.log(`kept: ${dir} (account files), ${out} (templates)`);
else for (const folder of [dir, out]) rmSync(folder, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
