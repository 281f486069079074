import { rdsSnapshot } from '../shared/kinds/rds-snapshot/rds-snapshot.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The RDS DB snapshot queue's handler, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) => copyQueueHandler(rdsSnapshot, runtime);

export const handler = createHandler(lambdaRuntime);
