import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Where a command writes its usage: stdout for `--help`, stderr for a mistake. */
export interface UsageOutput {
  print(text: string): void;
  error(text: string): void;
}

/**
 * Parses a command's arguments, answering `--help` and a malformed command line itself: it prints
 * the usage and returns the exit status (0 for `--help`, 2 for a mistake), or returns what was parsed.
 *
 * @example
 * const parsed = parseCommandLine({ args: argv, options: { to: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }, usage, deps);
 * if (typeof parsed === 'number') return parsed;
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
  usage: string,
  output: UsageOutput,
): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    output.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: unknown }).help) {
    output.print(usage);
    return 0;
  }
  return parsed;
}

/** `--account` names a source account by its 12-digit id; {@link ACCOUNT_MISTAKE} says so otherwise. */
export const isSourceAccount = (account: string | undefined): account is string => account !== undefined && /^\d{12}$/.test(account);
export const ACCOUNT_MISTAKE = '--account takes the 12-digit id of a source account';

/**
 * A command's time options (`--as-of`, `--from`, `--to`) as dates; the mistake naming the first that
 * is not a time otherwise.
 */
export function timeOptions<N extends string>(values: Partial<Record<N, unknown>>, names: readonly N[]): Partial<Record<N, Date>> | string {
  const times: Partial<Record<N, Date>> = {};
  for (const name of names) {
    const text = values[name];
    if (typeof text !== 'string') continue;
    const time = new Date(text);
    if (Number.isNaN(time.getTime())) return `--${name} ${text} is not a time: give ISO 8601, such as 2026-03-01T12:00:00Z`;
    times[name] = time;
  }
  return times;
}
