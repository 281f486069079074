import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './built-cli.js';

/**
 * `npm ci --omit=dev && npx backup-hub audit --help` must work: the built command may import, before
 * `--local` asks for the simulator, only Node's own modules and the package's production
 * dependencies. Read from esbuild's metafile: every package an output file imports, found by
 * following the imports from the command's entry.
 */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const packageOf = (path: string) => (path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]!);
const isBuiltin = (path: string) => path.startsWith('node:') || builtinModules.includes(path);

let cli: Awaited<ReturnType<typeof buildCli>>;
beforeAll(async () => {
  cli = await buildCli();
});
afterAll(() => cli?.remove());

/** The packages imported by the output files reachable from the entry, left aside those only `--local` loads. */
function packagesOutsideLocal(): { operator: Set<string>; local: Set<string> } {
  const outputs = cli.metafile.outputs;
  const isLocalChunk = (file: string) => Object.keys(outputs[file]!.inputs).includes('cli/audit/local-source.ts');
  const operator = new Set<string>();
  const local = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string, underLocal: boolean) => {
    if (seen.has(`${file}|${underLocal}`)) return;
    seen.add(`${file}|${underLocal}`);
    for (const imported of outputs[file]!.imports) {
      if (imported.external) (underLocal ? local : operator).add(imported.path);
      else visit(imported.path, underLocal || isLocalChunk(imported.path));
    }
  };
  const entry = Object.keys(outputs).find((file) => outputs[file]!.entryPoint === 'cli/backup-hub.ts')!;
  visit(entry, false);
  return { operator, local };
}

describe('the backup-hub command on production dependencies', () => {
  it('imports only Node modules and production dependencies, outside --local', () => {
    const { operator, local } = packagesOutsideLocal();
    const notProduction = [...operator].filter((path) => !isBuiltin(path) && !(packageOf(path) in pkg.dependencies));
    expect(notProduction).toEqual([]);
    // The commands really are in the bundle: the SDK clients the restore and audit use among them.
    expect(operator).toContain('@aws-sdk/client-dynamodb');
    // --local is where the simulator's DynamoDB (a development dependency) comes in, bundled from its workspace.
    expect([...local].some((path) => packageOf(path) in pkg.devDependencies)).toBe(true);
    expect([...operator, ...local].filter((path) => path.startsWith('@backup-hub/'))).toEqual([]);
  });

  it('runs `audit --help` from the built file, as npx runs it', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cli.bin, 'audit', '--help']);
    expect(stdout).toMatch(/^usage: backup-hub audit \[verify\]/);
  });

  it('runs `doctor --help` from the built file: doctor asks AWS, never the simulator or its IAM library', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cli.bin, 'doctor', '--help']);
    expect(stdout).toMatch(/^usage: backup-hub doctor /);
    // Its IAM client is a production dependency, checked with the others above.
    expect(packagesOutsideLocal().operator).toContain('@aws-sdk/client-iam');
  });
});
