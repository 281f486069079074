import { buildForAccount } from '../../accounts/stack/account-stack.js';
import type { Resource, Value } from '../../accounts/stack/cloudformation.js';
import { NAMES } from '../../accounts/stack/names.js';
import type { AwsClients, Credentials } from '../aws/clients.js';
import type { Account, AccountsConfig } from '../config/accounts.js';
import type { Finding, Place } from './finding.js';

/** The operator's way into one account: the clients (made in one place) and the credentials to use there. */
export interface AccountAccess {
  aws: AwsClients;
  /** Undefined: the standard credential chain of `aws`. */
  credentials?: Credentials;
}

/** The operator's credentials cannot act as a vault role, so what is tried as that role is not known. */
export class VaultRoleUnavailable extends Error {
  constructor(
    readonly roleArn: string,
    reason: string,
  ) {
    super(`cannot act as ${roleArn} (${reason})`);
    this.name = 'VaultRoleUnavailable';
  }
}

/** How doctor reaches the accounts; the CLI gives the standard chain (and profiles), the drill the simulated cloud. */
export interface DoctorAccess {
  account(account: Account): AccountAccess;
  /** Credentials acting as a role of the vault: each reader's trust is tried as the vault role that assumes it. */
  vaultRole(roleArn: string): Credentials;
}

export interface DoctorScope {
  accounts: AccountsConfig;
  /** The stage deployed (`serverless deploy --stage`). */
  stage: string;
  access: DoctorAccess;
}

/** One stack to check: an account in one of its regions, with what the stack model says it holds. */
export interface StackTarget {
  account: Account;
  region: string;
  at: Place;
  /** The stack's resources as the model builds them from the account files. */
  resources: Record<string, Resource>;
  /** The operator's access to the account. */
  access: AccountAccess;
}

/** A family of checks: what it finds in one stack (each one read-only). */
export type Check = (scope: DoctorScope, target: StackTarget) => Promise<Finding[]>;

/** The stacks to check: every account in every region (or one account's), in deployment order. */
export function targetsOf(scope: DoctorScope, only?: Account): StackTarget[] {
  const { accounts, stage } = scope;
  return (only ? [only] : accounts.all).flatMap((account) =>
    account.regions.map((region) => {
      const built = buildForAccount(accounts, account, { stage, region });
      const primary = region === account.regions[0];
      const resources = Object.fromEntries(
        Object.entries(built.resources.Resources).filter(([, r]) => r.Condition !== 'IsPrimaryRegion' || primary),
      );
      return { account, region, at: { account: account.name, region }, resources, access: scope.access.account(account) };
    }),
  );
}

/** The model's resources of one type, with their properties. */
export function resourcesOf(target: StackTarget, type: string): [string, Record<string, Value>][] {
  return Object.entries(target.resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The stack's name: serverless names it `<service>-<stage>`. */
export const stackName = (stage: string) => `${NAMES.service}-${stage}`;

/** The command that deploys (or redeploys) one stack, as the README gives it. */
export const deployCommand = (scope: DoctorScope, target: Pick<StackTarget, 'account' | 'region'>) =>
  `npx serverless deploy --stage ${scope.stage} --param="account=${target.account.name}" --region ${target.region}`;

/**
 * The string a value of the model stands for once deployed: a plain string, a pseudo-parameter, or
 * the ARN of a named queue, role, bus or table (also inside `Fn::Sub`); undefined when only the
 * deployment knows it (a key's id).
 */
export function arnOf(target: StackTarget, value: Value | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { account, region } = target;
  if ('Ref' in value)
    return ({ 'AWS::AccountId': account.id, 'AWS::Region': region, 'AWS::Partition': 'aws' } as Record<string, string>)[String(value.Ref)];
  if ('Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') {
    let unknown = false;
    const text = value['Fn::Sub'].replace(/\$\{([\w:]+)(?:\.(\w+))?\}/g, (_whole, name: string, attribute?: string) => {
      const resolved = arnOf(target, attribute ? { 'Fn::GetAtt': [name, attribute] } : { Ref: name });
      if (resolved === undefined) unknown = true;
      return resolved ?? '';
    });
    return unknown ? undefined : text;
  }
  if ('Fn::If' in value) {
    const [condition, yes, no] = value['Fn::If'] as [string, Value, Value];
    return condition === 'IsPrimaryRegion' ? arnOf(target, region === account.regions[0] ? yes : no) : undefined;
  }
  if (!('Fn::GetAtt' in value)) return undefined;
  const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
  const resource = target.resources[logicalId];
  if (attribute !== 'Arn' || !resource) return undefined;
  const name = (key: string) => resource.Properties?.[key];
  switch (resource.Type) {
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${region}:${account.id}:${name('QueueName')}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${account.id}:role/${name('RoleName')}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${account.id}:event-bus/${name('Name')}`;
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable': // GetAtt Arn: the replica's in the stack's region
      return `arn:aws:dynamodb:${region}:${account.id}:table/${name('TableName')}`;
    default:
      return undefined;
  }
}

/** A resource's name property when the model gives it as a plain string. */
export const nameOf = (properties: Record<string, Value>, key: string): string | undefined =>
  typeof properties[key] === 'string' ? (properties[key] as string) : undefined;
