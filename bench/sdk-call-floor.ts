import { type AwsTime, cpuMs } from './aws-time.js';
import { mean, percentile, round } from './stats.js';

/** A client the handler uses, under a name for the report. */
export interface WatchedClient {
  label: string;
  client: { send(command: unknown): Promise<unknown> };
}

interface Call {
  label: string;
  command: { constructor: new (input: unknown) => unknown; input: unknown };
  send: (command: unknown) => Promise<unknown>;
}

/**
 * Meters the SDK calls made on the handler's own clients: the CPU from `send` to its result,
 * minus the CPU inside the simulated AWS's and dynalite's request handlers (what the SDK client
 * itself costs: middleware, serialization, signing, parsing). Valid while calls do not overlap
 * (one record at a time). While `recording`, it also keeps each call for {@link replayFloor}.
 */
export class SdkCallMeter {
  /** CPU ms inside the metered calls so far. */
  cpuMs = 0;
  recording = false;
  readonly recorded: Call[] = [];
  readonly #restore: (() => void)[] = [];

  constructor(
    clients: WatchedClient[],
    private readonly aws: AwsTime[],
  ) {
    for (const { label, client } of clients) {
      const send = client.send.bind(client);
      client.send = async (command: unknown) => {
        if (this.recording) this.recorded.push({ label, command: command as Call['command'], send });
        const awsBefore = this.#awsCpuMs();
        const start = process.cpuUsage();
        try {
          return await send(command);
        } finally {
          this.cpuMs += cpuMs(process.cpuUsage(start)) - (this.#awsCpuMs() - awsBefore);
        }
      };
      this.#restore.push(() => delete (client as { send?: unknown }).send);
    }
  }

  /** Puts the clients' own `send` back. */
  restore(): void {
    for (const undo of this.#restore) undo();
  }

  #awsCpuMs(): number {
    return this.aws.reduce((ms, t) => ms + t.totalCpuMs, 0);
  }
}

export interface CallFloor {
  client: string;
  command: string;
  p50Ms: number;
  meanMs: number;
}

export interface SdkCallFloorFigures {
  /** Every SDK call one event made, in order, each replayed alone on the handler's own client. */
  calls: CallFloor[];
  /** The calls of one event replayed one after the other, summed round by round. */
  perEvent: { p50Ms: number; p99Ms: number; meanMs: number };
  /** Events per second of CPU if the handler did nothing but these calls. */
  eventsPerSecond: number;
  rounds: number;
}

/**
 * The least CPU the handler's SDK calls cost: the recorded calls of one event (commands, on the
 * very client instances, so with the handler's configuration) replayed bare, each alone, metered
 * like the handler's (see {@link SdkCallMeter}). Rounds are meant to be interleaved with the
 * handler's own events, so that both meet the same heap and the same machine load.
 * `distinct(input, round)` returns the input of one replay, with keys of its own where a
 * conditional write would refuse a repeat.
 */
export class FloorReplay {
  readonly #samples: number[][];
  readonly #perEvent: number[] = [];
  #round = 0;

  constructor(
    private readonly calls: readonly Call[],
    private readonly options: { distinct: (input: unknown, round: number) => unknown; aws: AwsTime[] },
  ) {
    if (calls.length === 0) throw new Error('FloorReplay: no SDK call was recorded');
    this.#samples = calls.map(() => []);
  }

  /** Replays every call once; `keep: false` for warm-up rounds. */
  async round(keep = true): Promise<void> {
    const n = this.#round++;
    let sum = 0;
    for (const [i, call] of this.calls.entries()) {
      const input = this.options.distinct(call.command.input, n);
      const awsBefore = this.#awsCpuMs();
      const start = process.cpuUsage();
      await call.send(new call.command.constructor(input));
      const spent = cpuMs(process.cpuUsage(start)) - (this.#awsCpuMs() - awsBefore);
      if (keep) this.#samples[i]!.push(spent);
      sum += spent;
    }
    if (keep) this.#perEvent.push(sum);
  }

  figures(): SdkCallFloorFigures {
    const perEvent = this.#perEvent;
    return {
      calls: this.calls.map((call, i) => ({
        client: call.label,
        command: call.command.constructor.name,
        p50Ms: round(percentile(this.#samples[i]!, 50), 3),
        meanMs: round(mean(this.#samples[i]!), 3),
      })),
      perEvent: { p50Ms: round(percentile(perEvent, 50), 3), p99Ms: round(percentile(perEvent, 99), 3), meanMs: round(mean(perEvent), 3) },
      eventsPerSecond: round(1000 / mean(perEvent), 0),
      rounds: perEvent.length,
    };
  }

  #awsCpuMs(): number {
    return this.options.aws.reduce((ms, t) => ms + t.totalCpuMs, 0);
  }
}
