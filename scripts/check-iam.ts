import { parseCommandLine } from '../cli/command-line.js';
import { readDrillFile } from '../drill/drill-file.js';
import { checkLeastPrivilege, withoutStatement } from '../drill/least-privilege.js';
import { runDrill } from '../drill/run-drill.js';
import { DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../shared/config/accounts.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `usage: npm run check:iam -- [--json] [--verify] [--accounts DIR]

Least privilege, proven both ways: runs the drills that cover every kind (drill/default-drill.json,
and drill/least-privilege-drill.json for prune, legal hold and restore) on the simulated cloud, and
reports which statements of every role, key, bus and queue policy some call needs (it would have been
refused without it), and the calls refused in the default drill (there must be none). A statement no
call needs must be removed, or carry a Reason in the stack model naming the real-AWS path that needs it.
  --json       print { statements, needed, unneeded: [{ sid, policy, reason }], deniedCalls }
  --verify     also take each needed statement out of the templates, one at a time, and check that the
               drill then records a refused call (long: a drill per statement)
  --accounts DIR  the account files (default: accounts/)`;

async function main(): Promise<number> {
  const parsed = parseCommandLine(
    {
      options: {
        json: { type: 'boolean' },
        verify: { type: 'boolean' },
        accounts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    { print: (text) => console.log(text), error: (text) => console.error(text) },
  );
  if (typeof parsed === 'number') return parsed;
  const { json, verify, accounts: accountsDir } = parsed.values;
  const say = json ? () => {} : (line: string) => console.log(line);
  const { placed, ...report } = await checkLeastPrivilege({ accountsDir, progress: say });
  const unexplained = report.unneeded.filter((u) => u.reason === undefined);
  const notProven: string[] = [];
  if (verify) {
    const accounts = loadAccounts(accountsDir ?? DEFAULT_ACCOUNTS_DIR);
    const needed = placed.filter((p) => !report.unneeded.some((u) => u.policy === p.policy && u.sid === p.sid));
    for (const [i, statement] of needed.entries()) {
      say(`[${i + 1}/${needed.length}] without ${statement.policy} ${statement.sid}`);
      let refused = 0;
      for (const file of ['drill/default-drill.json', 'drill/least-privilege-drill.json']) {
        const drill = await readDrillFile(file);
        try {
          const result = await runDrill(drill, { name: file, accountsDir, template: withoutStatement(accounts, statement) });
          refused += result.refusedCalls.length;
        } catch (error) {
          refused += 1; // a drill that cannot even run without the statement (a refused deployment, say) needs it
          say(`  ${file}: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (refused > 0) break;
      }
      if (refused === 0) notProven.push(`${statement.policy} ${statement.sid}`);
    }
  }
  if (json) console.log(JSON.stringify(verify ? { ...report, notProven } : report, null, 2));
  else {
    console.log(
      `${report.statements} statements, ${report.needed} needed by some call; ${report.deniedCalls} calls refused in the default drill`,
    );
    for (const u of report.unneeded)
      console.log(`  not needed: ${u.policy} ${u.sid}${u.reason ? ` (kept: ${u.reason})` : ' — remove it, or give it a Reason'}`);
    if (verify)
      console.log(
        notProven.length
          ? `needed but not refused without: ${notProven.join('; ')}`
          : 'every needed statement, taken out, makes a call refused',
      );
  }
  return report.deniedCalls > 0 || unexplained.length > 0 || notProven.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`check:iam stopped: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
