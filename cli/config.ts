import { writeFile } from 'node:fs/promises';
import { s3Client } from '../shared/aws/clients.js';
import { compareCaptures } from '../shared/config-capture/compare.js';
import { formatChanges } from '../shared/config-capture/diff.js';
import type { ConfigDocument } from '../shared/config-capture/document.js';
import { toCloudFormation } from '../shared/config-capture/export/cloudformation.js';
import { toTerraform } from '../shared/config-capture/export/terraform.js';
import { type CopiedPoint, vaultCopiesOf } from '../shared/config-capture/export/vault-copies.js';
import { CaptureNotFound, captureAsOf, readCapture } from '../shared/config-capture/store.js';
import type { HubContext } from '../shared/runtime/hub-context.js';
import { ACCOUNT_MISTAKE, isSourceAccount, parseCommandLine, timeOptions } from './command-line.js';
import { awsOperatorDeps, explain, type OperatorDeps, operatorConfig } from './operator-context.js';

const usage = `usage: backup-hub config export --account ID --region R [--as-of TIME] --format cloudformation|terraform [--out FILE]
       backup-hub config diff --account ID --region R [--from TIME] [--to TIME] [--json]

The vault captures each source region's configuration (VPCs, subnets, route tables, security
groups, instances, launch templates, volumes, DB instances and clusters) daily and on each new AMI
or DB snapshot. export renders the capture as of TIME (default: now) as a template that rebuilds it
in another account: names kept, ids as references, AMIs and snapshots the vault's copies, parameters
for the CIDR blocks and key pairs. diff lists what changed between the captures as of --from
(default: the capture before --to's) and --to (default: now). TIME is ISO 8601. Run it with vault
credentials that assumed the backup-hub-restore role (it reads the captures and the catalog).

  --accounts DIR   the account files (default: accounts/ of this repository)`;

/** `backup-hub config`: export a capture as infrastructure as code, or compare two. */
export async function run(argv: string[], deps: OperatorDeps = awsOperatorDeps): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'export' && sub !== 'diff') {
    if (sub === '--help' || sub === '-h') {
      deps.print(usage);
      return 0;
    }
    deps.error(`${sub === undefined ? 'name a subcommand' : `unknown subcommand '${sub}'`}: export or diff\n\n${usage}`);
    return 2;
  }
  const parsed = parseCommandLine(
    {
      args: rest,
      options: {
        account: { type: 'string' },
        region: { type: 'string' },
        'as-of': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean' },
        accounts: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    usage,
    deps,
  );
  if (typeof parsed === 'number') return parsed;
  const args = parsed.values;
  const mistake = (message: string) => {
    deps.error(`${message}\n\n${usage}`);
    return 2;
  };
  if (!isSourceAccount(args.account)) return mistake(ACCOUNT_MISTAKE);
  if (!args.region) return mistake('--region names one of the source account’s regions');
  const times = timeOptions(args, ['as-of', 'from', 'to'] as const);
  if (typeof times === 'string') return mistake(times);
  if (sub === 'export' && args.format !== 'cloudformation' && args.format !== 'terraform')
    return mistake('--format is cloudformation or terraform');
  try {
    const accounts = deps.accounts(args.accounts);
    const ctx = deps.context(operatorConfig(accounts));
    const vault = { account: ctx.config.vaultAccountId, region: ctx.config.vaultRegion, keyArn: ctx.config.vaultKeyArn };
    const s3 = s3Client(ctx.aws, vault.region);
    if (sub === 'export') {
      const doc = await readCapture(s3, vault, await captureAsOf(s3, vault, args.account, args.region, times['as-of'] ?? ctx.now()));
      const copies = vaultCopiesOf(doc, await pointsOf(ctx, doc), vault);
      const text =
        args.format === 'cloudformation' ? `${JSON.stringify(toCloudFormation(doc, copies), null, 2)}\n` : toTerraform(doc, copies);
      if (args.out) {
        await writeFile(args.out, text);
        deps.print(`wrote the ${args.format} of ${args.account} ${args.region} as captured at ${doc.capturedAt} to ${args.out}`);
      } else deps.print(text.trimEnd());
      return 0;
    }
    const { before, after, changes } = await compareCaptures(
      s3,
      vault,
      { account: args.account, region: args.region },
      { from: times.from, to: times.to ?? ctx.now() },
    );
    deps.print(
      args.json
        ? JSON.stringify({ from: before.capturedAt, to: after.capturedAt, changes }, null, 2)
        : `changes of ${args.account} ${args.region} from ${before.capturedAt} to ${after.capturedAt}:\n${formatChanges(changes)}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CaptureNotFound) {
      deps.error(`backup-hub config: ${error.message}`);
      return 1;
    }
    const explained = explain(error, 'backup-hub-restore');
    if (explained === undefined) throw error;
    deps.error(`backup-hub config: ${explained}`);
    return 1;
  }
}

/** The recovery points of the capture's account created up to the capture: where the vault's copies are found. */
async function pointsOf(ctx: HubContext, doc: ConfigDocument): Promise<CopiedPoint[]> {
  const points: CopiedPoint[] = [];
  for await (const p of ctx.catalog.byAccount<CopiedPoint>(doc.account, { to: doc.capturedAt })) points.push(p);
  return points;
}
