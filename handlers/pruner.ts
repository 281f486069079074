import middy from '@middy/core';
import { scheduledPrune } from '../shared/retention/prune.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The scheduled pruner, on the runtime of the function the stack declares (the vault lock in its environment). */
export const createHandler = (runtime: FunctionRuntime) => middy().handler(() => scheduledPrune(runtime.hubContext(), runtime.env));

export const handler = createHandler(lambdaRuntime);
