import { randomBytes } from 'node:crypto';
import { AwsError } from '../../../core/errors.js';
import type { CallContext, SimService } from '../../../core/service.js';
import type { AuthorizationRequest } from '../../../iam/authorizer.js';
import { JsonInput } from '../../../protocol/json-input.js';
import { rootArn } from '../../iam/iam.js';
import { seal, unseal } from '../ciphertext.js';
import type { KmsGrant, KmsKey } from '../key.js';
import { aliasArnOf, CROSS_ACCOUNT, type KmsSim } from '../kms.js';

/** A decoded KMS request, with the boolean parameters JSON carries natively. */
export class KmsInput extends JsonInput {
  constructor(private readonly raw: Record<string, unknown>) {
    super(raw, { missing: 'ValidationException', invalid: 'ValidationException' });
  }

  /** An optional boolean parameter (false when absent). */
  flag(name: string): boolean {
    const value = this.raw[name] ?? false;
    if (typeof value !== 'boolean') throw this.invalid(name, value, 'must be a boolean');
    return value;
  }
}

type Action = (kms: KmsSim, input: KmsInput, ctx: CallContext) => unknown;

const ALGORITHM = 'SYMMETRIC_DEFAULT';
/** Encrypt takes at most 4 KiB of plaintext; data keys are 1 to 1024 bytes. */
const MAX_PLAINTEXT_BYTES = 4096;
const DATA_KEY_BYTES: Record<string, number> = { AES_256: 32, AES_128: 16 };

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The KMS API (JSON 1.1 protocol) over the simulated KMS. */
export function kmsApi(kms: KmsSim): SimService {
  return {
    name: 'kms',
    protocol: 'json1.1',
    call(action, input, ctx) {
      const run = kmsActions[action];
      if (!run) throw new AwsError('UnknownOperationException', `The operation ${action} is not supported by the simulation.`);
      return run(kms, new KmsInput(input), ctx);
    },
    authorization: (action, input, ctx) => authorization(kms, action, input, ctx),
  };
}

/**
 * What KMS authorizes for a call: the action on the key it names (Decrypt: the key the ciphertext
 * names; CreateAlias: the alias and the key), with the key policy and grants. A key that does not
 * resolve is left to the action, which answers NotFoundException; RetireGrant is authorized by the
 * grant itself.
 */
function authorization(kms: KmsSim, action: string, raw: Record<string, unknown>, ctx: CallContext): AuthorizationRequest[] {
  if (action === 'RetireGrant') return [];
  if (action === 'ListAliases') return [{ action: 'kms:ListAliases', resource: '*', resourceAccount: ctx.account }];
  const input = new KmsInput(raw);
  let key: KmsKey;
  try {
    const keyId = action === 'CreateAlias' ? input.string('TargetKeyId') : (input.optionalString('KeyId') ?? keyOfCiphertext(input));
    key = kms.resolveKey(keyId, ctx.account, ctx.region);
  } catch {
    return [];
  }
  if (key.account !== ctx.account && !CROSS_ACCOUNT.has(action)) return [];
  const via =
    action === 'CreateGrant'
      ? { grantOperations: input.list<string>('Operations') }
      : action === 'Sign' || action === 'Verify'
        ? { signing: signingOf(input) }
        : {};
  const requests = [kms.keyRequest(key, ctx.caller, action, via)];
  if (action === 'CreateAlias') {
    const alias = aliasArnOf(ctx.region, ctx.account, aliasName(input));
    requests.unshift({ action: 'kms:CreateAlias', resource: alias, resourceAccount: ctx.account });
  }
  return requests;
}

/**
 * CreateAlias's name, validated before anything else.
 * @throws AwsError InvalidAliasNameException
 */
function aliasName(input: KmsInput): string {
  const name = input.string('AliasName');
  if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(name) || name.startsWith('alias/aws/')) {
    throw new AwsError(
      'InvalidAliasNameException',
      `Alias ${name} must begin with 'alias/', must not begin with 'alias/aws/', and may contain only alphanumerics, '/', '_' and '-'.`,
    );
  }
  return name;
}

function keyOfCiphertext(input: KmsInput): string {
  return unseal(Buffer.from(input.string('CiphertextBlob'), 'base64')).keyArn;
}

/** Sign's and Verify's algorithm and message type (RAW when absent), checked before anything else. */
function signingOf(input: KmsInput): { algorithm: string; messageType: string } {
  const messageType = input.optionalString('MessageType') ?? 'RAW';
  if (!['RAW', 'DIGEST', 'EXTERNAL_MU'].includes(messageType))
    throw input.invalid('MessageType', messageType, 'must satisfy enum value set: [RAW, DIGEST, EXTERNAL_MU]');
  return { algorithm: input.string('SigningAlgorithm'), messageType };
}

/**
 * The message to sign or verify: 1 to 4,096 bytes. Only RAW messages are simulated (node:crypto
 * hashes what it signs); a DIGEST or EXTERNAL_MU message is refused as not simulated, never signed wrongly.
 */
function messageOf(input: KmsInput): Buffer {
  const message = Buffer.from(input.string('Message'), 'base64');
  if (message.length < 1 || message.length > MAX_PLAINTEXT_BYTES)
    throw input.invalid('Message', `${message.length} bytes`, `must be 1 to ${MAX_PLAINTEXT_BYTES} bytes`);
  const { messageType } = signingOf(input);
  if (messageType !== 'RAW')
    throw new AwsError('UnsupportedOperationException', `MessageType ${messageType} is not supported by the simulation (only RAW).`);
  return message;
}

/** The KMS API actions the simulation answers, in the JSON 1.1 protocol's shapes (blobs in base64). */
const kmsActions: Record<string, Action> = {
  DescribeKey(kms, input, ctx) {
    return { KeyMetadata: kms.keyForCall(input.string('KeyId'), ctx, 'DescribeKey').metadata() };
  },

  Encrypt(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'Encrypt');
    const plaintext = Buffer.from(input.string('Plaintext'), 'base64');
    if (plaintext.length > MAX_PLAINTEXT_BYTES)
      throw input.invalid('Plaintext', `${plaintext.length} bytes`, `must be at most ${MAX_PLAINTEXT_BYTES} bytes`);
    return { CiphertextBlob: base64(sealFor(key, plaintext, input)), KeyId: key.arn, EncryptionAlgorithm: ALGORITHM };
  },

  Decrypt(kms, input, ctx) {
    const keyId = input.optionalString('KeyId');
    const keyArn = keyId === undefined ? undefined : kms.resolveKey(keyId, ctx.account, ctx.region).arn;
    const opened = kms.decrypt(Buffer.from(input.string('CiphertextBlob'), 'base64'), ctx.caller, {
      keyArn,
      encryptionContext: input.map<string>('EncryptionContext'),
    });
    return { KeyId: opened.keyArn, Plaintext: base64(opened.plaintext), EncryptionAlgorithm: ALGORITHM };
  },

  GenerateDataKey(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'GenerateDataKey');
    const plaintext = randomBytes(dataKeyBytes(input));
    return { CiphertextBlob: base64(sealFor(key, plaintext, input)), Plaintext: base64(plaintext), KeyId: key.arn };
  },

  Sign(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'Sign');
    const algorithm = signingOf(input).algorithm;
    return { KeyId: key.arn, Signature: base64(key.sign(messageOf(input), algorithm)), SigningAlgorithm: algorithm };
  },

  /** An invalid signature is an error, KMSInvalidSignatureException, never `SignatureValid: false` (Verify, AWS KMS API Reference). */
  Verify(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'Verify');
    const algorithm = signingOf(input).algorithm;
    const signature = Buffer.from(input.string('Signature'), 'base64');
    if (!key.verify(messageOf(input), signature, algorithm))
      throw new AwsError(
        'KMSInvalidSignatureException',
        'The request was rejected because the signature verification failed: the signature was not produced by signing this message with this KMS key and signing algorithm.',
      );
    return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm };
  },

  GetPublicKey(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'GetPublicKey');
    if (key.keyUsage === 'ENCRYPT_DECRYPT')
      throw new AwsError('UnsupportedOperationException', `${key.arn} is a symmetric key: it has no public key.`);
    return {
      KeyId: key.arn,
      PublicKey: base64(key.publicKeyDer()),
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      KeyUsage: key.keyUsage,
      SigningAlgorithms: key.signingAlgorithms,
    };
  },

  CreateGrant(kms, input, ctx) {
    const key = kms.resolveKey(input.string('KeyId'), ctx.account, ctx.region);
    const grant = kms.createGrant(key.arn, ctx.caller, {
      granteePrincipal: input.string('GranteePrincipal'),
      operations: input.list<string>('Operations'),
      retiringPrincipal: input.optionalString('RetiringPrincipal'),
      name: input.optionalString('Name'),
    });
    return { GrantId: grant.grantId, GrantToken: grant.grantToken };
  },

  ListGrants(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'ListGrants');
    const grantId = input.optionalString('GrantId');
    const grantee = input.optionalString('GranteePrincipal');
    const grants = key.grants.filter(
      (g) => (grantId === undefined || g.grantId === grantId) && (grantee === undefined || g.granteePrincipal === grantee),
    );
    return { Grants: grants.map((g) => wireGrant(key, g)), Truncated: false };
  },

  RetireGrant(kms, input, ctx) {
    const { key, grant } = retirableGrant(kms, input, ctx);
    key.removeGrant(grant);
    return {};
  },

  RevokeGrant(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'RevokeGrant');
    key.removeGrant(grantById(key, input.string('GrantId')));
    return {};
  },

  GetKeyPolicy(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'GetKeyPolicy');
    policyName(input);
    return { Policy: key.policyText, PolicyName: 'default' };
  },

  PutKeyPolicy(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'PutKeyPolicy');
    policyName(input);
    kms.putKeyPolicy(key, input.string('Policy'), ctx.caller, input.flag('BypassPolicyLockoutSafetyCheck'));
    return {};
  },

  EnableKey(kms, input, ctx) {
    kms.keyForCall(input.string('KeyId'), ctx, 'EnableKey').enabled = true;
    return {};
  },

  DisableKey(kms, input, ctx) {
    kms.keyForCall(input.string('KeyId'), ctx, 'DisableKey').enabled = false;
    return {};
  },

  ScheduleKeyDeletion(kms, input, ctx) {
    const key = kms.keyForCall(input.string('KeyId'), ctx, 'ScheduleKeyDeletion');
    const days = input.optionalInt('PendingWindowInDays', 7, 30) ?? 30;
    key.enabled = false;
    key.deletionDate = new Date(kms.cloud.clock.nowMs() + days * 86_400_000);
    return { KeyId: key.arn, DeletionDate: key.deletionDate.getTime() / 1000, KeyState: 'PendingDeletion', PendingWindowInDays: days };
  },

  CreateAlias(kms, input, ctx) {
    const name = aliasName(input);
    const key = kms.keyForCall(input.string('TargetKeyId'), ctx, 'CreateAlias');
    kms.putAlias(ctx.account, ctx.region, name, key.arn);
    return {};
  },

  ListAliases(kms, input, ctx) {
    const keyId = input.optionalString('KeyId');
    const keyArn = keyId === undefined ? undefined : kms.resolveKey(keyId, ctx.account, ctx.region).arn;
    const aliases = kms.aliases(ctx.account, ctx.region).filter((a) => keyArn === undefined || a.targetKeyArn === keyArn);
    return {
      Aliases: aliases.map((a) => ({
        AliasName: a.name,
        AliasArn: a.arn,
        TargetKeyId: a.targetKeyArn.split('/').pop(),
        CreationDate: a.creationDate.getTime() / 1000,
        LastUpdatedDate: a.creationDate.getTime() / 1000,
      })),
      Truncated: false,
    };
  },
};

function sealFor(key: KmsKey, plaintext: Buffer, input: JsonInput): Buffer {
  return seal({ keyArn: key.arn, plaintext, encryptionContext: input.map<string>('EncryptionContext') });
}

/** GenerateDataKey takes KeySpec or NumberOfBytes, exactly one. */
function dataKeyBytes(input: JsonInput): number {
  const spec = input.optionalString('KeySpec');
  const count = input.optionalInt('NumberOfBytes', 1, 1024);
  if ((spec === undefined) === (count === undefined))
    throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
  if (spec !== undefined && DATA_KEY_BYTES[spec] === undefined) throw input.invalid('KeySpec', spec, 'must be AES_256 or AES_128');
  return count ?? DATA_KEY_BYTES[spec!]!;
}

/** Keys have a single policy, named `default`. */
function policyName(input: JsonInput): void {
  const name = input.optionalString('PolicyName') ?? 'default';
  if (name !== 'default') throw new AwsError('NotFoundException', 'No such policy exists');
}

function grantById(key: KmsKey, grantId: string): KmsGrant {
  const grant = key.grants.find((g) => g.grantId === grantId);
  if (!grant) throw new AwsError('NotFoundException', `Grant ID ${grantId} not found`);
  return grant;
}

/** The grant RetireGrant names (by token, or by key and grant id), once the caller may retire it. */
function retirableGrant(kms: KmsSim, input: KmsInput, ctx: CallContext): { key: KmsKey; grant: KmsGrant } {
  const token = input.optionalString('GrantToken');
  const found = token !== undefined ? findByToken(kms, token) : byKeyAndId(kms, input, ctx);
  if (!mayRetire(found.grant, ctx)) {
    throw new AwsError(
      'AccessDeniedException',
      `User: ${ctx.caller.sessionArn ?? ctx.caller.arn} is not authorized to perform: kms:RetireGrant on resource: ${found.key.arn}`,
    );
  }
  return found;
}

/** A grant's retiring principal may retire it, so may its grantee when the grant allows RetireGrant, and the account that issued it. */
function mayRetire(grant: KmsGrant, ctx: CallContext): boolean {
  const me = [ctx.caller.arn, ctx.caller.sessionArn].filter((arn) => arn !== undefined);
  return (
    (grant.retiringPrincipal !== undefined && me.includes(grant.retiringPrincipal)) ||
    (me.includes(grant.granteePrincipal) && grant.operations.includes('RetireGrant')) ||
    grant.issuingAccount === rootArn(ctx.account)
  );
}

function byKeyAndId(kms: KmsSim, input: KmsInput, ctx: CallContext): { key: KmsKey; grant: KmsGrant } {
  const key = kms.resolveKey(input.string('KeyId'), ctx.account, ctx.region);
  return { key, grant: grantById(key, input.string('GrantId')) };
}

function findByToken(kms: KmsSim, token: string): { key: KmsKey; grant: KmsGrant } {
  const found = kms.grantByToken(token);
  if (!found) throw new AwsError('InvalidGrantTokenException', 'The grant token is invalid.');
  return found;
}

function wireGrant(key: KmsKey, grant: KmsGrant): Record<string, unknown> {
  return {
    KeyId: key.arn,
    GrantId: grant.grantId,
    Name: grant.name,
    CreationDate: grant.creationDate.getTime() / 1000,
    GranteePrincipal: grant.granteePrincipal,
    RetiringPrincipal: grant.retiringPrincipal,
    IssuingAccount: grant.issuingAccount,
    Operations: grant.operations,
  };
}
