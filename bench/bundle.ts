import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import type { PackagingOptions } from './esbuild-options.js';

export interface Bundle {
  /** The bundled file, ready to import. */
  file: string;
  bytes: number;
  /** The AWS SDK packages that ended up in the bundle (`@aws-sdk/client-ec2`, ...), sorted. */
  sdkPackages: string[];
}

/**
 * Bundles one entry exactly as serverless-esbuild does for `serverless package` (the options
 * from serverless.yml), into `outdir`. The size is the bundled file's, the one a zip ships.
 */
export async function bundle(entry: string, outdir: string, packaging: PackagingOptions): Promise<Bundle> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({ ...packaging.esbuild, entryPoints: [entry], outdir, metafile: true, write: true, logLevel: 'silent' });
  const file = path.join(outdir, `${path.basename(entry, path.extname(entry))}${packaging.outputFileExtension}`);
  return { file, bytes: statSync(file).size, sdkPackages: sdkPackagesOf(result.metafile.outputs[path.relative(process.cwd(), file)]!) };
}

/**
 * Client and library packages (`@aws-sdk/client-*`, `@aws-sdk/lib-*`) whose code is in the bundle.
 * Not the metafile's `inputs`: they list every module esbuild read, tree-shaken away or not.
 */
function sdkPackagesOf(output: Metafile['outputs'][string]): string[] {
  const found = new Set<string>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    const match = /node_modules\/(@aws-sdk\/(?:client|lib)-[\w-]+)\//.exec(input);
    if (match) found.add(match[1]!);
  }
  return [...found].sort();
}
