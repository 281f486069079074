import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Simulated time stands still during an invocation, so the remaining time is always the full timeout. */
const TIMEOUT_MS = 30_000;

/** The Lambda `Context` of one invocation of a function in an account and region. */
export function lambdaContext(functionName: string, account: string, region: string, now: Date): Context {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = () => {
    throw new Error('The simulated Lambda runs async handlers only: return or throw instead of done/succeed/fail');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => TIMEOUT_MS,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
