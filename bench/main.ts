import { readFileSync } from 'node:fs';
import { type BenchReport, runBench } from './bench.js';
import { markdownTable } from './table.js';

/**
 * `npm run bench -- [--json] [--short]`: the performance budget of every packaged handler.
 * `npm run bench -- --markdown-from run.json`: the tables of a saved `--json` run (the README's).
 * Exit status 1 when a target is missed (the report still prints).
 */
const args = process.argv.slice(2);
const from = args.indexOf('--markdown-from');
if (from >= 0) {
  const file = args[from + 1];
  if (!file || args.length !== 2) {
    process.stderr.write('bench: --markdown-from takes one file (a saved `--json` run) and no other option\n');
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  process.stdout.write(`${markdownTable(report)}\n`);
  process.exit(report.allTargetsHold ? 0 : 1);
}
const unknown = args.filter((a) => !['--json', '--short'].includes(a));
if (unknown.length) {
  process.stderr.write(`bench: unknown option ${unknown.join(' ')}; use --json and/or --short, or --markdown-from FILE\n`);
  process.exit(2);
}
const report = await runBench({ short: args.includes('--short') });
process.stdout.write(args.includes('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${markdownTable(report)}\n`);
process.exitCode = report.allTargetsHold ? 0 : 1;
