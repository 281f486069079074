import middy from '@middy/core';
import { captureRequestOf } from '../shared/config-capture/capture-request.js';
import { runCapture } from '../shared/config-capture/run-capture.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The configuration capture: hourly (each due source region), and on a source's new AMI or DB snapshot (its region). */
export const createHandler = (runtime: FunctionRuntime) =>
  middy().handler(async (event: unknown) => runCapture(runtime.hubContext(), captureRequestOf(event), runtime.runClock()));

export const handler = createHandler(lambdaRuntime);
