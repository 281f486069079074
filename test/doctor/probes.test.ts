import { describe, expect, it } from 'vitest';
import type { Value } from '../../accounts/stack/cloudformation.js';
import { probeOf } from '../../shared/doctor/probes.js';

const resolve = (value: Value) => (typeof value === 'string' ? value : undefined);

describe("doctor's probes: the request a statement of the model allows, for IAM's policy simulation", () => {
  it('gives each condition key a value its operator accepts: lists for set operators, presence for Null, another value for Not', () => {
    const probe = probeOf(
      {
        Sid: 'Copy',
        Effect: 'Allow',
        Action: ['ec2:CopySnapshot', 'kms:ReEncrypt*'],
        Resource: 'arn:aws:ec2:*::snapshot/*',
        Condition: {
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] },
          Null: { 'aws:RequestTag/a': 'false', 'aws:RequestTag/gone': 'true' },
          StringNotEquals: { 'aws:PrincipalAccount': '111111111111' },
          StringLike: { 'ec2:SnapshotID': ['snap-*', 'x'] },
        },
      },
      0,
      resolve,
    );
    expect(probe).toEqual({
      sid: 'Copy',
      actions: ['ec2:CopySnapshot'],
      resources: ['arn:aws:ec2:*::snapshot/*'],
      context: [
        { ContextKeyName: 'aws:TagKeys', ContextKeyValues: ['a', 'b'], ContextKeyType: 'stringList' },
        { ContextKeyName: 'aws:RequestTag/a', ContextKeyValues: [expect.any(String)], ContextKeyType: 'string' },
        {
          ContextKeyName: 'aws:PrincipalAccount',
          ContextKeyValues: [expect.not.stringMatching(/^111111111111$/)],
          ContextKeyType: 'string',
        },
        { ContextKeyName: 'ec2:SnapshotID', ContextKeyValues: ['snap-*'], ContextKeyType: 'string' },
      ],
    });
  });

  it('asks nothing for what the simulation cannot ask: a Deny, only wildcard actions, a value only the deployment knows, a policy variable', () => {
    expect(probeOf({ Effect: 'Deny', Action: 'ec2:DeleteSnapshot', Resource: '*' }, 0, resolve)).toBeUndefined();
    expect(probeOf({ Effect: 'Allow', Action: 'kms:GenerateDataKey*', Resource: '*' }, 0, resolve)).toBeUndefined();
    expect(probeOf({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } }, 0, resolve)).toBeUndefined();
    expect(
      probeOf(
        { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}/*' },
        0,
        resolve,
      ),
    ).toBeUndefined();
    expect(
      probeOf(
        { Effect: 'Allow', Action: 'ec2:CopySnapshot', Resource: '*', Condition: { NumericLessThan: { 'ec2:VolumeSize': '8' } } },
        3,
        resolve,
      ),
    ).toBeUndefined();
  });
});
