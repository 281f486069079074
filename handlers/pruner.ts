import middy from '@middy/core';
import { prune } from '../shared/retention/prune.js';
import { retentionSettingsFromEnv, type RetentionSettings } from '../shared/retention/retention-settings.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The scheduled pruner, built on a given context and retention settings (the simulated cloud passes its own). */
export const prunerHandler = (context: HubContextProvider, settings: () => RetentionSettings) => middy().handler(() => prune(context(), settings()));

export const handler = prunerHandler(lambdaHubContext, () => retentionSettingsFromEnv());
