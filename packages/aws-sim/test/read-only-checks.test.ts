import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CopySnapshotCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';
import { trustedBy } from './policies.js';

const VAULT = '999999999999';
const REGION = 'eu-west-1';

function cloudWithVault(): SimCloud {
  const cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  return cloud;
}

/** What `backup-hub doctor` asks of AWS to check a deployment without changing it. */
describe('simulated read-only checks', () => {
  it('answers an EC2 DryRun as AWS does: DryRunOperation when allowed, UnauthorizedOperation otherwise, and changes nothing', async () => {
    const cloud = cloudWithVault();
    const copier = (tagged: boolean) =>
      cloud.iam.putRole({
        account: VAULT,
        name: tagged ? 'copier' : 'bare',
        trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
        policies: tagged
          ? { copy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:CopySnapshot', Resource: '*' }] } }
          : {},
      });
    const dryRun = (roleArn: string) =>
      new EC2Client(cloud.clientConfig(cloud.roleCredentials(roleArn), REGION)).send(
        new CopySnapshotCommand({ SourceRegion: REGION, SourceSnapshotId: 'snap-00000000000000000', DryRun: true }),
      );
    await expect(dryRun(copier(true).arn)).rejects.toMatchObject({ name: 'DryRunOperation', $metadata: { httpStatusCode: 412 } });
    await expect(dryRun(copier(false).arn)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(cloud.ec2.snapshotStore.all()).toEqual([]);
  });

  it("evaluates SimulatePrincipalPolicy with the role's identity policies, the resources and the context entries given", async () => {
    const cloud = cloudWithVault();
    const role = cloud.iam.putRole({
      account: VAULT,
      name: 'reader',
      trustPolicy: trustedBy({ Service: 'lambda.amazonaws.com' }),
      policies: {
        read: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'InItsRegion',
              Effect: 'Allow',
              Action: 'sqs:ReceiveMessage',
              Resource: `arn:aws:sqs:${REGION}:${VAULT}:*`,
              Condition: { StringEquals: { 'aws:RequestedRegion': REGION } },
            },
          ],
        },
      },
    });
    const iam = new IAMClient(cloud.clientConfig(cloud.adminCredentials(VAULT), 'us-east-1'));
    const simulate = (region: string, action = 'sqs:ReceiveMessage') =>
      iam.send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: role.arn,
          ActionNames: [action],
          ResourceArns: [`arn:aws:sqs:${REGION}:${VAULT}:q`],
          ContextEntries: [{ ContextKeyName: 'aws:RequestedRegion', ContextKeyValues: [region], ContextKeyType: 'string' }],
        }),
      );
    const allowed = await simulate(REGION);
    expect(allowed.EvaluationResults).toMatchObject([
      {
        EvalActionName: 'sqs:ReceiveMessage',
        EvalResourceName: `arn:aws:sqs:${REGION}:${VAULT}:q`,
        EvalDecision: 'allowed',
        MatchedStatements: [{ SourcePolicyId: `${role.arn}#read#InItsRegion` }],
      },
    ]);
    expect((await simulate('us-east-1')).EvaluationResults?.[0]?.EvalDecision).toBe('implicitDeny');
    expect((await simulate(REGION, 'sqs:DeleteMessage')).EvaluationResults?.[0]?.EvalDecision).toBe('implicitDeny');
    await expect(
      iam.send(
        new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${VAULT}:role/none`, ActionNames: ['sqs:ReceiveMessage'] }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });
  });

  it('takes a resource policy given to SimulatePrincipalPolicy into the decision, both sides for another account', async () => {
    const cloud = cloudWithVault();
    const SOURCE = '111111111111';
    cloud.addAccount({ id: SOURCE });
    const busArn = `arn:aws:events:${REGION}:${VAULT}:event-bus/hub`;
    const forwarder = cloud.iam.putRole({
      account: SOURCE,
      name: 'forwarder',
      trustPolicy: trustedBy({ Service: 'events.amazonaws.com' }),
      policies: { put: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }] } },
    });
    const busPolicy = (account: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'events:PutEvents', Resource: busArn }],
      });
    const iam = new IAMClient(cloud.clientConfig(cloud.adminCredentials(SOURCE), 'us-east-1'));
    const decide = async (policy: string) =>
      (
        await iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: forwarder.arn,
            ActionNames: ['events:PutEvents'],
            ResourceArns: [busArn],
            ResourcePolicy: policy,
            ResourceOwner: `arn:aws:iam::${VAULT}:root`,
          }),
        )
      ).EvaluationResults?.[0]?.EvalDecision;
    expect(await decide(busPolicy(SOURCE))).toBe('allowed');
    expect(await decide(busPolicy('222222222222'))).toBe('implicitDeny');
  });

  it('describes a deployed stack with its outputs and tags, and names a missing one', async () => {
    const cloud = cloudWithVault();
    await cloud.cloudformation.deploy({
      account: VAULT,
      region: REGION,
      stackName: 'hub-dev',
      tags: { 'hub:role': 'vault' },
      template: {
        Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alarms' } } },
        Outputs: { TopicArn: { Value: { Ref: 'Topic' } } },
      },
    });
    const cloudformation = new CloudFormationClient(cloud.clientConfig(cloud.adminCredentials(VAULT), REGION));
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: 'hub-dev' }));
    expect(Stacks).toMatchObject([
      {
        StackName: 'hub-dev',
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'TopicArn', OutputValue: `arn:aws:sns:${REGION}:${VAULT}:alarms` }],
        Tags: [{ Key: 'hub:role', Value: 'vault' }],
      },
    ]);
    await expect(cloudformation.send(new DescribeStacksCommand({ StackName: 'other' }))).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Stack with id other does not exist',
    });
  });
});
