import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { DEFAULT_ACCOUNTS_DIR } from '../shared/config/accounts.js';

/**
 * Account files for an organisation at scale: the example vault (its settings, its recovery
 * account) with N generated sources, each in R regions and with a customer key alias, as the
 * example's largest source has. For the benchmark's quota headroom and for packaging at scale:
 *
 *   npx tsx bench/scale-accounts.ts --sources 300 --regions 6 [--out DIR]
 *   BACKUP_HUB_ACCOUNTS_DIR=DIR npx serverless package --param="account=vault" --package .build/scale-vault
 */

/** The regions a generated source is in, its primary first (the vault's region). */
export const SCALE_REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1'] as const;

export interface Scale {
  sources: number;
  regions: number;
}

/** The account id of generated source `i` (0-based): 12 digits, clear of the example's ids. */
export const scaleSourceId = (i: number) => String(100_000_000_000 + i);

/** The account files (name and YAML text) of a scale. */
export function scaleAccountFiles({ sources, regions }: Scale): { file: string; text: string }[] {
  if (!Number.isInteger(sources) || sources < 1) throw new Error(`sources must be a positive whole number, got ${sources}`);
  if (!Number.isInteger(regions) || regions < 1 || regions > SCALE_REGIONS.length)
    throw new Error(`regions must be 1 to ${SCALE_REGIONS.length}, got ${regions}`);
  const example = (file: string) => yaml.load(readFileSync(join(DEFAULT_ACCOUNTS_DIR, file), 'utf8')) as Record<string, unknown>;
  const vault = example('vault.yml');
  const ids = Array.from({ length: sources }, (_, i) => scaleSourceId(i));
  const width = String(sources).length;
  return [
    { file: 'vault.yml', text: yaml.dump({ ...vault, allowedSources: ids }) },
    { file: 'recovery.yml', text: yaml.dump(example('recovery.yml')) },
    ...ids.map((id, i) => ({
      file: `source-${String(i + 1).padStart(width, '0')}.yml`,
      text: yaml.dump({
        id,
        role: 'source',
        regions: SCALE_REGIONS.slice(0, regions),
        vault: vault.id,
        customerKeyAliases: ['alias/app-data'],
      }),
    })),
  ];
}

/** Writes the account files of a scale into `dir` (a new temporary folder by default) and returns it. */
export function writeScaleAccounts(
  scale: Scale,
  dir = mkdtempSync(join(tmpdir(), `backup-hub-scale-${scale.sources}x${scale.regions}-`)),
): string {
  mkdirSync(dir, { recursive: true });
  for (const { file, text } of scaleAccountFiles(scale)) writeFileSync(join(dir, file), text);
  return dir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const option = (name: string, fallback?: string) => {
    const at = process.argv.indexOf(`--${name}`);
    return at < 0 ? fallback : process.argv[at + 1];
  };
  const dir = writeScaleAccounts({ sources: Number(option('sources', '300')), regions: Number(option('regions', '6')) }, option('out'));
  process.stdout.write(`${dir}\n`);
}
