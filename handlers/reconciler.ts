import middy from '@middy/core';
import { reconcile } from '../shared/pipeline/reconcile.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The scheduled reconciler, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) => middy().handler(() => reconcile(runtime.hubContext()));

export const handler = createHandler(lambdaRuntime);
