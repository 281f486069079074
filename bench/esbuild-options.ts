import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import yaml from 'js-yaml';

/**
 * The esbuild options `serverless package` uses, read from serverless.yml's `custom.esbuild`
 * (the one source of truth) and turned into esbuild API options the way serverless-esbuild
 * does: its defaults merged under the file's settings (arrays replace), its own keys removed,
 * `exclude` added to `external`, `outputFileExtension` as `outExtension`.
 * See node_modules/serverless-esbuild/dist/index.js (DEFAULT_BUILD_OPTIONS) and bundle.js.
 */
export interface PackagingOptions {
  /** What to pass to esbuild.build, without entry points and output. */
  esbuild: BuildOptions;
  /** The extension of the bundled handler file (`.mjs` for ESM). */
  outputFileExtension: string;
}

/** serverless-esbuild's defaults for the keys that reach esbuild (its DEFAULT_BUILD_OPTIONS). */
const PLUGIN_DEFAULTS = {
  bundle: true,
  target: 'node18',
  external: [] as string[],
  exclude: ['aws-sdk'],
  platform: 'node',
  outputFileExtension: '.js',
};

/** Keys serverless-esbuild removes before calling esbuild (bundle.js). */
const PLUGIN_KEYS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
];

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * @throws Error when serverless.yml has no `custom.esbuild`, or when it uses a setting this
 * reader cannot reproduce (a `config:` file or a `${...}` variable).
 */
export function packagingOptions(serverlessYml = path.join(REPO_ROOT, 'serverless.yml')): PackagingOptions {
  const service = yaml.load(readFileSync(serverlessYml, 'utf8')) as { custom?: { esbuild?: Record<string, unknown> } };
  const custom = service.custom?.esbuild;
  if (!custom)
    throw new Error(`${serverlessYml}: no custom.esbuild; the bench bundles exactly as serverless-esbuild does and needs its settings`);
  if ('config' in custom)
    throw new Error(
      `${serverlessYml}: custom.esbuild.config (a JS config file) is not supported by the bench; keep the settings in serverless.yml`,
    );
  if (/\$\{/.test(JSON.stringify(custom)))
    throw new Error(`${serverlessYml}: custom.esbuild uses a Serverless variable; the bench cannot resolve it`);
  const merged: Record<string, unknown> = { ...PLUGIN_DEFAULTS, ...custom };
  const exclude = (merged.exclude as string[] | undefined) ?? [];
  const external = [...((merged.external as string[] | undefined) ?? []), ...(exclude.includes('*') ? [] : exclude)];
  const outputFileExtension = String(merged.outputFileExtension);
  const esbuild = Object.fromEntries(Object.entries(merged).filter(([key]) => !PLUGIN_KEYS.includes(key))) as BuildOptions;
  esbuild.external = external;
  if (outputFileExtension !== '.js') esbuild.outExtension = { '.js': outputFileExtension };
  return { esbuild, outputFileExtension };
}
