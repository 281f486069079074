import middy from '@middy/core';
import { reconcile } from '../shared/pipeline/reconcile.js';
import { lambdaHubContext, type HubContextProvider } from '../shared/runtime/lambda-hub-context.js';

/** The scheduled reconciler, built on a given context (the simulated cloud passes its own). */
export const reconcilerHandler = (context: HubContextProvider) => middy().handler(() => reconcile(context()));

export const handler = reconcilerHandler(lambdaHubContext);
