import type { Account, AccountsConfig } from '../../shared/config/accounts.js';
import { buildForAccount, stackRegions } from './account-stack.js';
import { type Resource, type Rule, ref, type Statement, type Template, type Value } from './cloudformation.js';
import { checkConditionKeys, POLICIES } from './condition-keys.js';
import { stackTags } from './stack-tags.js';

/**
 * One account's stack in one region, as the serverless service deploys it: its functions (which
 * serverless compiles into log groups, functions, event source mappings and schedules) and the
 * CloudFormation it adds. serverless.ts hands it to serverless.yml; render.ts compiles it to the
 * template `serverless package` writes.
 */
export interface ServiceModel {
  account: Account;
  stage: string;
  region: string;
  /** Tags on the CloudFormation stack itself. */
  stackTags: Record<string, string>;
  /** The template's Rules: the stack lands in its account and region, or nowhere. */
  rules: Record<string, Rule>;
  /** By function key (`ebs-snapshot`, `reconciler`); the key names its logical ids. */
  functions: Record<string, FunctionModel>;
  resources: Pick<Template, 'Conditions' | 'Resources' | 'Outputs'>;
  /** The statements kept for a real-AWS path the simulated cloud cannot exercise, and why (their `Reason`, taken out of the template). */
  reasons: StatementReason[];
}

/** A statement's reason to be kept, and where the statement is. */
export interface StatementReason {
  logicalId: string;
  /** `trust policy`, `policy <name>`, `key policy`, `bus policy`, `queue policy`. */
  document: string;
  /** The statement's Sid, or its 1-based position. */
  sid: string;
  reason: string;
}

export interface FunctionModel {
  /** `backup-hub-<stage>-<key>`. */
  name: string;
  /** `handlers/<file>.handler`: the file exports `handler` (and `createHandler`). */
  handler: string;
  description: string;
  /** The logical id of its role in this stack. */
  role: string;
  timeout: number;
  reservedConcurrency?: number;
  environment: Record<string, Value>;
  events: FunctionEvent[];
}

export type FunctionEvent =
  /** Reads a queue of this stack (its logical id) with partial batch failures. */
  { sqs: { queue: string; batchSize: number; maximumConcurrency: number } } | { schedule: { rate: string; description: string } };

export interface StackOptions {
  stage: string;
  /** One of the account's regions; its first (primary) region when left out. */
  region?: string;
}

/**
 * The stack of the account named `name` (an account file) in a region.
 * @throws Error naming the accounts, or the account's regions, when either is unknown
 * @throws UnsupportedConditionKeyError when a policy statement is conditioned on a key its actions never carry
 */
export function buildService(config: AccountsConfig, name: string, options: StackOptions): ServiceModel {
  const account = config.account(name);
  const region = options.region ?? account.regions[0]!;
  const regions = stackRegions(config, account);
  if (!regions.includes(region))
    throw new Error(`${account.file} lists regions ${regions.join(', ')}; --region ${region} is not one of them`);
  const built = buildForAccount(config, account, { stage: options.stage, region });
  checkConditionKeys(built.resources.Resources);
  const { resources, reasons } = takeReasons(built.resources.Resources);
  return {
    account,
    stage: options.stage,
    region,
    stackTags: stackTags(config, account),
    rules: { RightAccountAndRegion: rightAccountAndRegion(account, region, regions) },
    functions: built.functions,
    resources: { ...built.resources, Resources: resources },
    reasons,
  };
}

/** The resources without their statements' `Reason` (IAM accepts no such element), and the reasons taken out. */
function takeReasons(resources: Record<string, Resource>): { resources: Record<string, Resource>; reasons: StatementReason[] } {
  const copy = JSON.parse(JSON.stringify(resources)) as Record<string, Resource>;
  const reasons: StatementReason[] = [];
  for (const [logicalId, resource] of Object.entries(copy)) {
    for (const [document, policy] of POLICIES[resource.Type]?.(resource.Properties ?? {}) ?? []) {
      ([] as Statement[]).concat(policy.Statement).forEach((statement, index) => {
        if (statement.Reason === undefined) return;
        reasons.push({ logicalId, document, sid: statement.Sid ?? String(index + 1), reason: statement.Reason });
        delete statement.Reason;
      });
    }
  }
  return { resources: copy, reasons };
}

/**
 * A stack's ARNs, names and policies are those of its account file and region: deployed with
 * another account's credentials, or in another region, it would create resources that point
 * elsewhere. CloudFormation checks these assertions before it creates anything.
 */
function rightAccountAndRegion(account: Account, region: string, regions: string[]): Rule {
  const others = regions.filter((r) => r !== region);
  return {
    Assertions: [
      {
        Assert: { 'Fn::Equals': [ref('AWS::AccountId'), account.id] },
        AssertDescription: `This is the ${account.role} stack of account file ${account.file}, for account ${account.id}; these credentials are another account's. Deploy it with ${account.id}'s credentials, or package the account file of this account (--param="account=<name>").`,
      },
      {
        Assert: { 'Fn::Equals': [ref('AWS::Region'), region] },
        AssertDescription: `This is the stack of account file ${account.file} for ${region}; it is being deployed in another region. Deploy it in ${region}${others.length ? `, or package ${account.file} for that region with --region if it is one of ${others.join(', ')}` : ''}.`,
      },
    ],
  };
}

/**
 * Every stack of the account files: each account in each of its regions, with the folder it is
 * packaged into (`<account file>`, and `<account file>-<region>` beyond its first region). The vault's
 * DR stack comes after its primary one, whose roles its key policy names.
 */
export function everyStack(config: AccountsConfig): { account: string; region: string; folder: string }[] {
  return config.all.flatMap((account) =>
    stackRegions(config, account).map((region, i) => ({
      account: account.name,
      region,
      folder: i === 0 ? account.name : `${account.name}-${region}`,
    })),
  );
}
