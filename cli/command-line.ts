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
