import { rdsSnapshot } from '../shared/kinds/rds-snapshot/rds-snapshot.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The RDS DB snapshot queue's handler, built on a given context (the simulated cloud passes its own). */
export const rdsSnapshotHandler = (context: HubContextProvider) => copyQueueHandler(rdsSnapshot, context);

export const handler = rdsSnapshotHandler(lambdaHubContext);
