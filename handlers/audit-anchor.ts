import middy from '@middy/core';
import { scheduledAnchor } from '../shared/audit/scheduled-anchor.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The scheduled audit anchor: signs the audit log's head into the Object Lock bucket. */
export const createHandler = (runtime: FunctionRuntime) => middy().handler(() => scheduledAnchor(runtime.hubContext(), runtime.env));

export const handler = createHandler(lambdaRuntime);
