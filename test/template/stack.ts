import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderTemplate } from '../../accounts/stack/render.js';
import { buildService } from '../../accounts/stack/service.js';
import { type AccountsConfig, loadAccounts } from '../../shared/config/accounts.js';

/** Helpers of the template tests: an account's CloudFormation, rendered in-process or packaged with the real CLI. */

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Condition?: string;
  DependsOn?: string | string[];
}
export interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, Json>;
  Outputs?: Record<string, Json>;
}

/** The stage the tests package; it shows in function names only. */
export const STAGE = 'test';

/**
 * The CloudFormation of one account's stack as the stack model renders it: what `serverless
 * package` writes (packaging.test.ts holds the two equal), without packaging.
 */
export function renderAccount(account: string, options: { region?: string; accounts?: AccountsConfig } = {}): Template {
  return renderTemplate(
    buildService(options.accounts ?? loadAccounts(), account, { stage: STAGE, region: options.region }),
  ) as unknown as Template;
}

/**
 * Runs `serverless package` for one account and returns the stack's CloudFormation. Works
 * offline: no AWS credentials are passed on. The CLI always writes `.serverless/` (and the
 * bundler `.esbuild/`) into the service folder, so each run gets its own: a temporary folder of
 * links to the repository's top-level entries. Runs can then overlap, and the working tree
 * stays untouched.
 */
export async function packageAccount(account: string, options: { region?: string } = {}): Promise<Template> {
  const service = mkdtempSync(join(tmpdir(), `backup-hub-${account}-`));
  for (const entry of readdirSync(ROOT)) {
    if (entry === '.git' || entry.startsWith('.serverless') || entry.startsWith('.esbuild')) continue;
    // The CLI does not take a linked config file: files are copied, folders linked.
    if (statSync(join(ROOT, entry)).isDirectory()) symlinkSync(join(ROOT, entry), join(service, entry));
    else copyFileSync(join(ROOT, entry), join(service, entry));
  }
  const out = join(service, 'package');
  const args = [
    'package',
    '--stage',
    STAGE,
    `--param=account=${account}`,
    '--package',
    out,
    ...(options.region ? ['--region', options.region] : []),
  ];
  try {
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/serverless'), args, {
      cwd: service,
      timeout: 120_000,
      // serverless-esbuild leaves a work folder per zip in the temp directory: keep them in the service folder.
      env: { ...withoutAwsCredentials(process.env), TMPDIR: service },
    });
    return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`serverless ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  } finally {
    rmSync(service, { recursive: true, force: true });
  }
}

/** Packaging must work without any AWS credentials: none are passed on. */
function withoutAwsCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([key]) => !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE)$/.test(key)),
  );
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function resource(template: Template, logicalId: string): Resource & { Properties: Record<string, Json> } {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no ${logicalId}; it has ${Object.keys(template.Resources).join(', ')}`);
  return found as Resource & { Properties: Record<string, Json> };
}

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Json;
  NotPrincipal?: Json;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  NotResource?: Json;
  Condition?: Record<string, Record<string, Json>>;
}

/** A statement and where it is: the resource, and whether it sits in a KMS key policy. */
export interface PlacedStatement {
  logicalId: string;
  type: string;
  /** PolicyDocument, AssumeRolePolicyDocument, KeyPolicy or Statement (an EventBridge bus policy). */
  property: string;
  statement: Statement;
}

/** Every policy statement in the template: IAM role policies and trusts, key, queue and bus policies. */
export function statements(template: Template): PlacedStatement[] {
  const found: PlacedStatement[] = [];
  const visit = (value: Json | undefined, logicalId: string, type: string, property: string) => {
    if (Array.isArray(value)) for (const item of value) visit(item, logicalId, type, property);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'Statement') {
          for (const statement of [child].flat()) found.push({ logicalId, type, property, statement: statement as unknown as Statement });
        } else visit(child, logicalId, type, ['PolicyDocument', 'AssumeRolePolicyDocument', 'KeyPolicy'].includes(key) ? key : property);
      }
    }
  };
  for (const [logicalId, r] of Object.entries(template.Resources)) visit(r.Properties as Json, logicalId, r.Type, 'Statement');
  return found;
}

export const list = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...(value as readonly T[])] : [value as T];

/** The actions an identity policy of a role grants (Allow statements of its inline policies). */
export function roleActions(template: Template, logicalId: string): string[] {
  return statements(template)
    .filter((s) => s.logicalId === logicalId && s.property === 'PolicyDocument' && s.statement.Effect === 'Allow')
    .flatMap((s) => list(s.statement.Action));
}

/** Every string in a JSON value, with the strings of Fn::Sub templates. */
export function strings(value: Json | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
