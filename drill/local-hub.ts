import { Logger } from '@aws-lambda-powertools/logger';
import {
  type AuthorizationMode,
  type DeployedStack,
  type Ec2Sim,
  type Ec2SimOptions,
  type EventBridgeSim,
  type EventEnvelope,
  type FunctionHandler,
  type KmsSim,
  type LambdaCodeRequest,
  type LambdaSim,
  type QuotaName,
  type QuotaUse,
  type RdsSim,
  type RdsSimOptions,
  SimCloud,
  type SqsSim,
  type SsmSim,
  type Template,
} from '@backup-hub/aws-sim';
import { NAMES } from '../accounts/stack/names.js';
import { pascal } from '../accounts/stack/policies.js';
import { renderTemplate } from '../accounts/stack/render.js';
import { buildService, everyStack } from '../accounts/stack/service.js';
import type { RecoveryPoint } from '../shared/catalog/recovery-point.js';
import type { Account, AccountsConfig } from '../shared/config/accounts.js';
import { type HubConfig, hubConfigFromEnv } from '../shared/config/hub-config.js';
import { ARTIFACT_KINDS, type ArtifactKindName } from '../shared/kinds/index.js';
import type { RecoveryNames } from '../shared/restore/restore-target.js';
import { type FunctionRuntime, functionRuntime } from '../shared/runtime/function-runtime.js';
import type { HubContext } from '../shared/runtime/hub-context.js';
import { countedClock } from '../shared/sweep/pacer.js';
import { accountsFor, type HubAccountsSpec, LOCAL_CUSTOMER_KEY_ALIAS } from './hub-accounts.js';

/** The stage the local hub deploys; `npm run package:all` packages the same one. */
export const LOCAL_STAGE = 'dev';

/**
 * Quotas the hub's own stacks are known to exceed, recorded (in {@link LocalHub.quotaExceeded} and
 * the drill report) instead of refusing the deploy, so that drills run while a fix is under way
 * (AWS would refuse those stacks). None: since the policies no longer grow with the estate, every
 * quota is enforced. test/template/deploy.test.ts fails when one listed here is no longer exceeded.
 */
export const KNOWN_OVER_QUOTA: readonly QuotaName[] = [];

/** One stack of the account files: an account in one of its regions, and the folder it is packaged into. */
export interface StackRef {
  account: Account;
  region: string;
  folder: string;
}

export interface LocalHubSpec extends HubAccountsSpec {
  /** The account files to deploy; by default those the brief spec stands for ({@link accountsFor}). */
  accounts?: AccountsConfig;
  /** Each stack's CloudFormation (a packaged template, say); by default rendered in-process from the stack model. */
  template?: (stack: StackRef) => Template | string;
  ec2?: Ec2SimOptions;
  rds?: RdsSimOptions;
  /** Keep the vault's DynamoDB tables (catalog, audit log) in this folder instead of memory. */
  dataPath?: string;
  /** How the simulated cloud decides IAM (every distinct request through the library by default; soaks use the fast path). */
  authorization?: AuthorizationMode;
  /** The quotas recorded instead of refused when exceeded ({@link KNOWN_OVER_QUOTA} by default); every other quota is enforced. */
  tolerateQuotas?: readonly QuotaName[];
  logger?: Logger;
}

export interface KindQueue {
  url: string;
  arn: string;
  dlqArn: string;
}

/** The hub deployed on the simulated cloud, with handles on every part for drills and tests. */
export interface LocalHub {
  cloud: SimCloud;
  kms: KmsSim;
  ec2: Ec2Sim;
  events: EventBridgeSim;
  sqs: SqsSim;
  ssm: SsmSim;
  rds: RdsSim;
  lambda: LambdaSim;
  /** The account files deployed. */
  accounts: AccountsConfig;
  /** What every vault function's environment says (the reconciler's). */
  config: HubConfig;
  /** Each vault function's runtime, by its handler file (`ebs-snapshot`, `reconciler`, `pruner`, …). */
  runtimes: Record<string, FunctionRuntime>;
  /** The context of the EBS handler (its role's credentials), for inspecting the catalog and audit log. */
  context: HubContext;
  /** The pruner's context (its role's credentials). */
  prunerContext: HubContext;
  /** The context of an operator who assumed the vault's restore role. */
  restoreContext: HubContext;
  /** The context of an operator who assumed the vault's legal-hold role. */
  legalHoldContext: HubContext;
  /** The context of an operator who assumed the vault's retry role. */
  retryContext: HubContext;
  /** Every stack deployed, with what CloudFormation created (the least-privilege check maps statements to resources by it). */
  stacks: (StackRef & { deployed: DeployedStack })[];
  /** The recovery accounts deployed. */
  recovery: string[];
  /** A source account is lost: every snapshot, image, parameter, key and role it held is gone. */
  loseAccount(account: string): void;
  /** The accounts lost so far, with when (simulated ms). */
  readonly lostAccounts: ReadonlyMap<string, number>;
  /** A recovery point's vault copy is deleted behind the hub's back (a hand deletion, a compromised administrator). */
  loseVaultCopy(point: RecoveryPoint): void;
  /** Delivers a raw event to the vault bus as the account's forwarding rule does (through its forwarder role), bus policy checked. */
  forward(event: EventEnvelope, viaAccount: string): { delivered: boolean; reason?: string };
  /** A source's rules that forward to the vault bus are deleted in each of its regions (as an operator would: targets, then rule); returns their names. */
  stopSource(account: string): string[];
  queues: Record<ArtifactKindName, KindQueue>;
  vaultBusArn: string;
  /** Simulated time at deployment (ms). */
  startedAt: number;
  /** The tolerated quotas the deployed stacks exceed: on AWS, these stacks would be refused. */
  quotaExceeded: QuotaUse[];
  close(): Promise<void>;
}

/** The names a restore finds a recovery account's role and restore key by. */
export const RECOVERY_NAMES: RecoveryNames = { recoveryRole: NAMES.recoveryRole, restoreKeyAliasPrefix: NAMES.restoreKeyAliasPrefix };

/**
 * Deploys backup-hub on a fresh simulated cloud exactly as `serverless deploy` does on AWS: every
 * stack of the account files (the vault, each source in each region, each recovery account), from
 * the CloudFormation the stack model renders, or from packaged templates. The simulated
 * CloudFormation creates every role, key, bus, rule, queue, table and function the template
 * declares; each function runs its handler file with the template's environment and role.
 */
export async function deployLocalHub(spec: LocalHubSpec): Promise<LocalHub> {
  const accounts = spec.accounts ?? accountsFor(spec);
  const { vault } = accounts;
  const region = vault.regions[0]!;
  // Keys protecting source data carry the alias the account files list, as they must on AWS.
  const cloud = new SimCloud({
    authorization: spec.authorization,
    ec2: { customerKeyAlias: LOCAL_CUSTOMER_KEY_ALIAS, ...spec.ec2 },
    rds: { customerKeyAlias: LOCAL_CUSTOMER_KEY_ALIAS, ...spec.rds },
    dynamodb: { path: (account, at) => (account === vault.id && at === region ? spec.dataPath : undefined) },
    tolerateQuotas: spec.tolerateQuotas ?? KNOWN_OVER_QUOTA,
  });
  const startedAt = cloud.clock.nowMs();
  const orgOf = (id: string) => spec.sources.find((s) => s.account === id)?.orgId ?? vault.organizationId;
  for (const account of accounts.all) cloud.addAccount({ id: account.id, orgId: orgOf(account.id), quotas: account.quotas });

  const logger = spec.logger ?? new Logger({ serviceName: 'backup-hub', logLevel: 'SILENT' });
  const runtimes: Record<string, FunctionRuntime> = {};
  /** A function's code, as Lambda loads the handler its template names, on a runtime with its environment and role. */
  const lambdaCode = (fn: LambdaCodeRequest): FunctionHandler => {
    const file = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
    const runtime = functionRuntime({
      env: { AWS_REGION: fn.region, AWS_LAMBDA_FUNCTION_NAME: fn.name, ...fn.environment },
      clients: { defaults: { ...cloud.clientConfig(cloud.roleCredentials(fn.role, fn.name), fn.region) } },
      now: () => cloud.clock.now(),
      runClock: () => countedClock(cloud.clock.nowMs()),
      logger,
      stdout: fn.log,
    });
    runtimes[file.replace(/^handlers\//, '')] = runtime;
    // Loaded by name (tsx and vitest load the TypeScript): nothing but the template says which file runs.
    const handler = import(new URL(`../${file}.ts`, import.meta.url).href).then(
      (m: { createHandler(runtime: FunctionRuntime): FunctionHandler }) => m.createHandler(runtime),
    );
    return (async (event: never, context) => (await handler)(event, context)) as FunctionHandler;
  };

  const render =
    spec.template ??
    ((stack: StackRef) => renderTemplate(buildService(accounts, stack.account.name, { stage: LOCAL_STAGE, region: stack.region })));
  let vaultStack: DeployedStack | undefined;
  const stacks: LocalHub['stacks'] = [];
  const lostAccounts = new Map<string, number>();
  for (const { account: name, region: at, folder } of everyStack(accounts)) {
    const account = accounts.account(name);
    const stack = await cloud.cloudformation.deploy({
      account: account.id,
      region: at,
      stackName: `${NAMES.service}-${LOCAL_STAGE}`,
      template: render({ account, region: at, folder }),
      lambdaCode,
    });
    if (account.role === 'vault') vaultStack = stack;
    stacks.push({ account, region: at, folder, deployed: stack });
  }
  const resource = (logicalId: string) => {
    const found = vaultStack?.resources[logicalId];
    if (!found) throw new Error(`The vault stack has no ${logicalId}`);
    return found;
  };
  const queues = Object.fromEntries(
    ARTIFACT_KINDS.map((kind) => [
      kind,
      {
        url: resource(`${pascal(kind)}Queue`).physicalId,
        arn: resource(`${pascal(kind)}Queue`).attributes.Arn!,
        dlqArn: resource(`${pascal(kind)}DeadLetterQueue`).attributes.Arn!,
      },
    ]),
  ) as Record<ArtifactKindName, KindQueue>;
  const runtime = (file: string) => {
    const found = runtimes[file];
    if (!found) throw new Error(`The vault stack deployed no function with handlers/${file}`);
    return found;
  };
  const vaultBusArn = resource('EventBus').attributes.Arn!;
  // An operator's credentials after assuming a vault role, with the vault's configuration (and no
  // function name: that is a function's source identity, not an operator's).
  const { AWS_LAMBDA_FUNCTION_NAME: _function, ...operatorEnv } = runtime('pruner').env;
  const operatorContext = (roleLogicalId: string) =>
    functionRuntime({
      env: operatorEnv,
      clients: { defaults: { ...cloud.clientConfig(cloud.roleCredentials(resource(roleLogicalId).attributes.Arn!), region) } },
      now: () => cloud.clock.now(),
      logger,
    }).hubContext();

  return {
    cloud,
    kms: cloud.kms,
    ec2: cloud.ec2,
    events: cloud.events,
    sqs: cloud.sqs,
    ssm: cloud.ssm,
    rds: cloud.rds,
    lambda: cloud.lambda,
    accounts,
    config: hubConfigFromEnv(runtime('reconciler').env),
    runtimes,
    context: runtime('ebs-snapshot').hubContext(),
    prunerContext: runtime('pruner').hubContext(),
    restoreContext: operatorContext('RestoreRole'),
    legalHoldContext: operatorContext('LegalHoldRole'),
    retryContext: operatorContext('RetryRole'),
    stacks,
    recovery: accounts.recovery.map((r) => r.id),
    loseAccount(account) {
      for (const service of [cloud.ec2, cloud.rds, cloud.ssm, cloud.kms, cloud.iam]) service.removeAccount(account);
      lostAccounts.set(account, cloud.clock.nowMs());
    },
    lostAccounts,
    loseVaultCopy(point) {
      const id = point.vaultCopyId ?? '';
      const drop = <T>(found: T | undefined, remove: (copy: T) => void) => {
        if (found === undefined) throw new Error(`${point.kind} ${point.sourceId} has no vault copy ${id} to lose`);
        remove(found);
      };
      const { ec2, rds, ssm } = cloud;
      const lose = {
        'ebs-snapshot': () => drop(ec2.snapshot(vault.id, region, id), (s) => ec2.snapshotStore.delete(s)),
        ami: () => drop(ec2.images.store.get(region, id), (image) => ec2.images.deregister(image)),
        'rds-snapshot': () => drop(rds.instanceSnapshots.get(vault.id, region, id), (s) => rds.instanceSnapshots.delete(s)),
        'rds-cluster-snapshot': () => drop(rds.clusterSnapshots.get(vault.id, region, id), (s) => rds.clusterSnapshots.delete(s)),
        'ssm-parameter': () => ssm.deleteParameter(vault.id, region, id.split(':')[0]!),
      } satisfies Record<ArtifactKindName, () => void>;
      lose[point.kind]();
    },
    stopSource(account) {
      return (accounts.sources.find((s) => s.id === account)?.regions ?? []).flatMap((at) => {
        const bus = cloud.events.bus(account, at, 'default');
        return bus
          .rules()
          .filter((rule) => rule.targets.some((t) => t.arn === vaultBusArn))
          .map((rule) => {
            bus.removeTargets(
              rule.name,
              rule.targets.map((t) => t.id),
            );
            bus.deleteRule(rule.name);
            return `${at}/${rule.name}`;
          });
      });
    },
    queues,
    forward: (event, viaAccount) => cloud.events.forward(vaultBusArn, event, viaAccount),
    vaultBusArn,
    startedAt,
    quotaExceeded: cloud.quotas.exceeded(),
    close: () => cloud.close(),
  };
}
