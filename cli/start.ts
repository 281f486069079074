import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { DrillFileError, readDrillFile } from '../drill/drill-file.js';
import { runDrill } from '../drill/run-drill.js';
import { formatSummary } from '../drill/summary.js';

// The SDK warns once per process that Node 20 support ends in 2027; Lambda runs nodejs22.x, and the drill output should stay readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DEFAULT_DRILL = fileURLToPath(new URL('../drill/default-drill.json', import.meta.url));

const usage = `usage: npm start -- [--drill FILE] [--report FILE.json] [--quiet]

Runs backup-hub on the simulated multi-account cloud and prints a summary.
  --drill FILE     the drill to run (default: drill/default-drill.json)
  --report FILE    also write the JSON report there
  --quiet          print only the summary`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { drill: { type: 'string' }, report: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  const file = args.drill ?? DEFAULT_DRILL;
  const drill = await readDrillFile(file);
  const report = await runDrill(drill, { name: file, progress: args.quiet ? undefined : (line) => console.log(line) });
  console.log(formatSummary(report));
  if (args.report) {
    await writeFile(args.report, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nreport written to ${args.report}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DrillFileError) console.error(`The drill file cannot be run.\n${error.message}`);
    else console.error(`The drill stopped: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
