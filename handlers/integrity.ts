import middy from '@middy/core';
import { INTEGRITY } from '../accounts/stack/names.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';
import { checkIntegrity } from '../shared/sweep/integrity-sweep.js';

/** The scheduled integrity sweep, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) =>
  middy().handler(() => checkIntegrity(runtime.hubContext(), { pointsPerRun: INTEGRITY.pointsPerRun }));

export const handler = createHandler(lambdaRuntime);
