import { AccountsConfigError } from '../shared/config/accounts.js';
import { type GuardrailFormat, GuardrailsUnavailable, guardrails } from '../shared/guardrails/guardrails.js';
import { parseCommandLine } from './command-line.js';
import { awsOperatorDeps, type OperatorDeps } from './operator-context.js';

const usage = `usage: backup-hub guardrails --format scp|rcp [--accounts DIR]

Prints the organization policy for the vault account, from the account files, as JSON to attach
with AWS Organizations (create-policy --type SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY,
then attach-policy to the vault account):

  scp  binds every principal of the vault account, its root user included: only the pruner deletes
       vault copies; nobody unlocks a snapshot, deletes or unlocks a Recycle Bin rule, bypasses
       Object Lock, disables or schedules the deletion of a key; only the copy roles lock
       snapshots; only the deploy role (deployRole in the vault file) changes the hub's roles,
       functions, rules, queues, tables, key policies and the Object Lock settings; the audit table
       takes inserts only (no put, update or delete), the vault lock's records from the pruner
       alone, the holds' from the legal hold role alone. The hub roles excepted from each guard are
       those the vault's stacks grant the guarded call.
  rcp  the same guards on the vault's KMS keys, S3 store, queues, tables and bus, for principals of
       any account (RCPs cover those services; EC2, RDS and Lambda are guarded by the SCP alone).

Nothing is called in AWS. RDS and Aurora snapshots have no lock in AWS: the SCP is their only guard.

  --accounts DIR   the account files (default: accounts/ of this repository)`;

/** `backup-hub guardrails`: the vault account's organization policies, from the account files. */
export async function run(argv: string[], deps: Pick<OperatorDeps, 'accounts' | 'print' | 'error'> = awsOperatorDeps): Promise<number> {
  const parsed = parseCommandLine(
    { args: argv, options: { format: { type: 'string' }, accounts: { type: 'string' }, help: { type: 'boolean', short: 'h' } } },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const format = parsed.values.format;
  if (format !== 'scp' && format !== 'rcp') {
    deps.error(`give --format scp or --format rcp${format === undefined ? '' : ` (got ${format})`}\n\n${usage}`);
    return 2;
  }
  try {
    deps.print(JSON.stringify(guardrails(deps.accounts(parsed.values.accounts), format as GuardrailFormat), null, 2));
    return 0;
  } catch (error) {
    if (!(error instanceof GuardrailsUnavailable || error instanceof AccountsConfigError)) throw error;
    deps.error(`backup-hub guardrails: ${error.message}`);
    return 1;
  }
}
