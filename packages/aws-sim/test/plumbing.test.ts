import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { credentialScope, SimCloud } from '../src/index.js';
import { trustedBy } from './policies.js';

describe('simulated cloud plumbing', () => {
  it('authenticates the SDK signature and answers in the wire format', async () => {
    const cloud = new SimCloud();
    cloud.addAccount({ id: '111111111111' });
    const client = new STSClient(cloud.clientConfig(cloud.adminCredentials('111111111111'), 'eu-west-1'));
    const me = await client.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('111111111111');
  });

  it('refuses AssumeRole from a principal the role does not trust', async () => {
    const cloud = new SimCloud();
    cloud.addAccount({ id: '111111111111' });
    cloud.addAccount({ id: '999999999999' });
    const role = cloud.iam.putRole({
      account: '111111111111',
      name: 'reader',
      trustPolicy: trustedBy({ AWS: 'arn:aws:iam::999999999999:root' }, { StringEquals: { 'sts:ExternalId': 'x-1' } }),
    });
    const vault = new STSClient(cloud.clientConfig(cloud.adminCredentials('999999999999'), 'eu-west-1'));
    const other = new STSClient(cloud.clientConfig(cloud.adminCredentials('111111111111'), 'eu-west-1'));
    await expect(other.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'x-1' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    await expect(vault.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'wrong' }))).rejects.toMatchObject(
      { name: 'AccessDenied' },
    );
    const ok = await vault.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'x-1' }));
    expect(ok.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(ok.Credentials?.Expiration).toBeInstanceOf(Date);
    const assumed = new STSClient(
      cloud.clientConfig(
        {
          accessKeyId: ok.Credentials!.AccessKeyId!,
          secretAccessKey: ok.Credentials!.SecretAccessKey!,
          sessionToken: ok.Credentials!.SessionToken!,
        },
        'eu-west-1',
      ),
    );
    const me = await assumed.send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe('arn:aws:sts::111111111111:assumed-role/reader/s');
  });
});

describe('dispatch on the SigV4 credential scope', () => {
  it('takes the service and region from the signature, not the host: a custom endpoint names neither', async () => {
    const cloud = new SimCloud();
    cloud.addAccount({ id: '111111111111' });
    const client = new STSClient({
      ...cloud.clientConfig(cloud.adminCredentials('111111111111'), 'eu-central-1'),
      endpoint: 'http://localhost:4566',
    });
    await client.send(new GetCallerIdentityCommand({}));
    expect(cloud.calls.at(-1)).toMatchObject({ service: 'sts', action: 'GetCallerIdentity', region: 'eu-central-1' });
  });

  it("routes ECR's api.ecr.<region> host by its scope (service ecr), where the first host label is not the service", async () => {
    const cloud = new SimCloud();
    cloud.addAccount({ id: '111111111111' });
    const seen: { action: string; region: string }[] = [];
    cloud.register({
      name: 'ecr',
      protocol: 'json1.1',
      call: (action, _input, ctx) => {
        seen.push({ action, region: ctx.region });
        return { repositories: [] };
      },
    });
    const credentials = cloud.adminCredentials('111111111111');
    const { response } = await cloud.clientConfig(credentials, 'eu-west-1').requestHandler.handle({
      protocol: 'https:',
      hostname: 'api.ecr.eu-west-1.amazonaws.com',
      method: 'POST',
      path: '/',
      query: {},
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/eu-west-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    });
    expect(response.statusCode).toBe(200);
    expect(seen).toEqual([{ action: 'DescribeRepositories', region: 'eu-west-1' }]);
  });

  it('reads every part of the scope', () => {
    const authorization =
      'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/ap-southeast-2/dynamodb/aws4_request, SignedHeaders=host, Signature=abc';
    expect(credentialScope({ headers: { Authorization: authorization } })).toEqual({
      accessKeyId: 'AKIAEXAMPLE',
      region: 'ap-southeast-2',
      service: 'dynamodb',
    });
    expect(() => credentialScope({ headers: {} })).toThrow(/no SigV4 Authorization header/);
  });
});
