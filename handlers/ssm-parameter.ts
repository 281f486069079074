import { ssmParameter } from '../shared/kinds/ssm-parameter/ssm-parameter.js';
import { copyQueueHandler } from '../shared/runtime/copy-queue-handler.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The SSM parameter queue's handler, built on a given context (the simulated cloud passes its own). */
export const ssmParameterHandler = (context: HubContextProvider) => copyQueueHandler(ssmParameter, context);

export const handler = ssmParameterHandler(lambdaHubContext);
