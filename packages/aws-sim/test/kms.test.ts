import { createPublicKey, verify } from 'node:crypto';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  PutKeyPolicyCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { beforeEach, describe, expect, it } from 'vitest';
import { SimCloud } from '../src/index.js';
import { type Principal, rootArn } from '../src/services/iam/iam.js';
import type { KmsSim } from '../src/services/kms/kms.js';
import { allowing, trustedByNobody } from './policies.js';

const SOURCE = '111111111111';
const VAULT = '999999999999';
const OTHER = '222222222222';
const REGION = 'eu-west-1';
const EC2_VIA = { viaService: `ec2.${REGION}.amazonaws.com` };

let cloud: SimCloud;
let kms: KmsSim;

beforeEach(() => {
  cloud = new SimCloud();
  cloud.addAccount({ id: SOURCE, orgId: 'o-abc123' });
  cloud.addAccount({ id: VAULT, orgId: 'o-abc123' });
  cloud.addAccount({ id: OTHER, orgId: 'o-other' });
  kms = cloud.kms;
});

const client = (account: string) => new KMSClient(cloud.clientConfig(cloud.adminCredentials(account), REGION));
const root = (account: string): Principal => ({ account, arn: rootArn(account) });
/** A role session whose identity policy allows only `allow`. */
const role = (account: string, name: string, allow: string[]): Principal => {
  const definition = cloud.iam.putRole({ account, name, trustPolicy: trustedByNobody, policies: allowing(...allow) });
  return { account, arn: definition.arn, sessionArn: `arn:aws:sts::${account}:assumed-role/${name}/s`, role: definition };
};
/** A key policy: the owner's root keeps control, plus the given statements. */
const policyWith = (owner: string, ...statements: object[]) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: rootArn(owner) }, Action: 'kms:*', Resource: '*' }, ...statements],
  });
const useBy = (principal: string | string[], extra: object = {}) => ({
  Effect: 'Allow',
  Principal: { AWS: principal },
  Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'],
  Resource: '*',
  ...extra,
});

describe('simulated KMS: key policy and IAM', () => {
  it('lets the owning account use a key with the default policy, by id, alias or ARN', async () => {
    const key = kms.createKey(SOURCE, REGION, { alias: 'share' });
    const owner = client(SOURCE);
    for (const keyId of [key.keyId, 'alias/share', key.arn]) {
      const { KeyMetadata } = await owner.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(KeyMetadata).toMatchObject({ Arn: key.arn, AWSAccountId: SOURCE, KeyManager: 'CUSTOMER', KeyState: 'Enabled', Enabled: true });
    }
  });

  it('refuses another account unless the key policy names it, and then only by ARN', async () => {
    const key = kms.createKey(SOURCE, REGION, { alias: 'share' });
    const vault = client(VAULT);
    await expect(vault.send(new DescribeKeyCommand({ KeyId: key.arn }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    kms.putKeyPolicy(key, policyWith(SOURCE, useBy(rootArn(VAULT))), root(SOURCE));
    const { KeyMetadata } = await vault.send(new DescribeKeyCommand({ KeyId: key.arn }));
    expect(KeyMetadata?.Arn).toBe(key.arn);
    // Key ids and alias names resolve in the caller's own account.
    await expect(vault.send(new DescribeKeyCommand({ KeyId: key.keyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(vault.send(new DescribeKeyCommand({ KeyId: 'alias/share' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('needs both the key policy and the other account IAM for cross-account use', () => {
    const key = kms.createKey(SOURCE, REGION, { policy: policyWith(SOURCE, useBy(rootArn(VAULT))) });
    const withoutKms = role(VAULT, 'copier', ['ec2:*']);
    const withKms = role(VAULT, 'copier-kms', ['ec2:*', 'kms:*']);
    expect(() => kms.authorize(key.arn, withoutKms, 'Decrypt')).toThrow(/because no identity-based policy allows the kms:Decrypt action/);
    expect(kms.authorize(key.arn, withKms, 'Decrypt').arn).toBe(key.arn);
    // Naming the role itself does not spare it the IAM side across accounts.
    kms.putKeyPolicy(key, policyWith(SOURCE, useBy(withoutKms.arn)), root(SOURCE));
    expect(() => kms.authorize(key.arn, withoutKms, 'Decrypt')).toThrow(/identity-based/);
  });

  it('lets a same-account role named in the key policy in without IAM, but a root-only policy delegates to IAM', () => {
    const reader = role(SOURCE, 'reader', ['ec2:*']);
    const key = kms.createKey(SOURCE, REGION);
    expect(() => kms.authorize(key.arn, reader, 'Decrypt')).toThrow(/identity-based/);
    kms.putKeyPolicy(key, policyWith(SOURCE, useBy(reader.arn)), root(SOURCE));
    expect(kms.authorize(key.arn, reader, 'Decrypt').arn).toBe(key.arn);
  });

  it('lets an explicit Deny win over every Allow', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: rootArn(VAULT) }, Action: 'kms:Decrypt', Resource: '*' };
    const key = kms.createKey(SOURCE, REGION, { policy: policyWith(SOURCE, useBy(rootArn(VAULT)), deny) });
    expect(() => kms.authorize(key.arn, root(VAULT), 'Decrypt')).toThrow(/with an explicit deny in a resource-based policy/);
    expect(kms.authorize(key.arn, root(VAULT), 'Encrypt').arn).toBe(key.arn);
  });

  it('evaluates kms:CallerAccount, kms:ViaService and aws:PrincipalOrgID conditions', () => {
    const viaEc2 = useBy('*', {
      Condition: { StringEquals: { 'kms:ViaService': EC2_VIA.viaService }, StringLike: { 'aws:PrincipalOrgID': 'o-abc*' } },
    });
    const key = kms.createKey(SOURCE, REGION, { policy: policyWith(SOURCE, viaEc2) });
    expect(() => kms.authorize(key.arn, root(VAULT), 'Decrypt')).toThrow(/no resource-based policy/);
    expect(kms.authorize(key.arn, root(VAULT), 'Decrypt', EC2_VIA).arn).toBe(key.arn);
    expect(() => kms.authorize(key.arn, root(OTHER), 'Decrypt', EC2_VIA)).toThrow(/no resource-based policy/);
  });

  it('evaluates a condition on a key the request does not carry as IAM does: negated operators hold, the others do not', () => {
    // Requests through the SDK carry no aws:SourceVpc: StringNotEquals holds, StringEquals does not.
    const absentAllow = useBy(rootArn(VAULT), { Condition: { StringNotEquals: { 'aws:SourceVpc': 'vpc-1' } } });
    const key = kms.createKey(SOURCE, REGION, { policy: policyWith(SOURCE, absentAllow) });
    expect(kms.authorize(key.arn, root(VAULT), 'Decrypt').arn).toBe(key.arn);
    const absentDeny = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } },
    };
    kms.putKeyPolicy(key, policyWith(SOURCE, useBy(rootArn(VAULT)), absentDeny), root(SOURCE));
    expect(kms.authorize(key.arn, root(VAULT), 'Decrypt').arn).toBe(key.arn);
    const presentDeny = { ...absentDeny, Condition: { StringEquals: { 'kms:CallerAccount': VAULT } } };
    kms.putKeyPolicy(key, policyWith(SOURCE, useBy(rootArn(VAULT)), presentDeny), root(SOURCE));
    expect(() => kms.authorize(key.arn, root(VAULT), 'Decrypt')).toThrow(/explicit deny/);
  });

  it('keeps the AWS managed aws/ebs key to its own account and to use through EC2', async () => {
    const key = kms.awsManagedKey(SOURCE, REGION, 'ebs');
    expect(kms.awsManagedKey(SOURCE, REGION, 'ebs')).toBe(key);
    expect(kms.authorize(key.arn, root(SOURCE), 'Decrypt', EC2_VIA).arn).toBe(key.arn);
    expect(() => kms.authorize(key.arn, root(VAULT), 'Decrypt', EC2_VIA)).toThrow(/AccessDenied|not authorized/);
    const owner = client(SOURCE);
    const { KeyMetadata } = await owner.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }));
    expect(KeyMetadata).toMatchObject({ KeyManager: 'AWS', Arn: key.arn });
    await expect(owner.send(new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(owner.send(new PutKeyPolicyCommand({ KeyId: key.arn, Policy: policyWith(SOURCE) }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});

describe('simulated KMS: cryptography through the SDK', () => {
  it('decrypts only for principals allowed to use the key, and only with the same encryption context', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const context = { parameter: '/app/db/password' };
    const { CiphertextBlob, KeyId } = await client(SOURCE).send(
      new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('s3cret'), EncryptionContext: context }),
    );
    expect(KeyId).toBe(key.arn);
    const { Plaintext } = await client(SOURCE).send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(Plaintext!).toString()).toBe('s3cret');
    await expect(client(VAULT).send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(client(SOURCE).send(new DecryptCommand({ CiphertextBlob }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(client(SOURCE).send(new DecryptCommand({ CiphertextBlob: Buffer.from('garbage') }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });

  it('generates data keys whose ciphertext decrypts back to the plaintext key', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const owner = client(SOURCE);
    const dataKey = await owner.send(new GenerateDataKeyCommand({ KeyId: key.arn, KeySpec: 'AES_256' }));
    expect(dataKey.Plaintext).toHaveLength(32);
    const { Plaintext } = await owner.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, KeyId: key.keyId }));
    expect(Buffer.from(Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
    const other = kms.createKey(SOURCE, REGION);
    await expect(owner.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, KeyId: other.arn }))).rejects.toMatchObject({
      name: 'IncorrectKeyException',
    });
  });

  it('refuses cryptographic use of a disabled key until it is enabled again', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const owner = client(SOURCE);
    await owner.send(new DisableKeyCommand({ KeyId: key.arn }));
    await expect(owner.send(new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
      name: 'DisabledException',
    });
    expect((await owner.send(new DescribeKeyCommand({ KeyId: key.arn }))).KeyMetadata?.KeyState).toBe('Disabled');
    await owner.send(new EnableKeyCommand({ KeyId: key.arn }));
    expect((await owner.send(new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('x') }))).KeyId).toBe(key.arn);
  });
});

describe('simulated KMS: grants, policies and aliases through the SDK', () => {
  it('gives a grantee the granted operations only, until the grant is retired', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const { CiphertextBlob } = await client(SOURCE).send(new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('data') }));
    const vault = client(VAULT);
    await expect(vault.send(new DecryptCommand({ CiphertextBlob }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const { GrantId, GrantToken } = await client(SOURCE).send(
      new CreateGrantCommand({
        KeyId: key.arn,
        GranteePrincipal: rootArn(VAULT),
        Operations: ['Decrypt'],
        RetiringPrincipal: rootArn(VAULT),
      }),
    );
    expect(Buffer.from((await vault.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!).toString()).toBe('data');
    await expect(vault.send(new EncryptCommand({ KeyId: key.arn, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    const { Grants } = await client(SOURCE).send(new ListGrantsCommand({ KeyId: key.arn }));
    expect(Grants).toEqual([
      expect.objectContaining({ GrantId, GranteePrincipal: rootArn(VAULT), Operations: ['Decrypt'], IssuingAccount: rootArn(SOURCE) }),
    ]);
    await expect(client(OTHER).send(new RetireGrantCommand({ GrantToken }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await vault.send(new RetireGrantCommand({ GrantToken }));
    await expect(vault.send(new DecryptCommand({ CiphertextBlob }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('revokes grants and validates grant operations', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const owner = client(SOURCE);
    const { GrantId } = await owner.send(
      new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: rootArn(VAULT), Operations: ['Decrypt'] }),
    );
    await owner.send(new RevokeGrantCommand({ KeyId: key.arn, GrantId }));
    expect((await owner.send(new ListGrantsCommand({ KeyId: key.arn }))).Grants).toEqual([]);
    await expect(owner.send(new RevokeGrantCommand({ KeyId: key.arn, GrantId }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(
      owner.send(new CreateGrantCommand({ KeyId: key.arn, GranteePrincipal: rootArn(VAULT), Operations: ['Teleport' as 'Decrypt'] })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('returns and replaces the key policy, refusing malformed policies and lockouts', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const owner = client(SOURCE);
    expect(
      JSON.parse((await owner.send(new GetKeyPolicyCommand({ KeyId: key.arn, PolicyName: 'default' }))).Policy!).Statement[0].Principal.AWS,
    ).toBe(rootArn(SOURCE));
    const shared = policyWith(SOURCE, useBy(rootArn(VAULT)));
    await owner.send(new PutKeyPolicyCommand({ KeyId: key.arn, Policy: shared }));
    expect((await owner.send(new GetKeyPolicyCommand({ KeyId: key.arn }))).Policy).toBe(shared);
    await expect(owner.send(new PutKeyPolicyCommand({ KeyId: key.arn, Policy: '{"Statement": ' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });
    const lockout = JSON.stringify({ Version: '2012-10-17', Statement: [useBy(rootArn(VAULT))] });
    await expect(owner.send(new PutKeyPolicyCommand({ KeyId: key.arn, Policy: lockout }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: expect.stringMatching(/will not allow you to update the key policy/),
    });
    expect((await owner.send(new GetKeyPolicyCommand({ KeyId: key.arn }))).Policy).toBe(shared);
  });

  it('creates and lists aliases of the caller account only, refusing the reserved aws/ prefix', async () => {
    const key = kms.createKey(SOURCE, REGION);
    const owner = client(SOURCE);
    await owner.send(new CreateAliasCommand({ AliasName: 'alias/backup-hub-share', TargetKeyId: key.keyId }));
    await expect(owner.send(new CreateAliasCommand({ AliasName: 'alias/backup-hub-share', TargetKeyId: key.keyId }))).rejects.toMatchObject(
      { name: 'AlreadyExistsException' },
    );
    await expect(owner.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: key.keyId }))).rejects.toMatchObject({
      name: 'InvalidAliasNameException',
    });
    const { Aliases } = await owner.send(new ListAliasesCommand({}));
    expect(Aliases).toEqual([
      expect.objectContaining({
        AliasName: 'alias/backup-hub-share',
        TargetKeyId: key.keyId,
        AliasArn: `arn:aws:kms:${REGION}:${SOURCE}:alias/backup-hub-share`,
      }),
    ]);
    expect((await client(VAULT).send(new ListAliasesCommand({}))).Aliases).toEqual([]);
  });
});

describe('simulated KMS: asymmetric signing keys through the SDK', () => {
  const message = Buffer.from('audit head #42: 9f2c');
  const signWith = (keyId: string, extra: object = {}) =>
    new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256', ...extra });

  it('signs with ECDSA_SHA_256 a signature that the public key verifies outside KMS, and Verify inside', async () => {
    const key = kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256', alias: 'anchor' });
    const owner = client(VAULT);
    const signed = await owner.send(signWith('alias/anchor'));
    expect(signed).toMatchObject({ KeyId: key.arn, SigningAlgorithm: 'ECDSA_SHA_256' });
    const { PublicKey, KeySpec, KeyUsage, SigningAlgorithms } = await owner.send(new GetPublicKeyCommand({ KeyId: key.arn }));
    expect({ KeySpec, KeyUsage, SigningAlgorithms }).toEqual({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    });
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', message, publicKey, Buffer.from(signed.Signature!))).toBe(true);
    const verified = await owner.send(
      new VerifyCommand({ KeyId: key.arn, Message: message, Signature: signed.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
    );
    expect(verified).toMatchObject({ KeyId: key.arn, SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' });
    const { KeyMetadata } = await owner.send(new DescribeKeyCommand({ KeyId: key.arn }));
    expect(KeyMetadata).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] });
    expect(KeyMetadata?.EncryptionAlgorithms).toBeUndefined();
  });

  it('answers a signature over another message with KMSInvalidSignatureException, not SignatureValid false', async () => {
    const key = kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256' });
    const owner = client(VAULT);
    const { Signature } = await owner.send(signWith(key.arn));
    await expect(
      owner.send(
        new VerifyCommand({ KeyId: key.arn, Message: Buffer.from('audit head #42: 0000'), Signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
      ),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
  });

  it('refuses the wrong key usage, an algorithm of another key spec, a symmetric key public key and an unsimulated DIGEST', async () => {
    const signing = kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256' });
    const symmetric = kms.createKey(VAULT, REGION);
    const owner = client(VAULT);
    await expect(owner.send(new EncryptCommand({ KeyId: signing.arn, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
    await expect(owner.send(signWith(symmetric.arn))).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });
    await expect(owner.send(signWith(signing.arn, { SigningAlgorithm: 'ECDSA_SHA_384' }))).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
    await expect(owner.send(new GetPublicKeyCommand({ KeyId: symmetric.arn }))).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
    });
    await expect(owner.send(signWith(signing.arn, { MessageType: 'DIGEST' }))).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
    });
  });

  it('lets only the principal the key policy names sign, while the account verifies, and refuses a disabled key', async () => {
    const writer = role(VAULT, 'audit-writer', ['kms:Sign']);
    const other = role(VAULT, 'pruner', ['kms:*']);
    const signOnly = {
      Effect: 'Allow',
      Principal: { AWS: writer.arn },
      Action: 'kms:Sign',
      Resource: '*',
      Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'RAW' } },
    };
    const verifyByAccount = {
      Effect: 'Allow',
      Principal: { AWS: rootArn(VAULT) },
      Action: ['kms:Verify', 'kms:GetPublicKey'],
      Resource: '*',
    };
    const policy = { Version: '2012-10-17', Statement: [signOnly, verifyByAccount] };
    const key = kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256', policy: JSON.stringify(policy) });
    const signing = { algorithm: 'ECDSA_SHA_256', messageType: 'RAW' };
    expect(kms.authorize(key.arn, writer, 'Sign', { signing }).arn).toBe(key.arn);
    expect(() => kms.authorize(key.arn, other, 'Sign', { signing })).toThrow(/no resource-based policy allows the kms:Sign action/);
    expect(() => kms.authorize(key.arn, writer, 'Sign', { signing: { ...signing, messageType: 'DIGEST' } })).toThrow(/kms:Sign/);
    expect(kms.authorize(key.arn, other, 'GetPublicKey').arn).toBe(key.arn);
    key.enabled = false;
    expect(() => kms.authorize(key.arn, writer, 'Sign', { signing })).toThrow(/is disabled/);
  });
});
