import type { CallContext } from '../../../core/service.js';
import type { AuthorizationRequest } from '../../../iam/authorizer.js';
import type { PolicyDocument } from '../../../policy/resource-policy.js';
import { list } from '../../../protocol/query.js';
import { rootArn } from '../../iam/iam.js';
import type { RdsSim } from '../rds.js';
import { DB_CLUSTER_SNAPSHOT, DB_SNAPSHOT, parseSnapshotArn, type RdsFamily } from '../snapshot.js';

type Input = Record<string, unknown>;
type Context = Record<string, string | string[]>;

/** What a DB (cluster) snapshot's `restore` attribute lets another account do with it. */
const SHARED_USE = {
  instance: ['rds:CopyDBSnapshot', 'rds:RestoreDBInstanceFromDBSnapshot', 'rds:DescribeDBSnapshots'],
  cluster: ['rds:CopyDBClusterSnapshot', 'rds:RestoreDBClusterFromSnapshot', 'rds:DescribeDBClusterSnapshots'],
};

/**
 * What RDS authorizes for a call: the action on each snapshot it names (a copy on its source and
 * on the target, tags on the copy as rds:AddTagsToResource too; Describe without an identifier on
 * every snapshot of the account and region) or on the database it lists, with `aws:RequestTag/*`, `aws:TagKeys` and
 * `aws:ResourceTag/*`. Another account's snapshot is used through its `restore` attribute, which
 * acts as its resource policy.
 */
export function rdsAuthorization(rds: RdsSim, action: string, input: Input, ctx: CallContext): AuthorizationRequest[] {
  const databases = [DB_SNAPSHOT, DB_CLUSTER_SNAPSHOT].find((f) => action === `Describe${f.databaseElement}s`);
  if (databases) return [databaseRequest(rds, databases, action, input, ctx)];
  const own = (type: string, id: unknown): AuthorizationRequest => ({
    action: `rds:${action}`,
    resource: `arn:aws:rds:${ctx.region}:${ctx.account}:${type}:${typeof id === 'string' ? id : '*'}`,
    resourceAccount: ctx.account,
    context: requestTags(input),
  });
  // A restore on the snapshot (another account's through its restore attribute) and on the new database; a create on what it names.
  switch (action) {
    case 'RestoreDBInstanceFromDBSnapshot':
      return [
        snapshotRequest(rds, DB_SNAPSHOT, `rds:${action}`, String(input.DBSnapshotIdentifier ?? ''), ctx, {}),
        own('db', input.DBInstanceIdentifier),
      ];
    case 'RestoreDBClusterFromSnapshot':
      return [
        snapshotRequest(rds, DB_CLUSTER_SNAPSHOT, `rds:${action}`, String(input.SnapshotIdentifier ?? ''), ctx, {}),
        own('cluster', input.DBClusterIdentifier),
      ];
    case 'ModifyDBInstance':
      return [own('db', input.DBInstanceIdentifier)];
    case 'CreateDBInstance':
      return [own('db', input.DBInstanceIdentifier), ...(input.DBClusterIdentifier ? [own('cluster', input.DBClusterIdentifier)] : [])];
    case 'CreateDBSubnetGroup':
    case 'DescribeDBSubnetGroups':
      return [own('subgrp', input.DBSubnetGroupName)];
  }
  const family = [DB_SNAPSHOT, DB_CLUSTER_SNAPSHOT].find((f) => action.includes(f.element)) ?? resourceFamily(input);
  const snapshot = (iamAction: string, identifier: string, context: Context = {}) =>
    snapshotRequest(rds, family, iamAction, identifier, ctx, context);
  const tags = requestTags(input);
  const { element, idParam } = family;
  switch (action) {
    case `Copy${element}`: {
      const target = String(input[`Target${element}Identifier`] ?? '');
      return [
        snapshot(`rds:${action}`, String(input[`Source${element}Identifier`] ?? ''), tags),
        snapshot(`rds:${action}`, target, tags),
        ...(Object.keys(tags).length > 0 ? [snapshot('rds:AddTagsToResource', target, tags)] : []),
      ];
    }
    case `Describe${element}s`:
      return [snapshot(`rds:${action}`, typeof input[idParam] === 'string' ? (input[idParam] as string) : '*')];
    case 'AddTagsToResource':
    case 'ListTagsForResource':
      return [snapshot(`rds:${action}`, String(input.ResourceName ?? ''), action === 'AddTagsToResource' ? tags : {})];
    default:
      return [snapshot(`rds:${action}`, String(input[idParam] ?? ''))];
  }
}

/**
 * DescribeDBInstances / DescribeDBClusters on the database named (its tags as `aws:ResourceTag/*`),
 * or on every database of the account and region (`db:*`, `cluster:*`) when none is.
 */
function databaseRequest(rds: RdsSim, family: RdsFamily, action: string, input: Input, ctx: CallContext): AuthorizationRequest {
  const id = typeof input[family.resourceParam] === 'string' ? (input[family.resourceParam] as string) : undefined;
  const found = id === undefined ? undefined : rds.databases.get(family.family, ctx.account, ctx.region, id);
  return {
    action: `rds:${action}`,
    resource: `arn:aws:rds:${ctx.region}:${ctx.account}:${family.databaseArnType}:${id ?? '*'}`,
    resourceAccount: ctx.account,
    context: Object.fromEntries([...(found?.tags ?? [])].map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
  };
}

function resourceFamily(input: Input): RdsFamily {
  return parseSnapshotArn(DB_CLUSTER_SNAPSHOT, String(input.ResourceName ?? '')) ? DB_CLUSTER_SNAPSHOT : DB_SNAPSHOT;
}

function snapshotRequest(
  rds: RdsSim,
  family: RdsFamily,
  action: string,
  identifier: string,
  ctx: CallContext,
  context: Context,
): AuthorizationRequest {
  const named = parseSnapshotArn(family, identifier) ?? { owner: ctx.account, region: ctx.region, id: identifier };
  const arn = `arn:aws:rds:${named.region}:${named.owner}:${family.arnType}:${named.id}`;
  const found = rds.store(family).get(named.owner, named.region, named.id);
  const resourceTags = Object.fromEntries([...(found?.tags ?? [])].map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  // Another account's snapshot is authorized there only when shared with the caller for this action; otherwise as the caller's own, and RDS answers not found.
  const visible = found && found.owner !== ctx.account && (found.sharedWith.has(ctx.account) || found.sharedWith.has('all'));
  const shared = visible && SHARED_USE[family.family].includes(action) ? [...found.sharedWith] : undefined;
  return {
    action,
    resource: arn,
    resourceAccount: shared ? named.owner : ctx.account,
    context: { ...resourceTags, ...context },
    ...(shared ? { resourcePolicy: { type: 'share attribute' as const, owner: arn, document: restoreAttribute(family, shared) } } : {}),
  };
}

/**
 * The `restore` attribute as the resource policy it amounts to, one document per distinct attribute
 * (`Resource: "*"` is the snapshot itself in a resource policy), so that it is parsed once.
 */
function restoreAttribute(family: RdsFamily, accounts: string[]): PolicyDocument {
  const principals = [...accounts].sort();
  const key = `${family.family} ${JSON.stringify(principals)}`;
  let document = restoreDocuments.get(key);
  if (!document) {
    document = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'restoreAttribute',
          Effect: 'Allow',
          Principal: principals.includes('all') ? '*' : { AWS: principals.map(rootArn) },
          Action: SHARED_USE[family.family],
          Resource: '*',
        },
      ],
    };
    restoreDocuments.set(key, document);
  }
  return document;
}

const restoreDocuments = new Map<string, PolicyDocument>();

/** `Tags.Tag.N`: `aws:RequestTag/<key>` and `aws:TagKeys`. */
function requestTags(input: Input): Context {
  const tags = list<{ Key?: string; Value?: string }>(input.Tags).filter((t) => typeof t?.Key === 'string');
  if (tags.length === 0) return {};
  return { ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value ?? ''])), 'aws:TagKeys': tags.map((t) => t.Key!) };
}
