import { rmSync } from 'node:fs';
import { QUOTAS, type QuotaName, type QuotaUse, SimCloud, type Template } from '@backup-hub/aws-sim';
import { renderTemplate } from '../accounts/stack/render.js';
import { buildService, everyStack } from '../accounts/stack/service.js';
import { type AccountsConfig, loadAccounts } from '../shared/config/accounts.js';
import { type Scale, writeScaleAccounts } from './scale-accounts.js';
import { round } from './stats.js';

/** The stage measured: the one the README deploys (it shows in function names only). */
const STAGE = 'prod';
/** Every quota is measured and none stops a deploy: the excesses are counted instead. */
const EVERY_QUOTA = Object.keys(QUOTAS) as QuotaName[];

/** The largest use of one quota in a deployment. */
export interface QuotaShare {
  value: number;
  limit: number;
  share: number;
  /** The resource (a role, policy, function, bus, queue, key, table) or template. */
  subject: string;
}

export interface ScaleFigures {
  /** `example` (accounts/), or `<sources> × <regions>` for generated account files. */
  name: string;
  sources: number;
  /** Regions of the source with the most. */
  regions: number;
  stacks: number;
  renderSeconds: number;
  /** Every stack deployed into one simulated cloud, every quota measured. */
  deploySeconds: number;
  /** The largest template as serverless writes it (2-space JSON), against CloudFormation's limit from S3. */
  largestTemplate: QuotaShare & { resources: number };
  /** The largest use of each quota. */
  quotas: Partial<Record<QuotaName, QuotaShare>>;
  /** Per role name, the most characters of inline policy any account's role of that name has, as IAM counts them. */
  rolePolicySize: Record<string, number>;
  /** How many uses are over their limit, by quota: AWS would refuse those stacks. */
  exceeded: Partial<Record<QuotaName, number>>;
}

export interface QuotaHeadroom {
  /** The largest share of any IAM quota used by any role or policy, at the example scale and the largest one measured. */
  iamPolicyQuotaUse: { target: number; value: number; holds: boolean; example: QuotaShare; atScale: QuotaShare & { scale: string } };
  /** The largest template against its limit, at the same two scales. */
  templateSize: { limit: number; example: QuotaShare; atScale: QuotaShare & { scale: string } };
  scales: ScaleFigures[];
}

/** The generated scales: sources in six regions each, up to the organisation issue 24 sets (300 × 6). */
export const SCALES: readonly Scale[] = [3, 10, 30, 100, 300].map((sources) => ({ sources, regions: 6 }));

/**
 * Deploys the example accounts and each scale's generated account files into a fresh simulated
 * cloud each, every quota measured, and reports the headroom.
 */
export async function quotaHeadroom(target: number, scales: readonly Scale[] = SCALES): Promise<QuotaHeadroom> {
  const figures = [await measure('example', loadAccounts())];
  for (const scale of scales) {
    const dir = writeScaleAccounts(scale);
    const accounts = loadAccounts(dir);
    rmSync(dir, { recursive: true, force: true });
    figures.push(await measure(`${scale.sources} × ${scale.regions}`, accounts));
  }
  const example = figures[0]!;
  const atScale = figures.at(-1)!;
  const iamShare = (f: ScaleFigures) => largest(EVERY_QUOTA.filter((q) => q.startsWith('iam.')).flatMap((q) => f.quotas[q] ?? []));
  const iam = { example: iamShare(example), atScale: { ...iamShare(atScale), scale: atScale.name } };
  const value = Math.max(iam.example.share, iam.atScale.share);
  const { resources: _e, ...exampleTemplate } = example.largestTemplate;
  const { resources: _s, ...scaleTemplate } = atScale.largestTemplate;
  return {
    iamPolicyQuotaUse: { target, value, holds: value <= target, ...iam },
    templateSize: { limit: example.largestTemplate.limit, example: exampleTemplate, atScale: { ...scaleTemplate, scale: atScale.name } },
    scales: figures,
  };
}

async function measure(name: string, accounts: AccountsConfig): Promise<ScaleFigures> {
  const rendering = performance.now();
  const stacks = everyStack(accounts).map((stack) => ({
    ...stack,
    id: accounts.account(stack.account).id,
    template: renderTemplate(buildService(accounts, stack.account, { stage: STAGE, region: stack.region })) as unknown as Template,
  }));
  const renderSeconds = (performance.now() - rendering) / 1000;

  const cloud = new SimCloud({ tolerateQuotas: EVERY_QUOTA });
  try {
    for (const account of accounts.all) cloud.addAccount({ id: account.id, quotas: account.quotas });
    const deploying = performance.now();
    for (const { id, region, template } of stacks)
      await cloud.cloudformation.deploy({
        account: id,
        region,
        stackName: `backup-hub-${STAGE}`,
        template,
        lambdaCode: () => async () => undefined,
      });
    const deploySeconds = (performance.now() - deploying) / 1000;
    const uses = cloud.quotas.uses();
    const sizes = stacks.map((s) => ({
      folder: s.folder,
      bytes: JSON.stringify(s.template, null, 2).length,
      resources: Object.keys(s.template.Resources).length,
    }));
    const biggest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const templateLimit = QUOTAS['cloudformation.templateS3Size'].default;
    return {
      name,
      sources: accounts.sources.length,
      regions: Math.max(...accounts.sources.map((s) => s.regions.length)),
      stacks: stacks.length,
      renderSeconds: round(renderSeconds, 1),
      deploySeconds: round(deploySeconds, 1),
      largestTemplate: { ...shareOf(biggest.bytes, templateLimit, biggest.folder), resources: biggest.resources },
      quotas: Object.fromEntries(
        EVERY_QUOTA.flatMap((quota) => {
          const mine = uses.filter((u) => u.quota === quota);
          return mine.length ? [[quota, largest(mine.map(toShare))]] : [];
        }),
      ),
      rolePolicySize: rolePolicySizes(uses),
      exceeded: countBy(cloud.quotas.exceeded().map((u) => u.quota)),
    };
  } finally {
    await cloud.close();
  }
}

/** The most characters of inline policy per role name (`backup-hub-reconciler`), whichever account's. */
function rolePolicySizes(uses: QuotaUse[]): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const use of uses.filter((u) => u.quota === 'iam.rolePolicySize')) {
    const role = use.subject.slice(use.subject.lastIndexOf('/') + 1);
    sizes[role] = Math.max(sizes[role] ?? 0, use.value);
  }
  return Object.fromEntries(Object.entries(sizes).sort(([, a], [, b]) => b - a));
}

const shareOf = (value: number, limit: number, subject: string): QuotaShare => ({ value, limit, share: round(value / limit, 3), subject });
const toShare = (use: QuotaUse): QuotaShare => shareOf(use.value, use.limit, use.subject);
const largest = (shares: QuotaShare[]): QuotaShare => shares.reduce((a, b) => (b.share > a.share ? b : a));

function countBy<T extends string>(items: T[]): Partial<Record<T, number>> {
  const counts: Partial<Record<T, number>> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}
