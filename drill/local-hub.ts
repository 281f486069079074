import { Logger } from '@aws-lambda-powertools/logger';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type AuthorizationMode,
  type DeployedStack,
  type Ec2Sim,
  type Ec2SimOptions,
  type EventBridgeSim,
  type EventBridgeSimOptions,
  type EventEnvelope,
  type FunctionHandler,
  type KmsSim,
  type LambdaCodeRequest,
  type LambdaSim,
  type PolicyDocument,
  type PolicyStatement,
  type QuotaName,
  type QuotaUse,
  type RdsSim,
  type RdsSimOptions,
  type S3Sim,
  SimCloud,
  type SimCredentials,
  type SqsSim,
  type SsmSim,
  type Template,
} from '@backup-hub/aws-sim';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NAMES } from '../accounts/stack/names.js';
import { pascal } from '../accounts/stack/policies.js';
import { renderTemplate } from '../accounts/stack/render.js';
import { buildService, everyStack } from '../accounts/stack/service.js';
import { stackTags } from '../accounts/stack/stack-tags.js';
import type { RecoveryPoint } from '../shared/catalog/recovery-point.js';
import type { Account, AccountsConfig } from '../shared/config/accounts.js';
import { type HubConfig, hubConfigFromEnv } from '../shared/config/hub-config.js';
import { ARTIFACT_KINDS, type ArtifactKindName } from '../shared/kinds/index.js';
import { storedVersionOf } from '../shared/kinds/ssm-parameter/ssm-store.js';
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
  /** How long the DynamoDB indexes lag behind their tables (0 by default). */
  indexLagMs?: number;
  /** Event delivery (by default a second or two, as on AWS). */
  events?: EventBridgeSimOptions;
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
  s3: S3Sim;
  lambda: LambdaSim;
  /** The account files deployed. */
  accounts: AccountsConfig;
  /** What every vault function's environment says (the reconciler's). */
  config: HubConfig;
  /** Each vault function's runtime, by its handler file (`ebs-snapshot`, `reconciler`, `pruner`, …). */
  runtimes: Record<string, FunctionRuntime>;
  /** The context of the EBS handler (its role's credentials). */
  context: HubContext;
  /** The vault account's administrator, for inspecting the catalog and audit log as a person would (no role of the hub). */
  inspector: HubContext;
  /** The pruner's context (its role's credentials). */
  prunerContext: HubContext;
  /** The context of an operator who signed in as a principal the vault file names and assumed the vault's restore role. */
  restoreContext: HubContext;
  /**
   * The context of a restore operator who assumed the vault's DR restore role, with every call in
   * the DR region `region` (STS included): a restore from there while the vault's region is down.
   */
  restoreContextIn(region: string): HubContext;
  /** The context of an operator who signed in as a principal the vault file names and assumed the vault's legal-hold role. */
  legalHoldContext: HubContext;
  /** The context of an operator who signed in as a principal the vault file names and assumed the vault's retry role. */
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
  /** Deletes the point's vault copy behind the hub's back: in the vault's region, or its copy in `at` (the DR region). */
  loseVaultCopy(point: RecoveryPoint, at?: string): void;
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
    events: spec.events,
    dynamodb: {
      path: (account, at) => (account === vault.id && at === region ? spec.dataPath : undefined),
      indexLagMs: spec.indexLagMs,
    },
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
      tags: stackTags(accounts, account),
      lambdaCode,
    });
    if (account.role === 'vault' && at === region) vaultStack = stack;
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
  // The vault's configuration without a function name (that is a function's source identity, not a person's).
  const { AWS_LAMBDA_FUNCTION_NAME: _function, ...personEnv } = runtime('pruner').env;
  const personContext = (credentials: SimCredentials | AwsCredentialIdentityProvider, at = region) =>
    functionRuntime({
      // In the DR region, the catalog's and audit log's replica there: the vault's region may be down.
      env: at === region ? personEnv : { ...personEnv, TABLES_REGION: at },
      clients: { defaults: { ...cloud.clientConfig(cloud.adminCredentials(vault.id), at), credentials } },
      now: () => cloud.clock.now(),
      logger,
    }).hubContext();
  const [restorer, legalHolder, retrier, drRestorer] = signInOperators(cloud, accounts, [
    { patterns: vault.operators.restore, roleArn: resource('RestoreRole').attributes.Arn! },
    { patterns: vault.operators.legalHold, roleArn: resource('LegalHoldRole').attributes.Arn! },
    { patterns: vault.operators.retry, roleArn: resource('RetryRole').attributes.Arn! },
    ...(vault.drRegion ? [{ patterns: vault.operators.restore, roleArn: resource('DrRestoreRole').attributes.Arn! }] : []),
  ]);

  return {
    cloud,
    kms: cloud.kms,
    ec2: cloud.ec2,
    events: cloud.events,
    sqs: cloud.sqs,
    ssm: cloud.ssm,
    rds: cloud.rds,
    s3: cloud.s3,
    lambda: cloud.lambda,
    accounts,
    config: hubConfigFromEnv(runtime('reconciler').env),
    runtimes,
    context: runtime('ebs-snapshot').hubContext(),
    inspector: personContext(cloud.adminCredentials(vault.id)),
    prunerContext: runtime('pruner').hubContext(),
    restoreContext: personContext(operatorSession(cloud, restorer!, region)),
    restoreContextIn(at) {
      if (!drRestorer || at !== vault.drRegion)
        throw new Error(`the vault has no DR region ${at} (its DR region: ${vault.drRegion ?? 'none'})`);
      return personContext(operatorSession(cloud, drRestorer, at), at);
    },
    legalHoldContext: personContext(operatorSession(cloud, legalHolder!, region)),
    retryContext: personContext(operatorSession(cloud, retrier!, region)),
    stacks,
    recovery: accounts.recovery.map((r) => r.id),
    loseAccount(account) {
      for (const service of [cloud.ec2, cloud.rds, cloud.ssm, cloud.s3, cloud.kms, cloud.iam]) service.removeAccount(account);
      lostAccounts.set(account, cloud.clock.nowMs());
    },
    lostAccounts,
    loseVaultCopy(point, at = region) {
      const id = (at === region ? point.vaultCopyId : point.copies?.find((c) => c.region === at)?.vaultCopyId) ?? '';
      const drop = <T>(found: T | undefined, remove: (copy: T) => void) => {
        if (found === undefined) throw new Error(`${point.kind} ${point.sourceId} has no vault copy ${id} to lose`);
        remove(found);
      };
      const { ec2, rds, s3 } = cloud;
      const lose = {
        'ebs-snapshot': () => drop(ec2.snapshot(vault.id, at, id), (s) => ec2.snapshotStore.delete(s)),
        // A loss behind the hub's back ignores what protects the copy from its callers, as the EBS store's delete does.
        ami: () =>
          drop(ec2.images.store.get(at, id), (image) => {
            image.deregistrationProtection = undefined;
            image.protectedUntil = undefined;
            ec2.images.deregister(image);
          }),
        'rds-snapshot': () => drop(rds.instanceSnapshots.get(vault.id, at, id), (s) => rds.instanceSnapshots.delete(s)),
        'rds-cluster-snapshot': () => drop(rds.clusterSnapshots.get(vault.id, at, id), (s) => rds.clusterSnapshots.delete(s)),
        'ssm-parameter': () => {
          const { bucket, key, versionId } = storedVersionOf(id);
          const store = s3.bucket(bucket);
          const found = store?.listVersions(key).find((v) => v.key === key && v.versionId === versionId);
          drop(found, () => store!.remove(key, versionId));
        },
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

const document = (statement: PolicyStatement): PolicyDocument => ({ Version: '2012-10-17', Statement: [statement] });

/** Renewed this long before it runs out, as the SDK's own providers do. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * The principals operators sign in as: per operator role, a role the vault file's first role
 * pattern names (`*` and `?` filled in), made outside the stacks as IAM Identity Center makes a
 * permission set's role, and allowed to assume the vault roles it is named for.
 * @returns per operator role, in the order given, the principal and the role it assumes
 */
function signInOperators(
  cloud: SimCloud,
  accounts: AccountsConfig,
  operators: { patterns: string[]; roleArn: string }[],
): { operatorArn: string; roleArn: string }[] {
  const vault = accounts.vault;
  const assumes = new Map<string, string[]>();
  const principals = operators.map(({ patterns, roleArn }) => {
    const pattern = patterns.find((p) => p.includes(':role/'));
    if (!pattern)
      throw new Error(
        `${vault.file}: the drill signs operators in as IAM roles: give operators.restore, operators.legalHold and operators.retry a role ARN pattern`,
      );
    const arn = pattern.replaceAll('*', 'drill').replaceAll('?', 'x');
    assumes.set(arn, [...(assumes.get(arn) ?? []), roleArn]);
    return { operatorArn: arn, roleArn };
  });
  for (const [arn, roles] of assumes) {
    const pathAndName = arn.slice(arn.indexOf(':role/') + ':role'.length);
    const at = pathAndName.lastIndexOf('/');
    cloud.iam.putRole({
      account: vault.id,
      name: pathAndName.slice(at + 1),
      path: pathAndName.slice(0, at + 1),
      trustPolicy: document({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${vault.id}:root` }, Action: 'sts:AssumeRole' }),
      policies: { 'drill-operator': document({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roles }) },
    });
  }
  return principals;
}

/**
 * An operator's credentials for a vault role: a session the operator's principal assumes through
 * STS, as a profile with role_arn does, renewed when it runs out. The SDK judges expiry by the wall
 * clock, sessions run on the simulated one: the provider carries the SDK's `memoized` flag, so
 * that it is asked on every request, and renews by the simulated clock.
 */
function operatorSession(
  cloud: SimCloud,
  { operatorArn, roleArn }: { operatorArn: string; roleArn: string },
  region: string,
): AwsCredentialIdentityProvider {
  const sts = new STSClient(cloud.clientConfig(cloud.roleCredentials(operatorArn, 'drill-operator'), region));
  let session: AwsCredentialIdentity | undefined;
  return Object.assign(
    async () => {
      if (!session || session.expiration!.getTime() - RENEW_BEFORE_MS <= cloud.clock.nowMs()) {
        const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'drill-operator' }));
        session = {
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken,
          expiration: Credentials!.Expiration,
        };
      }
      return session;
    },
    { memoized: true },
  );
}
