import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * The Lambda `Context` of one invocation of a function in an account and region. Simulated time
 * stands still during an invocation, so the remaining time is always the whole timeout.
 */
export function lambdaContext(
  functionName: string,
  account: string,
  region: string,
  now: Date,
  limits: { timeoutSeconds: number; memoryMb: number } = { timeoutSeconds: 30, memoryMb: 1024 },
): Context {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = () => {
    throw new Error('The simulated Lambda runs async handlers only: return or throw instead of done/succeed/fail');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: String(limits.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => limits.timeoutSeconds * 1000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
