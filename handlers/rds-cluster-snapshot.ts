import { rdsClusterSnapshot } from '../shared/kinds/rds-cluster-snapshot/rds-cluster-snapshot.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The Aurora DB cluster snapshot queue's handler, on the runtime of the function the stack declares. */
export const createHandler = (runtime: FunctionRuntime) => copyQueueHandler(rdsClusterSnapshot, runtime);

export const handler = createHandler(lambdaRuntime);
