/** One line a function wrote, as CloudWatch Logs keeps it. */
export interface LogEvent {
  account: string;
  region: string;
  group: string;
  at: number;
  message: string;
}

type LogListener = (event: LogEvent) => void;

/**
 * Simulated CloudWatch Logs, as far as the hub needs it: what each Lambda function writes goes to
 * its group `/aws/lambda/<name>`; listeners (CloudWatch's embedded-metric-format extraction) see
 * every line as it is put.
 */
export class LogsSim {
  readonly events: LogEvent[] = [];
  readonly #listeners: LogListener[] = [];

  put(event: LogEvent): void {
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  onEvent(listener: LogListener): void {
    this.#listeners.push(listener);
  }

  /** The lines of one group, oldest first. */
  group(account: string, region: string, group: string): LogEvent[] {
    return this.events.filter((e) => e.account === account && e.region === region && e.group === group);
  }
}
