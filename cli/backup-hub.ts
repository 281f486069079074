/**
 * `backup-hub <command> …`: one entry point for the operator commands. Each command is a module
 * exporting `run(argv): Promise<number>` (the exit status), loaded only when it is asked for.
 */
const commands: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  audit: {
    summary: 'coverage, RPO compliance, unprotected and lost, failures, retention; verify the audit log (table, json, csv, html)',
    load: () => import('./audit.js'),
  },
  restore: { summary: 'make recovery points usable in a recovery account (dry run unless --apply)', load: () => import('./restore.js') },
  hold: { summary: 'set or lift the legal hold of a recovery point', load: () => import('./hold.js') },
  retry: { summary: 'reopen failed recovery points (one, or a source account’s)', load: () => import('./retry.js') },
  retire: { summary: 'stop (or resume) counting a resource against its RPO target', load: () => import('./retire.js') },
  config: {
    summary: "a source's captured configuration as CloudFormation or Terraform, or what changed between two captures",
    load: () => import('./config.js'),
  },
  doctor: { summary: 'check a deployment end to end without changing anything (✓/✗ with the fix)', load: () => import('./doctor.js') },
  guardrails: {
    summary: "the vault account's organization policies (SCP, RCP) from the account files",
    load: () => import('./guardrails.js'),
  },
  sweep: { summary: 'list a source now and protect what no event announced (dry run with --dry-run)', load: () => import('./sweep.js') },
};

const usage = () =>
  `usage: backup-hub <command> [options]\n\ncommands:\n${Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
    .join('\n')}\n\n'backup-hub <command> --help' describes a command.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`backup-hub: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`backup-hub: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
