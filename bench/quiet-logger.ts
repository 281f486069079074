import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The handlers' logger at its Lambda level (INFO), writing to nowhere: every log line is still
 * built and serialized, as in the Lambda, without flooding the bench's output.
 */
export function quietInfoLogger(): Logger {
  const logger = new Logger({ serviceName: 'backup-hub', logLevel: 'INFO' });
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  (logger as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink });
  return logger;
}
