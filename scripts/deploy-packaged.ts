/**
 * Deploys every template `serverless package` left under a folder (default `.build/`) into one
 * simulated cloud, the vault first, as they would be deployed on AWS, and prints per stack what
 * was created or why the simulated CloudFormation refused it. Then each source region announces
 * one EBS snapshot, as AWS would on its default bus, and the check follows it through the deployed
 * forwarding rule, the vault bus's policy, the vault rule and queue policy and the event source
 * mapping, to the vault function. Exits 1 when a stack fails or an event does not arrive.
 *
 *   npm run package:vault && npm run package:source && npm run package:recovery
 *   npm run check:packaged-stacks [-- DIR]
 *
 * A folder is matched to its account file by name: `<account file>` (its first region) or
 * `<account file>-<region>`. The functions get a stand-in for their code: this deploys, it runs
 * nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimCloud, TemplateError } from '@backup-hub/aws-sim';
import { loadAccounts, type Account, type AccountsConfig } from '../shared/config/accounts.js';

const TEMPLATE = 'cloudformation-template-update-stack.json';
const ROLE_ORDER = { vault: 0, source: 1, recovery: 2 } as const;

interface PackagedStack {
  folder: string;
  account: Account;
  region: string;
}

function packagedStacks(root: string, config: AccountsConfig): PackagedStack[] {
  const folders = existsSync(root) ? readdirSync(root).filter((folder) => existsSync(join(root, folder, TEMPLATE))) : [];
  if (folders.length === 0) throw new Error(`${root} holds no ${TEMPLATE}: package first (npm run package:vault && npm run package:source && npm run package:recovery)`);
  const stacks = folders.map((folder): PackagedStack => {
    for (const account of config.all) {
      if (folder === account.name) return { folder, account, region: account.regions[0]! };
      const region = account.regions.find((r) => folder === `${account.name}-${r}`);
      if (region) return { folder, account, region };
    }
    throw new Error(`${join(root, folder)} matches no account file (expected <account file> or <account file>-<region>)`);
  });
  // The vault first; an account's primary region (its IAM roles) before its others.
  return stacks.sort((a, b) => ROLE_ORDER[a.account.role] - ROLE_ORDER[b.account.role] || a.account.regions.indexOf(a.region) - b.account.regions.indexOf(b.region));
}

async function main(root: string): Promise<number> {
  const config = loadAccounts();
  const cloud = new SimCloud();
  // Organization membership is the accounts' own: the vault's file names the organization they all belong to.
  for (const account of config.all) cloud.addAccount({ id: account.id, orgId: config.vault.organizationId });
  let failed = 0;
  try {
    const stacks = packagedStacks(root, config);
    for (const { folder, account, region } of stacks) {
      const template = readFileSync(join(root, folder, TEMPLATE), 'utf8');
      try {
        const stack = await cloud.cloudformation.deploy({ account: account.id, region, stackName: `backup-hub-${folder}`, template, lambdaCode: () => async () => undefined });
        const types = Object.values(stack.resources).reduce<Record<string, number>>((n, r) => ({ ...n, [r.type]: (n[r.type] ?? 0) + 1 }), {});
        console.log(`ok    ${folder} → ${account.id} ${region}: ${Object.keys(stack.resources).length} resources (${Object.entries(types).map(([t, n]) => `${n} ${t}`).join(', ')})`);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        failed++;
        console.log(`FAIL  ${folder} → ${account.id} ${region}: ${error.message}`);
      }
    }
    for (const { folder, account, region } of stacks.filter((s) => s.account.role === 'source')) {
      const arrived = await announceSnapshot(cloud, account.id, region);
      console.log(`${arrived ? 'ok   ' : 'FAIL '} ${folder}: an EBS snapshot event ${arrived ? 'reached the vault function' : `did not reach the vault function (${undelivered(cloud)})`}`);
      if (!arrived) failed++;
    }
  } finally {
    await cloud.close();
  }
  return failed === 0 ? 0 : 1;
}

/** Emits a source's `EBS Snapshot Notification` and lets a minute pass; whether a vault function got it in a batch. */
async function announceSnapshot(cloud: SimCloud, account: string, region: string): Promise<boolean> {
  const snapshotArn = `arn:aws:ec2::${region}:snapshot/snap-0123456789abcdef0`;
  const event = cloud.emitServiceEvent({
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account,
    region,
    resources: [snapshotArn],
    detail: { event: 'createSnapshot', result: 'succeeded', cause: '', 'request-id': '', snapshot_id: snapshotArn, source: `arn:aws:ec2::${region}:volume/vol-01234567` },
  });
  const invocations = await cloud.advance(60_000, { tickMs: 60_000 });
  return invocations.some((i) => i.records.length > 0) && cloud.events.deliveries.filter((d) => d.eventId === event.id).every((d) => d.ok);
}

/** The refused deliveries, as the simulated EventBridge recorded them. */
const undelivered = (cloud: SimCloud) =>
  cloud.events.deliveries
    .filter((d) => !d.ok)
    .map((d) => `${d.target}: ${d.reason}`)
    .join('; ');

process.exitCode = await main(process.argv[2] ?? '.build');
