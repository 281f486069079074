import { ssmParameter } from '../shared/kinds/ssm-parameter/ssm-parameter.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The SSM parameter queue's handler, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) => copyQueueHandler(ssmParameter, runtime);

export const handler = createHandler(lambdaRuntime);
