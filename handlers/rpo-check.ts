import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { scheduledRpoCheck } from '../shared/monitoring/check-rpo.js';
import { type FunctionRuntime, lambdaRuntime } from '../shared/runtime/function-runtime.js';

/** The scheduled RPO check, on the runtime of the function the stack declares (its alarm topic in ALARM_TOPIC_ARN). */
export const createHandler = (runtime: FunctionRuntime) =>
  middy().handler((_event: unknown, context: Context) =>
    scheduledRpoCheck(
      runtime.hubContext(),
      { maxQueries: Number(runtime.env.RPO_MAX_QUERIES ?? 1000), reserveMs: 30_000, remainingMs: () => context.getRemainingTimeInMillis() },
      runtime.env.ALARM_TOPIC_ARN ?? '',
    ),
  );

export const handler = createHandler(lambdaRuntime);
