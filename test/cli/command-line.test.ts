import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/command-line.js';

const USAGE = 'usage: backup-hub thing [--to ACCOUNT]';
const options = { to: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function output() {
  const printed: string[] = [];
  const errors: string[] = [];
  return { printed, errors, io: { print: (text: string) => printed.push(text), error: (text: string) => errors.push(text) } };
}

describe('parseCommandLine', () => {
  it('returns what was parsed and prints nothing', () => {
    const { printed, errors, io } = output();
    const parsed = parseCommandLine({ args: ['--to', 'dr'], options }, USAGE, io);
    expect(typeof parsed === 'number' ? parsed : parsed.values.to).toBe('dr');
    expect([...printed, ...errors]).toEqual([]);
  });

  it('answers --help and -h with the usage on stdout and status 0', () => {
    for (const flag of ['--help', '-h']) {
      const { printed, errors, io } = output();
      expect(parseCommandLine({ args: [flag], options }, USAGE, io)).toBe(0);
      expect(printed).toEqual([USAGE]);
      expect(errors).toEqual([]);
    }
  });

  it('answers an unknown option or a missing value with what is wrong and the usage on stderr, status 2', () => {
    for (const args of [['--bogus'], ['--to']]) {
      const { printed, errors, io } = output();
      expect(parseCommandLine({ args, options }, USAGE, io), args.join(' ')).toBe(2);
      expect(printed).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`'${args[0]}`);
      expect(errors[0]!.endsWith(`\n\n${USAGE}`)).toBe(true);
    }
  });
});
