import type { HubContext } from '../shared/runtime/hub-context.js';
import { parseCommandLine } from './command-line.js';
import { explain, type OperatorDeps, operatorConfig, operatorName } from './operator-context.js';

/**
 * A command that puts one mark on one catalog entry with a reason (`NAME TARGET --reason TEXT`) or
 * takes it off again (`NAME TARGET --<takeOff>`), both recorded with `--by`: `hold` and `retire`.
 */
export interface MarkCommand {
  name: string;
  usage: string;
  /** The flag that takes the mark off: `lift`, `undo`. */
  takeOff: string;
  /** What the one positional names, for the mistake: `recovery point`, `resource`. */
  target: string;
  /** The vault role the command runs as, for the hint when credentials are missing or refused. */
  role: string;
  /** Each returns the line printed on success. */
  put(ctx: HubContext, target: string, reason: string, by: string): Promise<string>;
  takeOffFrom(ctx: HubContext, target: string, by: string): Promise<string>;
}

export function markCommand(command: MarkCommand): (argv: string[], deps: OperatorDeps) => Promise<number> {
  const { name, usage, takeOff } = command;
  return async (argv, deps) => {
    const parsed = parseCommandLine(
      {
        args: argv,
        allowPositionals: true,
        options: {
          reason: { type: 'string' },
          [takeOff]: { type: 'boolean' },
          by: { type: 'string' },
          accounts: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      },
      usage,
      deps,
    );
    if (typeof parsed === 'number') return parsed;
    const { values: args, positionals } = parsed;
    const reason = typeof args.reason === 'string' ? args.reason.trim() : '';
    const takingOff = args[takeOff] === true;
    if (positionals.length !== 1 || takingOff === Boolean(reason)) {
      const mistake = positionals.length !== 1 ? `name one ${command.target}` : `give either --reason TEXT or --${takeOff}`;
      deps.error(`${mistake}\n\n${usage}`);
      return 2;
    }
    const target = positionals[0]!;
    try {
      const ctx = deps.context(operatorConfig(deps.accounts(args.accounts as string | undefined)));
      const by = await operatorName(ctx, args.by as string | undefined);
      deps.print(takingOff ? await command.takeOffFrom(ctx, target, by) : await command.put(ctx, target, reason, by));
      return 0;
    } catch (error) {
      const explained = explain(error, command.role);
      if (explained === undefined) throw error;
      deps.error(`backup-hub ${name}: ${explained}`);
      return 1;
    }
  };
}
