import { ami } from '../shared/kinds/ami/ami.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The AMI queue's handler, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) => copyQueueHandler(ami, runtime);

export const handler = createHandler(lambdaRuntime);
