/** An AWS service error as the service would return it on the wire. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** Error codes that AWS returns with a 5xx status, so the SDK classifies them as transient. */
const serverFaults = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'Unavailable',
  'KMSInternalException',
]);
/** EC2 throttles with 503; the JSON and query services with 400. */
const throttleStatus: Record<string, number> = { RequestLimitExceeded: 503 };

/** Builds the error a fault injection asks for, with the status AWS would use. */
export function injectedError(code: string, operation: string): AwsError {
  const status = throttleStatus[code] ?? (serverFaults.has(code) ? 500 : 400);
  return new AwsError(code, `Injected fault on ${operation}: ${code}`, status);
}
