import { rdsClusterSnapshot } from '../shared/kinds/rds-cluster-snapshot/rds-cluster-snapshot.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The Aurora DB cluster snapshot queue's handler, built on a given context (the simulated cloud passes its own). */
export const rdsClusterSnapshotHandler = (context: HubContextProvider) => copyQueueHandler(rdsClusterSnapshot, context);

export const handler = rdsClusterSnapshotHandler(lambdaHubContext);
