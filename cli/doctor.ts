import type { AccountsConfig } from '../shared/config/accounts.js';
import { AccountsConfigError, loadAccounts } from '../shared/config/accounts.js';
import { awsDoctorAccess } from '../shared/doctor/aws-access.js';
import { runDoctor } from '../shared/doctor/doctor.js';
import { doctorTable } from '../shared/doctor/format.js';
import type { DoctorAccess } from '../shared/doctor/scope.js';
import { parseCommandLine } from './command-line.js';

const usage = `usage: backup-hub doctor [--account NAME] [--format table|json] [--stage STAGE] [--profile NAME=PROFILE]…

Checks a deployment end to end without changing anything, per account and region: each stack is
deployed from these account files; the rules are enabled and target what they should; the queues
exist and the dead-letter queues are empty; the vault bus admits each source; each source's reader
roles admit the vault's roles with the ExternalId; every role may do what the hub will ask of it
(IAM's policy simulation, and EC2 DryRun); the keys exist and every key protecting a source's
snapshots is one its account file lists; the catalog, the audit log and the vault lock. Prints ✓ or
✗ with the fix for each, and exits 1 when something is wrong.

Run it as a vault operator with read access to every account: the standard credential chain
(AWS_PROFILE, environment, SSO) reaches the accounts, or --profile gives one per account file.
It calls only Describe*, Get*, List*, SimulatePrincipalPolicy, DryRun requests and AssumeRole.

  --account NAME          check one account file's stacks only (e.g. source-a)
  --format table|json     table (default), or JSON: [{ account, region, check, ok, fix }]
  --stage STAGE           the stage deployed (default: prod)
  --profile NAME=PROFILE  the AWS profile for an account file (repeat for each account)
  --accounts DIR          the account files (default: accounts/ of this repository)`;

/** What doctor runs on; tests pass the simulated cloud's access. */
export interface DoctorDeps {
  accounts(dir?: string): AccountsConfig;
  access(accounts: AccountsConfig, profiles: Record<string, string>): DoctorAccess;
  print(line: string): void;
  error(line: string): void;
}

export const awsDoctorDeps: DoctorDeps = {
  accounts: (dir) => loadAccounts(dir),
  access: awsDoctorAccess,
  print: (line) => console.log(line),
  error: (line) => console.error(line),
};

/** `backup-hub doctor`: exit 0 when every check is ✓, 1 otherwise, 2 for a malformed command line. */
export async function run(argv: string[], deps: DoctorDeps = awsDoctorDeps): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      options: {
        account: { type: 'string' },
        format: { type: 'string', default: 'table' },
        stage: { type: 'string', default: 'prod' },
        profile: { type: 'string', multiple: true },
        accounts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const { values: args } = parsed;
  const profiles = Object.fromEntries((args.profile ?? []).map((p) => p.split('=', 2) as [string, string]));
  const malformed = (args.profile ?? []).find((p) => !/^[^=]+=.+$/.test(p));
  if (malformed !== undefined || (args.format !== 'table' && args.format !== 'json')) {
    deps.error(
      `${malformed !== undefined ? `--profile ${malformed}: give NAME=PROFILE` : `--format ${args.format}: give table or json`}\n\n${usage}`,
    );
    return 2;
  }
  let accounts: AccountsConfig;
  try {
    accounts = deps.accounts(args.accounts);
    const unknown = [...Object.keys(profiles), ...(args.account ? [args.account] : [])].filter(
      (name) => !accounts.all.some((a) => a.name === name),
    );
    if (unknown.length > 0) {
      deps.error(
        `backup-hub doctor: no account file named ${unknown.join(', ')} (the account files: ${accounts.all.map((a) => a.name).join(', ')})`,
      );
      return 2;
    }
  } catch (error) {
    if (!(error instanceof AccountsConfigError)) throw error;
    deps.error(`backup-hub doctor: ${error.message}`);
    return 1;
  }
  const findings = await runDoctor(
    { accounts, stage: args.stage!, access: deps.access(accounts, profiles) },
    args.account === undefined ? undefined : accounts.account(args.account),
  );
  deps.print(args.format === 'json' ? JSON.stringify(findings, null, 2) : doctorTable(findings, accounts));
  return findings.every((f) => f.ok) ? 0 : 1;
}
