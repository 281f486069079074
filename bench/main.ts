import { runBench } from './bench.js';
import { markdownTable } from './table.js';

/**
 * `npm run bench -- [--json] [--short]`: the performance budget of every packaged handler.
 * Exit status 1 when a target is missed (the report still prints).
 */
const args = process.argv.slice(2);
const unknown = args.filter((a) => !['--json', '--short'].includes(a));
if (unknown.length) {
  process.stderr.write(`bench: unknown option ${unknown.join(' ')}; use --json and/or --short\n`);
  process.exit(2);
}
const report = await runBench({ short: args.includes('--short') });
process.stdout.write(args.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${markdownTable(report)}\n`);
process.exitCode = report.allTargetsHold ? 0 : 1;
