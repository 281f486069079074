import { ebsSnapshot } from '../shared/kinds/ebs-snapshot/ebs-snapshot.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The EBS snapshot queue's handler, built on a given context (the simulated cloud passes its own). */
export const ebsSnapshotHandler = (context: HubContextProvider) => copyQueueHandler(ebsSnapshot, context);

export const handler = ebsSnapshotHandler(lambdaHubContext);
