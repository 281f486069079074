import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DataFolderInUseError, TemplateError } from '@backup-hub/aws-sim';
import { DEFAULT_DATA_DIR } from '../drill/data-dir.js';
import { DrillFileError, readDrillFile } from '../drill/drill-file.js';
import { DrillStacksError } from '../drill/drill-stacks.js';
import { LocalStateError } from '../drill/local-state.js';
import { runDrill } from '../drill/run-drill.js';
import { formatSummary } from '../drill/summary.js';
import { AccountsConfigError } from '../shared/config/accounts.js';
import { parseCommandLine } from './command-line.js';

// The SDK warns once per process that Node 20 support ends in 2027; Lambda runs nodejs22.x, and the drill output should stay readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DEFAULT_DRILL = fileURLToPath(new URL('../drill/default-drill.json', import.meta.url));

const usage = `usage: npm start -- [--drill FILE] [--report FILE.json] [--data DIR] [--stacks DIR] [--accounts DIR] [--quiet]

Runs backup-hub on the simulated multi-account cloud and prints a summary.
  --drill FILE     the drill to run (default: drill/default-drill.json)
  --report FILE    also write the JSON report there
  --data DIR       keep the catalog and audit log there, replacing an earlier drill's,
                   for 'backup-hub audit --local DIR' (default: ${DEFAULT_DATA_DIR})
  --stacks DIR     deploy the CloudFormation packaged into DIR/<account file>/ (npm run package:all
                   writes .build/) instead of rendering it: the drill then runs what you would deploy
  --accounts DIR   the account files (default: accounts/); a drill naming exactly their accounts is
                   deployed from them, any other drill from account files made for it
  --quiet          print only the summary`;

async function main(): Promise<number> {
  const parsed = parseCommandLine(
    {
      options: {
        drill: { type: 'string' },
        report: { type: 'string' },
        data: { type: 'string' },
        stacks: { type: 'string' },
        accounts: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    {
      print: (text) => console.log(text),
      error: (text) => console.error(text),
    },
  );
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  const file = args.drill ?? DEFAULT_DRILL;
  const drill = await readDrillFile(file);
  const dataDir = args.data ?? DEFAULT_DATA_DIR;
  const report = await runDrill(drill, {
    name: file,
    dataDir,
    accountsDir: args.accounts,
    stacksDir: args.stacks,
    progress: args.quiet ? undefined : (line) => console.log(line),
  });
  console.log(formatSummary(report));
  console.log(`\ncatalog and audit log kept in ${dataDir}: npx backup-hub audit --local ${dataDir}`);
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
    else if (error instanceof LocalStateError || error instanceof DataFolderInUseError)
      console.error(`The drill cannot keep its state: ${error.message}`);
    else if (error instanceof DrillStacksError || error instanceof AccountsConfigError)
      console.error(`The drill cannot be deployed: ${error.message}`);
    else if (error instanceof TemplateError) console.error(`The simulated CloudFormation refused a stack: ${error.message}`);
    else console.error(`The drill stopped: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
