import type { SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { Rejection } from '../../core/errors.js';
import type { KindDeps } from '../common/artifact-kind.js';
import { ssmParameter } from './ssm-parameter.js';

/** The kind's dependencies, with a Parameter Store that answers every call with `error`. */
function refusing(error: Error): KindDeps<SSMClient> {
  const client = { send: () => Promise.reject(error) } as unknown as SSMClient;
  return {
    vault: { account: '999999999999', region: 'eu-west-1', keyArn: 'arn:aws:kms:eu-west-1:999999999999:key/vault' },
    client: () => client,
    reader: () => ({ accessKeyId: 'AKIA', secretAccessKey: 'secret' }),
    keys: {
      shareKey: () => Promise.reject(new Error('unused')),
      describe: () => Promise.reject(new Error('unused')),
      requireListed: () => Promise.reject(new Error('unused')),
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe('ssm-parameter verify', () => {
  it('rejects a parameter the account file does not opt in, saying what to change', async () => {
    const denied = awsError(
      'AccessDeniedException',
      'User: backup-hub-reader-ssm-parameter is not authorized to perform: ssm:GetParameterHistory',
    );
    const verifying = ssmParameter.verify({ account: '111111111111', region: 'eu-west-1', sourceId: '/payroll/key' }, refusing(denied));
    await expect(verifying).rejects.toBeInstanceOf(Rejection);
    await expect(verifying).rejects.toMatchObject({
      code: 'not-opted-in',
      message: expect.stringMatching(/\/payroll\/key in 111111111111\/eu-west-1 .*ssmParameters\.paths/),
    });
  });

  it('leaves other errors to the pipeline (a throttled call is retried)', async () => {
    const throttled = awsError('ThrottlingException', 'Rate exceeded');
    await expect(
      ssmParameter.verify({ account: '111111111111', region: 'eu-west-1', sourceId: '/orders/key' }, refusing(throttled)),
    ).rejects.toBe(throttled);
  });
});
