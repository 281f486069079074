import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import { type EventEnvelope, SimCloud } from '../src/index.js';
import type { KmsSim } from '../src/services/kms/kms.js';
import type { SsmSim } from '../src/services/ssm/ssm.js';

const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const REGION = 'eu-west-1';

let cloud: SimCloud;
let kms: KmsSim;
let ssm: SsmSim;
let client: SSMClient;
let events: EventEnvelope[];

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: ACCOUNT });
  cloud.addAccount({ id: OTHER });
  ({ kms, ssm } = cloud);
  events = [];
  cloud.onServiceEvent((e) => events.push(e));
  client = new SSMClient(cloud.clientConfig(cloud.adminCredentials(ACCOUNT), REGION));
});

describe('simulated Parameter Store through the SDK', () => {
  it('GetParametersByPath reads one level under the path, or every level with Recursive, ten a page', async () => {
    for (let i = 0; i < 12; i++) await client.send(new PutParameterCommand({ Name: `/hub/sources/${i}`, Value: `v${i}`, Type: 'String' }));
    await client.send(new PutParameterCommand({ Name: '/hub/sources/deep/one', Value: 'deep', Type: 'String' }));
    await client.send(new PutParameterCommand({ Name: '/hub/sourcesX', Value: 'beside', Type: 'String' }));
    const first = await client.send(new GetParametersByPathCommand({ Path: '/hub/sources' }));
    expect(first.Parameters).toHaveLength(10);
    const second = await client.send(new GetParametersByPathCommand({ Path: '/hub/sources', NextToken: first.NextToken }));
    expect(second.NextToken).toBeUndefined();
    expect([...first.Parameters!, ...second.Parameters!].map((p) => p.Value).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `v${i}`).sort(),
    );
    const all = await client.send(
      new GetParametersByPathCommand({ Path: '/hub/sources/', Recursive: true, MaxResults: 10, NextToken: '10' }),
    );
    expect(all.Parameters!.map((p) => p.Name)).toEqual(expect.arrayContaining(['/hub/sources/deep/one']));
  });

  it('keeps every version; name:version selects one; the change events carry no value', async () => {
    await client.send(new PutParameterCommand({ Name: '/app/url', Value: 'one', Type: 'String', Description: 'the url' }));
    const { Version } = await client.send(new PutParameterCommand({ Name: '/app/url', Value: 'two', Overwrite: true }));
    expect(Version).toBe(2);
    expect((await client.send(new GetParameterCommand({ Name: '/app/url:1' }))).Parameter).toMatchObject({
      Value: 'one',
      Version: 1,
      Selector: ':1',
      ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/url`,
    });
    expect((await client.send(new GetParameterCommand({ Name: '/app/url' }))).Parameter).toMatchObject({ Value: 'two', Type: 'String' });
    const history = await client.send(new GetParameterHistoryCommand({ Name: '/app/url' }));
    expect(history.Parameters!.map((p) => [p.Version, p.Description, p.Tier])).toEqual([
      [1, 'the url', 'Standard'],
      [2, 'the url', 'Standard'],
    ]);
    expect(events.map((e) => [e['detail-type'], e.source, e.detail.operation, e.detail.name, e.detail.type])).toEqual([
      ['Parameter Store Change', 'aws.ssm', 'Create', '/app/url', 'String'],
      ['Parameter Store Change', 'aws.ssm', 'Update', '/app/url', 'String'],
    ]);
    expect(JSON.stringify(events)).not.toMatch(/"one"|"two"/);
  });

  it('refuses to overwrite without Overwrite, tags together with Overwrite, and hierarchies over 15 levels', async () => {
    await client.send(new PutParameterCommand({ Name: 'p', Value: 'v', Type: 'String' }));
    await expect(client.send(new PutParameterCommand({ Name: 'p', Value: 'w', Type: 'String' }))).rejects.toMatchObject({
      name: 'ParameterAlreadyExists',
    });
    await expect(
      client.send(new PutParameterCommand({ Name: 'p', Value: 'w', Overwrite: true, Tags: [{ Key: 'k', Value: 'v' }] })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const deep = `/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}`;
    await expect(client.send(new PutParameterCommand({ Name: deep, Value: 'v', Type: 'String' }))).rejects.toMatchObject({
      name: 'HierarchyLevelLimitExceededException',
    });
  });

  it('limits names to 1,011 characters counted with the ARN prefix, and refuses invalid names on writes and reads', async () => {
    const prefix = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/`; // 45 characters here
    const longest = `/${'n'.repeat(1011 - prefix.length)}`;
    await client.send(new PutParameterCommand({ Name: longest, Value: 'v', Type: 'String' }));
    expect(ssm.parameter(ACCOUNT, REGION, longest)!.arn).toHaveLength(1011);
    await expect(client.send(new PutParameterCommand({ Name: `${longest}n`, Value: 'v', Type: 'String' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/1012 characters with the ARN prefix, at most 1011/),
    });
    for (const name of ['a/b', '/app/db password', 'ssm-thing', '/aws/x', '/a//b'])
      await expect(client.send(new PutParameterCommand({ Name: name, Value: 'v', Type: 'String' })), name).rejects.toMatchObject({
        name: 'ValidationException',
      });
    await expect(client.send(new GetParameterHistoryCommand({ Name: 'a/b' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('never downgrades a parameter from Advanced to Standard; values: 4 KB Standard, 8 KB Advanced; Intelligent-Tiering picks the tier', async () => {
    const put = (value: string, Tier?: 'Standard' | 'Advanced' | 'Intelligent-Tiering') =>
      client.send(new PutParameterCommand({ Name: 'p', Value: value, Type: 'String', Overwrite: true, Tier }));
    await expect(put('x'.repeat(4097))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^Standard tier/),
    });
    await put('x'.repeat(4096));
    await put('y'.repeat(4097), 'Intelligent-Tiering');
    expect(ssm.parameter(ACCOUNT, REGION, 'p')!.latest().tier).toBe('Advanced');
    await expect(put('small', 'Standard')).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/can't downgrade/),
    });
    await put('small', 'Intelligent-Tiering');
    await put('z'.repeat(8192));
    await expect(put('z'.repeat(8193), 'Advanced')).rejects.toMatchObject({ name: 'ValidationException' });
    const history = await client.send(new GetParameterHistoryCommand({ Name: 'p' }));
    expect(history.Parameters!.map((v) => v.Tier)).toEqual(['Standard', 'Advanced', 'Advanced', 'Advanced']);
  });

  it('encrypts SecureStrings under aws/ssm or the given key; decryption needs access to the key', async () => {
    await client.send(new PutParameterCommand({ Name: '/db/password', Value: 's3cret', Type: 'SecureString' }));
    const blob = (await client.send(new GetParameterCommand({ Name: '/db/password' }))).Parameter!.Value;
    expect(blob).not.toBe('s3cret');
    expect((await client.send(new GetParameterCommand({ Name: '/db/password', WithDecryption: true }))).Parameter!.Value).toBe('s3cret');
    const [entry] = (await client.send(new GetParameterHistoryCommand({ Name: '/db/password' }))).Parameters!;
    expect(entry!.KeyId).toBe(kms.awsManagedKey(ACCOUNT, REGION, 'ssm').arn);

    const key = kms.createKey(ACCOUNT, REGION, {
      alias: 'narrow',
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: ['kms:Encrypt', 'kms:PutKeyPolicy'],
            Resource: '*',
          },
        ],
      },
    });
    await client.send(new PutParameterCommand({ Name: '/db/other', Value: 'x', Type: 'SecureString', KeyId: 'alias/narrow' }));
    expect(ssm.parameter(ACCOUNT, REGION, '/db/other')!.latest().keyArn).toBe(key.arn);
    await expect(client.send(new GetParameterCommand({ Name: '/db/other', WithDecryption: true }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('answers the documented errors for a missing parameter, version or label', async () => {
    await expect(client.send(new GetParameterCommand({ Name: 'nope' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    await client.send(new PutParameterCommand({ Name: 'p', Value: 'v', Type: 'String' }));
    await expect(client.send(new GetParameterCommand({ Name: 'p:7' }))).rejects.toMatchObject({ name: 'ParameterVersionNotFound' });
    await expect(client.send(new GetParameterCommand({ Name: 'p:prod' }))).rejects.toMatchObject({ name: 'ParameterVersionNotFound' });
    const many = await client.send(new GetParametersCommand({ Names: ['p', 'nope'] }));
    expect([many.Parameters!.map((p) => p.Name), many.InvalidParameters]).toEqual([['p'], ['nope']]);
    // Parameters are per account: another account's name is not found.
    const other = new SSMClient(cloud.clientConfig(cloud.adminCredentials(OTHER), REGION));
    await expect(other.send(new GetParameterCommand({ Name: 'p' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
  });

  it('keeps 100 versions: the 101st drops the oldest, unless the oldest carries a label', async () => {
    for (let i = 1; i <= 100; i++) ssm.putParameter(ACCOUNT, REGION, { name: 'p', value: `v${i}`, type: 'String', overwrite: true });
    ssm.putParameter(ACCOUNT, REGION, { name: 'p', value: 'v101', overwrite: true });
    const versions = ssm.parameter(ACCOUNT, REGION, 'p')!.versions;
    expect([versions.length, versions[0]!.version, versions[99]!.version]).toEqual([100, 2, 101]);
    await client.send(new LabelParameterVersionCommand({ Name: 'p', ParameterVersion: 2, Labels: ['golden'] }));
    await expect(client.send(new PutParameterCommand({ Name: 'p', Value: 'v102', Overwrite: true }))).rejects.toMatchObject({
      name: 'ParameterMaxVersionLimitExceeded',
    });
  });

  it('labels versions (moving a label), reports invalid labels, and announces the change', async () => {
    ssm.putParameter(ACCOUNT, REGION, { name: 'p', value: 'a', type: 'String' });
    ssm.putParameter(ACCOUNT, REGION, { name: 'p', value: 'b', overwrite: true });
    await client.send(new LabelParameterVersionCommand({ Name: 'p', ParameterVersion: 1, Labels: ['prod'] }));
    const moved = await client.send(new LabelParameterVersionCommand({ Name: 'p', Labels: ['prod', '1bad', 'awsy'] }));
    expect([moved.ParameterVersion, moved.InvalidLabels]).toEqual([2, ['1bad', 'awsy']]);
    expect((await client.send(new GetParameterCommand({ Name: 'p:prod' }))).Parameter!.Value).toBe('b');
    expect(events.at(-1)!.detail).toMatchObject({ operation: 'LabelParameterVersion', name: 'p' });
  });

  it('starts a parameter deleted and created again at version 1, its history holding only the new life', async () => {
    await client.send(new PutParameterCommand({ Name: '/app/url', Value: 'old-1', Type: 'String' }));
    await client.send(new PutParameterCommand({ Name: '/app/url', Value: 'old-2', Type: 'String', Overwrite: true }));
    await client.send(new DeleteParameterCommand({ Name: '/app/url' }));
    cloud.clock.advance(60_000);
    const { Version } = await client.send(new PutParameterCommand({ Name: '/app/url', Value: 'new-1', Type: 'String' }));
    expect(Version).toBe(1);
    const { Parameters } = await client.send(new GetParameterHistoryCommand({ Name: '/app/url' }));
    expect(Parameters!.map((p) => [p.Version, p.Value, p.LastModifiedDate?.getTime()])).toEqual([[1, 'new-1', cloud.clock.nowMs()]]);
  });

  it('deletes, describes and tags parameters', async () => {
    await client.send(new PutParameterCommand({ Name: '/a/one', Value: 'v', Type: 'StringList', Tags: [{ Key: 'team', Value: 'x' }] }));
    await client.send(new PutParameterCommand({ Name: '/b/two', Value: 'v', Type: 'String' }));
    await client.send(
      new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/a/one', Tags: [{ Key: 'env', Value: 'prod' }] }),
    );
    expect((await client.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/a/one' }))).TagList).toEqual([
      { Key: 'team', Value: 'x' },
      { Key: 'env', Value: 'prod' },
    ]);
    const described = await client.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/a/'] }] }),
    );
    expect(described.Parameters!.map((p) => [p.Name, p.Type])).toEqual([['/a/one', 'StringList']]);
    const page = await client.send(new DescribeParametersCommand({ MaxResults: 1 }));
    expect([page.Parameters!.map((p) => p.Name), page.NextToken]).toEqual([['/a/one'], expect.any(String)]);
    const rest = await client.send(new DescribeParametersCommand({ MaxResults: 1, NextToken: page.NextToken }));
    expect([rest.Parameters!.map((p) => p.Name), rest.NextToken]).toEqual([['/b/two'], undefined]);
    await client.send(new DeleteParameterCommand({ Name: '/a/one' }));
    await expect(client.send(new DeleteParameterCommand({ Name: '/a/one' }))).rejects.toMatchObject({ name: 'ParameterNotFound' });
    expect(events.at(-1)!.detail).toEqual({ operation: 'Delete', name: '/a/one', type: 'StringList' });
  });
});
