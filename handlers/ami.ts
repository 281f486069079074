import { ami } from '../shared/kinds/ami/ami.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The AMI queue's handler, built on a given context (the simulated cloud passes its own). */
export const amiHandler = (context: HubContextProvider) => copyQueueHandler(ami, context);

export const handler = amiHandler(lambdaHubContext);
