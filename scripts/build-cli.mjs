// Builds the `backup-hub` operator command into dist/cli/ (run by `npm ci` through `prepare`, and by
// `npm run build:cli`), so that it runs on the production dependencies alone: no tsx, no simulator.
// Plain JavaScript: it must run before anything TypeScript-aware is installed.
import { build } from 'esbuild';

/** Bundled into the CLI's --local chunk: a workspace package of TypeScript, which Node cannot load as is. */
const BUNDLED_PACKAGES = new Set(['@backup-hub/aws-sim']);

/** Every other package stays an import of node_modules, resolved at run time (the SDK, zod, …). */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

export const cliBuildOptions = (outdir) => ({
  entryPoints: { 'backup-hub': 'cli/backup-hub.ts' },
  outdir,
  bundle: true,
  // Each command (and --local) is its own chunk, loaded when asked for: what one needs never loads for another.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  banner: { js: '#!/usr/bin/env node' },
  plugins: [externalPackages],
  metafile: true,
  logLevel: 'warning',
});

if (import.meta.url === `file://${process.argv[1]}`) await build(cliBuildOptions('dist/cli'));
