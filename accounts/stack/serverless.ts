import { resolve } from 'node:path';
import { DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../../shared/config/accounts.js';
import type { Template } from './cloudformation.js';
import { getAtt } from './cloudformation.js';
import { LAMBDA } from './names.js';
import { buildService, type ServiceModel } from './service.js';

/** The local plugin that puts the stack model's Rules in the template (serverless.yml's `resources` takes no Rules). */
const TEMPLATE_RULES_PLUGIN = './accounts/resources/template-rules.cjs';

/** What serverless.yml reads from `custom.hub` (through accounts/resources/stack.cjs). */
export interface ServerlessVariables {
  /** serverless-esbuild bundles the functions; a stack without one cannot be packaged with it. */
  plugins: string[];
  region: string;
  /** The template's Rules, which serverless.yml's `resources` does not take: the template-rules plugin adds them. */
  rules: Template['Rules'];
  /** Every function's (serverless-esbuild reads the provider's). */
  runtime: string;
  stackTags: Record<string, string>;
  functions: Record<string, Record<string, unknown>>;
  resources: Pick<Template, 'Conditions' | 'Resources' | 'Outputs'>;
}

/**
 * The service model as serverless.yml takes it. Every function carries all its settings (none are
 * left to serverless.yml's provider defaults), so render.ts compiles the template from the model
 * alone.
 */
export function serverlessVariables(model: ServiceModel): ServerlessVariables {
  const functions = Object.entries(model.functions).map(([key, fn]) => [
    key,
    {
      name: fn.name,
      handler: fn.handler,
      description: fn.description,
      role: fn.role,
      architecture: LAMBDA.architecture,
      memorySize: LAMBDA.memorySize,
      timeout: fn.timeout,
      logRetentionInDays: LAMBDA.logRetentionInDays,
      versionFunction: false,
      ...(fn.reservedConcurrency === undefined ? {} : { reservedConcurrency: fn.reservedConcurrency }),
      environment: fn.environment,
      events: fn.events.map((event) =>
        'sqs' in event
          ? {
              sqs: {
                arn: getAtt(event.sqs.queue),
                batchSize: event.sqs.batchSize,
                functionResponseType: 'ReportBatchItemFailures',
                maximumConcurrency: event.sqs.maximumConcurrency,
              },
            }
          : { schedule: { rate: [event.schedule.rate], description: event.schedule.description } },
      ),
    },
  ]);
  return {
    plugins: [...(functions.length ? ['serverless-esbuild'] : []), TEMPLATE_RULES_PLUGIN],
    region: model.region,
    rules: model.rules,
    runtime: LAMBDA.runtime,
    stackTags: model.stackTags,
    functions: Object.fromEntries(functions),
    resources: model.resources,
  };
}

/** The Serverless CLI options serverless.yml's variables see. */
export interface CliOptions {
  param?: string | string[];
  stage?: string;
  region?: string;
}

/**
 * The stack of the account named on the command line (`--param="account=<name>"`), for
 * serverless.yml. BACKUP_HUB_ACCOUNTS_DIR points at another accounts folder.
 * @throws Error (message only: serverless prints it as is) when the account, its files or the region are wrong
 */
export function variablesFor(options: CliOptions, env: NodeJS.ProcessEnv = process.env): ServerlessVariables {
  try {
    const config = loadAccounts(env.BACKUP_HUB_ACCOUNTS_DIR ? resolve(env.BACKUP_HUB_ACCOUNTS_DIR) : DEFAULT_ACCOUNTS_DIR);
    return serverlessVariables(buildService(config, accountParam(options), { stage: options.stage ?? 'dev', region: options.region }));
  } catch (error) {
    const shown = new Error(`backup-hub: ${(error as Error).message}`);
    shown.stack = shown.message;
    throw shown;
  }
}

function accountParam(options: CliOptions): string {
  for (const item of [options.param ?? []].flat()) {
    const match = /^account=(?<name>.+)$/.exec(item);
    if (match) return match.groups!.name!.trim();
  }
  throw new Error('say which account to package: --param="account=<name>", where <name> is a file in accounts/ (e.g. vault, source-a)');
}
