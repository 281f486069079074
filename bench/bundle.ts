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
  /** Every package whose code is in the bundle, sorted. */
  packages: string[];
  /** The SDK commands whose code is in the bundle, by SDK package (`GetParameterCommand`, ...), sorted. */
  sdkCommands: Record<string, string[]>;
}

/**
 * Bundles one entry exactly as serverless-esbuild does for `serverless package` (the options
 * from serverless.yml), into `outdir`. The size is the bundled file's, the one a zip ships.
 */
export async function bundle(entry: string, outdir: string, packaging: PackagingOptions): Promise<Bundle> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({ ...packaging.esbuild, entryPoints: [entry], outdir, metafile: true, write: true, logLevel: 'silent' });
  const file = path.join(outdir, `${path.basename(entry, path.extname(entry))}${packaging.outputFileExtension}`);
  const output = result.metafile.outputs[path.relative(process.cwd(), file)]!;
  const packages = packagesOf(output);
  return {
    file,
    bytes: statSync(file).size,
    packages,
    sdkPackages: packages.filter((pkg) => /^@aws-sdk\/(?:client|lib)-/.test(pkg)),
    sdkCommands: sdkCommandsOf(output),
  };
}

/** The SDK commands whose code is in the bundle: their serializers and schemas are SDK code the handler cannot do without. */
function sdkCommandsOf(output: Metafile['outputs'][string]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/(@aws-sdk\/(?:client|lib)-[\w-]+)\/dist-es\/commands\/(\w+Command)\.js$/.exec(input);
    if (!match || bytesInOutput === 0) continue;
    found[match[1]!] = [...(found[match[1]!] ?? []), match[2]!];
  }
  for (const commands of Object.values(found)) commands.sort();
  return found;
}

/**
 * The packages whose code is in the bundle. Not the metafile's `inputs` alone: they list every
 * module esbuild read, tree-shaken away or not.
 */
function packagesOf(output: Metafile['outputs'][string]): string[] {
  const found = new Set<string>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    const match = /node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//.exec(input);
    if (match) found.add(match[1]!);
  }
  return [...found].sort();
}
