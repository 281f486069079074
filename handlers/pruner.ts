import middy from '@middy/core';
import { prune } from '../shared/retention/prune.js';
import { retentionSettingsFromEnv } from '../shared/retention/retention-settings.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The scheduled pruner, on the runtime of the function the stack declares (its retention in RETENTION). */
export const createHandler = (runtime: FunctionRuntime) =>
  middy().handler(() => prune(runtime.hubContext(), retentionSettingsFromEnv(runtime.env)));

export const handler = createHandler(lambdaRuntime);
