import type { Logger } from '@aws-lambda-powertools/logger';
import { AwsClients, type ClientSettings } from '../aws/clients.js';
import { hubConfigFromEnv } from '../config/hub-config.js';
import type { LogLine } from '../metrics/hub-metrics.js';
import { type RunClock, realClock } from '../sweep/pacer.js';
import { createHubContext } from './create-hub-context.js';
import type { HubContext } from './hub-context.js';

/**
 * What a function runs with. In Lambda: its environment (as the stack sets it) and its execution
 * role. On the simulated cloud: the environment of the function the template declares, and clients
 * that call the simulated cloud with that function's role, so it runs exactly the function that is
 * deployed.
 */
export interface RuntimeSettings {
  /** The function's environment variables, AWS_REGION among them. */
  env: Record<string, string | undefined>;
  /** Settings of every AWS client the function makes. */
  clients: ClientSettings;
  now?: () => Date;
  logger?: Logger;
  /** The clock a paced run waits by (the wall clock in Lambda; counted waits on the simulated cloud). */
  runClock?: () => RunClock;
  /** Where the function's output goes (its metrics): Lambda's stdout when absent; the simulated function's log stream locally. */
  stdout?: LogLine;
}

export interface FunctionRuntime extends RuntimeSettings {
  /** The hub context, configured from the environment: built on first use and kept, as a Lambda container keeps it between invocations. */
  hubContext(): HubContext;
  /** A clock for one paced run. */
  runClock(): RunClock;
}

export function functionRuntime(settings: RuntimeSettings): FunctionRuntime {
  let context: HubContext | undefined;
  return {
    ...settings,
    runClock: settings.runClock ?? (() => realClock),
    hubContext: () =>
      (context ??= createHubContext({
        config: hubConfigFromEnv(settings.env),
        aws: new AwsClients(settings.clients),
        now: settings.now,
        logger: settings.logger,
        stdout: settings.stdout,
        sessionName: settings.env.AWS_LAMBDA_FUNCTION_NAME,
      })),
  };
}

/** Lambda's: the process environment, the execution role (the SDK's default credentials), adaptive retry. Nothing is built before the first invocation. */
export const lambdaRuntime = functionRuntime({ env: process.env, clients: { defaults: { retryMode: 'adaptive', maxAttempts: 8 } } });
