import { ebsSnapshot } from '../shared/kinds/ebs-snapshot/ebs-snapshot.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The EBS snapshot queue's handler, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) => copyQueueHandler(ebsSnapshot, runtime);

export const handler = createHandler(lambdaRuntime);
