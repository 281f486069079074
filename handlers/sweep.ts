import middy from '@middy/core';
import { SWEEP } from '../accounts/stack/names.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';
import { sweep, sweepSummary } from '../shared/sweep/inventory-sweep.js';
import { sweepSettingsFromEnv } from '../shared/sweep/sweep-settings.js';

/** The scheduled inventory sweep, on the runtime of the function the stack declares (its period and default budget in SWEEP; the sources, their budgets and retention in the source records). */
export const createHandler = (runtime: FunctionRuntime) =>
  middy().handler(async () =>
    sweepSummary(
      await sweep(runtime.hubContext(), {
        settings: sweepSettingsFromEnv(runtime.env),
        clock: runtime.runClock,
        runMs: SWEEP.runSeconds * 1000,
      }),
    ),
  );

export const handler = createHandler(lambdaRuntime);
