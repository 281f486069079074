import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import type dynaliteServer from 'dynalite';

const require = createRequire(import.meta.url);

/** The line of dynalite 4.0.0's `createIndexKey` that keys an index entry by only 6 hex digits of an MD5 of the table key. */
const TRUNCATED = 'return createKey(item, table, keySchema) + hashPrefix.apply(this, tableKeyPieces)';
const WHOLE = 'return createKey(item, table, keySchema) + createKey(item, table)';

/** What Node's CommonJS loader offers beyond its typings: compiling a module from source. */
type CompilableModule = Module & { _compile(source: string, filename: string): void; paths: string[]; loaded: boolean };
const moduleClass = Module as unknown as { new (id: string): CompilableModule; _nodeModulePaths(dir: string): string[] };
let patchedModule: Module | undefined;

/**
 * Loads dynalite's storage module (db/index.js) with secondary-index entries keyed by the whole
 * table key, before anything else of dynalite can load it.
 *
 * dynalite 4.0.0 keys a secondary-index entry by the index key plus the first 6 hex digits of an MD5
 * of the item's table key ("for now just first six chars", db/index.js). Two items with the same
 * index key whose table keys share those 24 bits share one entry, so a Query on the index silently
 * misses one of them; DynamoDB returns both. The catalog's indexes hold thousands of points with
 * one `createdAt` or `updatedAt` (a burst of snapshots, a burst of quota waits), and a
 * 10,000-event soak lost a recovery point that way. The patch is applied to dynalite's source as it
 * loads and fails loudly if that line ever changes, so an upgrade is checked rather than trusted.
 *
 * @throws Error when dynalite was loaded unpatched, or its source no longer has the line replaced
 */
export function patchDynalite(): void {
  const file = require.resolve('dynalite/db/index.js');
  const loaded = require.cache[file];
  if (loaded && loaded !== patchedModule)
    throw new Error('dynalite was loaded before dynalite-whole-index-keys.ts could patch it: load it only through this module');
  if (loaded) return;
  const source = readFileSync(file, 'utf8');
  if (!source.includes(TRUNCATED)) {
    throw new Error(
      `${file} no longer has the truncated index key that dynalite-whole-index-keys.ts replaces: check whether this dynalite still truncates it, then update or remove the patch`,
    );
  }
  const patched = new moduleClass(file);
  patched.filename = file;
  patched.paths = moduleClass._nodeModulePaths(dirname(file));
  patched._compile(source.replace(TRUNCATED, WHOLE), file);
  patched.loaded = true;
  require.cache[file] = patchedModule = patched;
}

/**
 * dynalite's HTTP server, with the whole-key patch of {@link patchDynalite}.
 *
 * @example
 * const server = loadDynalite()({ createTableMs: 0 });
 */
export function loadDynalite(): typeof dynaliteServer {
  patchDynalite();
  return require('dynalite') as typeof dynaliteServer;
}
