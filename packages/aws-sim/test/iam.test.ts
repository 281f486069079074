import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { type PolicyDocument, SimCloud } from '../src/index.js';
import { allowing, trustedBy } from './policies.js';

const VAULT = '999999999999';
const SOURCE = '111111111111';
const REGION = 'eu-west-1';

function cloudWithAccounts(): SimCloud {
  const cloud = new SimCloud();
  cloud.addAccount({ id: VAULT, orgId: 'o-example' });
  cloud.addAccount({ id: SOURCE, orgId: 'o-example' });
  cloud.addAccount({ id: '333333333333', orgId: 'o-other' });
  return cloud;
}

describe('simulated IAM roles', () => {
  it('keeps the trust policy and inline policies whole, Resource and Condition included', () => {
    const cloud = cloudWithAccounts();
    const scoped: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Scoped',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: `arn:aws:sqs:${REGION}:${VAULT}:q`,
          Condition: { StringEquals: { 'aws:RequestedRegion': REGION } },
        },
      ],
    };
    const role = cloud.iam.putRole({
      account: VAULT,
      name: 'writer',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: { scoped },
    });
    expect(cloud.iam.role(role.arn)).toMatchObject({
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: { scoped },
      maxSessionSeconds: 3600,
    });
  });

  it('allows a call only when an Allow statement of the role names its action (wildcards as IAM reads them)', async () => {
    const cloud = cloudWithAccounts();
    const reader = cloud.iam.putRole({
      account: VAULT,
      name: 'reader',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: allowing('sqs:Get*'),
    });
    const bare = cloud.iam.putRole({ account: VAULT, name: 'bare', trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }) });
    const lookUp = (arn: string) =>
      new SQSClient(cloud.clientConfig(cloud.roleCredentials(arn), REGION)).send(new GetQueueUrlCommand({ QueueName: 'missing' }));
    // Past IAM, the queue is looked up (and is missing); without a statement the call stops at IAM.
    await expect(lookUp(reader.arn)).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(lookUp(bare.arn)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('sqs:GetQueueUrl'),
    });
  });

  it('lets AssumeRole through only as the trust policy says: principal, sts:ExternalId and aws:PrincipalOrgID', async () => {
    const cloud = cloudWithAccounts();
    const role = cloud.iam.putRole({
      account: SOURCE,
      name: 'reader',
      trustPolicy: trustedBy(
        { AWS: `arn:aws:iam::${VAULT}:root` },
        { StringEquals: { 'sts:ExternalId': 'x-1', 'aws:PrincipalOrgID': 'o-example' } },
      ),
    });
    const assume = (account: string, input: { ExternalId?: string; DurationSeconds?: number } = {}) =>
      new STSClient(cloud.clientConfig(cloud.adminCredentials(account), REGION)).send(
        new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'x-1', ...input }),
      );
    await expect(assume(VAULT)).resolves.toMatchObject({ AssumedRoleUser: { Arn: `arn:aws:sts::${SOURCE}:assumed-role/reader/s` } });
    await expect(assume(VAULT, { ExternalId: 'x-2' })).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume('333333333333')).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume(VAULT, { DurationSeconds: 7200 })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('sets a source identity only where both trust and caller allow sts:SetSourceIdentity, and keeps it through chained roles', async () => {
    const cloud = cloudWithAccounts();
    const vaultRoot = { AWS: `arn:aws:iam::${VAULT}:root` };
    const withIdentity = (pattern: string): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: vaultRoot,
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Condition: { StringLike: { 'sts:SourceIdentity': pattern } },
        },
      ],
    });
    const hop = cloud.iam.putRole({
      account: VAULT,
      name: 'hop',
      trustPolicy: withIdentity('fn-*'),
      policies: allowing('sts:AssumeRole', 'sts:SetSourceIdentity'),
    });
    const reader = cloud.iam.putRole({ account: SOURCE, name: 'reader', trustPolicy: withIdentity('fn-*') });
    const plain = cloud.iam.putRole({ account: SOURCE, name: 'plain', trustPolicy: trustedBy(vaultRoot) });
    const caller = cloud.iam.putRole({
      account: VAULT,
      name: 'caller',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: allowing('sts:AssumeRole', 'sts:SetSourceIdentity'),
    });
    const sts = (credentials: Parameters<SimCloud['clientConfig']>[0]) => new STSClient(cloud.clientConfig(credentials, REGION));
    const assume = (credentials: Parameters<SimCloud['clientConfig']>[0], RoleArn: string, SourceIdentity?: string) =>
      sts(credentials).send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 's', SourceIdentity }));

    await expect(assume(cloud.roleCredentials(caller.arn), reader.arn)).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume(cloud.roleCredentials(caller.arn), reader.arn, 'other')).rejects.toMatchObject({ name: 'AccessDenied' });
    // The trust policy of `plain` allows sts:AssumeRole only: it refuses a source identity.
    await expect(assume(cloud.roleCredentials(caller.arn), plain.arn, 'fn-a')).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(assume(cloud.roleCredentials(caller.arn), reader.arn, 'fn-a')).resolves.toMatchObject({ SourceIdentity: 'fn-a' });

    const first = await assume(cloud.roleCredentials(caller.arn), hop.arn, 'fn-a');
    const hopSession = {
      accessKeyId: first.Credentials!.AccessKeyId!,
      secretAccessKey: first.Credentials!.SecretAccessKey!,
      sessionToken: first.Credentials!.SessionToken,
    };
    // Chained: the identity set by the first hop is carried, and cannot be changed.
    await expect(assume(hopSession, reader.arn)).resolves.toMatchObject({ SourceIdentity: 'fn-a' });
    await expect(assume(hopSession, reader.arn, 'fn-b')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('fills aws:ResourceOrgID with the organization of the account that owns the resource', async () => {
    const cloud = cloudWithAccounts();
    const inOrg = { StringEquals: { 'aws:ResourceOrgID': 'o-example' } };
    const caller = cloud.iam.putRole({
      account: VAULT,
      name: 'caller',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: {
        scoped: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*', Condition: inOrg }] },
      },
    });
    const vaultRoot = { AWS: `arn:aws:iam::${VAULT}:root` };
    const inside = cloud.iam.putRole({ account: SOURCE, name: 'reader', trustPolicy: trustedBy(vaultRoot) });
    const outside = cloud.iam.putRole({ account: '333333333333', name: 'reader', trustPolicy: trustedBy(vaultRoot) });
    const assume = (RoleArn: string) =>
      new STSClient(cloud.clientConfig(cloud.roleCredentials(caller.arn), REGION)).send(
        new AssumeRoleCommand({ RoleArn, RoleSessionName: 's' }),
      );
    await expect(assume(inside.arn)).resolves.toMatchObject({ AssumedRoleUser: { Arn: `arn:aws:sts::${SOURCE}:assumed-role/reader/s` } });
    await expect(assume(outside.arn)).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
