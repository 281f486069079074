import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { SimCloud } from '../src/cloud.js';
import { sts } from '../src/services/sts/api/sts-api.js';

describe('simulated cloud plumbing', () => {
  it('authenticates the SDK signature and answers in the wire format', async () => {
    const cloud = new SimCloud();
    cloud.register(sts);
    cloud.addAccount({ id: '111111111111' });
    const client = new STSClient(cloud.clientConfig(cloud.adminCredentials('111111111111'), 'eu-west-1'));
    const me = await client.send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('111111111111');
  });

  it('refuses AssumeRole from a principal the role does not trust', async () => {
    const cloud = new SimCloud();
    cloud.register(sts);
    cloud.addAccount({ id: '111111111111' });
    cloud.addAccount({ id: '999999999999' });
    const role = cloud.iam.putRole({ account: '111111111111', name: 'reader', trust: { principals: ['arn:aws:iam::999999999999:root'], externalId: 'x-1' } });
    const vault = new STSClient(cloud.clientConfig(cloud.adminCredentials('999999999999'), 'eu-west-1'));
    const other = new STSClient(cloud.clientConfig(cloud.adminCredentials('111111111111'), 'eu-west-1'));
    await expect(other.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'x-1' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(vault.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'wrong' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const ok = await vault.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's', ExternalId: 'x-1' }));
    expect(ok.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(ok.Credentials?.Expiration).toBeInstanceOf(Date);
    const assumed = new STSClient(
      cloud.clientConfig({ accessKeyId: ok.Credentials!.AccessKeyId!, secretAccessKey: ok.Credentials!.SecretAccessKey!, sessionToken: ok.Credentials!.SessionToken! }, 'eu-west-1'),
    );
    const me = await assumed.send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe('arn:aws:sts::111111111111:assumed-role/reader/s');
  });
});
