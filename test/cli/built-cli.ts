import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
// @ts-expect-error: plain JavaScript (it runs before TypeScript tooling is installed), typed by use here.
import { cliBuildOptions } from '../../scripts/build-cli.mjs';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * The `backup-hub` command built from the current sources exactly as `npm ci` builds it (through
 * `prepare`) into `dist/cli/`, but into a `.cli-test-…/cli/` folder of the repository: as deep as `dist/cli/`, so
 * that its imports (node_modules) and the account files it finds beside it resolve as the installed
 * command's do. `remove` deletes it.
 */
export async function buildCli(): Promise<{ bin: string; metafile: Metafile; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(ROOT, '.cli-test-'));
  const { metafile } = await build(cliBuildOptions(join(dir, 'cli')) as Parameters<typeof build>[0]);
  return { bin: join(dir, 'cli', 'backup-hub.mjs'), metafile: metafile!, remove: () => rm(dir, { recursive: true, force: true }) };
}
