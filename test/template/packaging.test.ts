import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { everyStack } from '../../accounts/stack/service.js';
import { loadAccounts } from '../../shared/config/accounts.js';
import { type Json, packageAccount, renderAccount, type Template } from './stack.js';

/**
 * The other template tests read the stacks as the model renders them in-process; this one holds
 * that rendering to what `serverless package` really writes, for the vault (its functions compiled
 * by serverless) and a source, and lints every stack with cfn-lint when it is installed.
 */

/** The code's S3 key is the one thing serverless decides at packaging time (it holds the time). */
const withoutCodeKeys = (value: Json): Json =>
  Array.isArray(value)
    ? value.map(withoutCodeKeys)
    : value && typeof value === 'object'
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([key]) => key !== 'S3Key')
            .map(([key, v]) => [key, withoutCodeKeys(v)]),
        )
      : value;
const comparable = (template: Template) => withoutCodeKeys(template as unknown as Json);

describe('packaging', () => {
  it('writes, for the vault and a source, exactly the template the stack model renders', async () => {
    // allSettled: every packaging finishes (and cleans up) before a failure is reported.
    const results = await Promise.allSettled([packageAccount('vault'), packageAccount('source-b')]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const [vault, source] = results.map((r) => (r as PromiseFulfilledResult<Template>).value) as [Template, Template];
    expect(comparable(vault)).toEqual(comparable(renderAccount('vault')));
    expect(comparable(source)).toEqual(comparable(renderAccount('source-b')));
  }, 180_000);
});

function cfnLintVersion(): string | undefined {
  try {
    return execFileSync('cfn-lint', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

describe('cfn-lint', () => {
  const version = cfnLintVersion();
  if (!version) console.warn('cfn-lint is not on PATH: the cfn-lint test is skipped (pip install cfn-lint)');
  const dir = mkdtempSync(join(tmpdir(), 'backup-hub-cfn-lint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!version)(
    version
      ? `finds no error in the template of any account and region (${version})`
      : 'finds no error in any template: SKIPPED, cfn-lint is not on PATH (pip install cfn-lint)',
    () => {
      const accounts = loadAccounts();
      // The rendered templates, laid out as `npm run package:all` writes them: the test above holds rendering to packaging.
      const files = everyStack(accounts).map(({ account, region, folder }) => {
        mkdirSync(join(dir, folder));
        const file = join(dir, folder, 'cloudformation-template-update-stack.json');
        writeFileSync(file, JSON.stringify(renderAccount(account, { accounts, region }), null, 2));
        return file;
      });
      let output: string;
      try {
        output = execFileSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8' });
      } catch (error) {
        // cfn-lint exits non-zero on warnings too; its JSON says which is which.
        output = (error as { stdout?: string }).stdout ?? '';
        if (!output) throw error;
      }
      const findings = JSON.parse(output) as { Level: string; Rule: { Id: string }; Message: string; Filename: string }[];
      expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Filename}: ${f.Message}`)).toEqual([]);
    },
    120_000,
  );
});
