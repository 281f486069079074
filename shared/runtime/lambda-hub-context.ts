import { AwsClients } from '../aws/clients.js';
import { hubConfigFromEnv } from '../config/hub-config.js';
import { createHubContext } from './create-hub-context.js';
import type { HubContext } from './hub-context.js';

/** Supplies the hub context to a handler; lazy, so importing a handler has no side effects. */
export type HubContextProvider = () => HubContext;

let context: HubContext | undefined;

/** The context of a Lambda container: configuration from the environment, SDK adaptive retry, built once. */
export const lambdaHubContext: HubContextProvider = () => {
  context ??= createHubContext({ config: hubConfigFromEnv(), aws: new AwsClients({ defaults: { retryMode: 'adaptive', maxAttempts: 8 } }) });
  return context;
};
