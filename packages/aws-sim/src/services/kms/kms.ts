import type { CloudCore } from '../../core/cloud-core.js';
import { AwsError } from '../../core/errors.js';
import type { CallContext } from '../../core/service.js';
import type { AuthorizationRequest } from '../../iam/authorizer.js';
import type { PolicyDocument } from '../../policy/resource-policy.js';
import type { Principal } from '../iam/iam.js';
import { invalidCiphertext, sameContext, seal, unseal } from './ciphertext.js';
import { type GrantRequest, type KeySpec, type KmsGrant, KmsKey, keyArnOf } from './key.js';
import { type AwsManagedService, awsManagedKeyDescription, awsManagedKeyPolicy, defaultKeyPolicy } from './key-policy.js';

export interface CreateKeyOptions {
  /** An alias name, with or without the `alias/` prefix. */
  alias?: string;
  description?: string;
  /** The key policy (document or JSON text); AWS's default key policy when absent. */
  policy?: string | PolicyDocument;
  /** SYMMETRIC_DEFAULT when absent; an ECC_NIST_* spec makes a SIGN_VERIFY key. */
  keySpec?: KeySpec;
}

/** How a service uses a key on the caller's behalf (the `kms:ViaService` and grant condition keys). */
export interface KmsVia {
  /** e.g. `ec2.eu-west-1.amazonaws.com` */
  viaService?: string;
  /** The service creates the grant for an AWS resource (`kms:GrantIsForAWSResource`). */
  grantIsForAwsResource?: boolean;
  /** CreateGrant's operations (`kms:GrantOperations`). */
  grantOperations?: string[];
  /** Sign's and Verify's `kms:SigningAlgorithm` and `kms:MessageType`. */
  signing?: { algorithm: string; messageType: string };
}

/** An alias: a name in an account and region pointing at one key. */
export interface KmsAlias {
  name: string;
  arn: string;
  targetKeyArn: string;
  creationDate: Date;
}

/** Operations only an ENCRYPT_DECRYPT key serves. */
const ENCRYPTING = new Set(['Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext']);
/** Operations that refuse a disabled key. */
const CRYPTOGRAPHIC = new Set([...ENCRYPTING, 'Sign', 'Verify', 'GetPublicKey']);
/** Operations KMS allows on a key of another account (named by key or alias ARN); the others resolve in the caller's account only. */
export const CROSS_ACCOUNT = new Set([...CRYPTOGRAPHIC, 'DescribeKey', 'CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant']);

export const aliasArnOf = (region: string, account: string, name: string) => `arn:aws:kms:${region}:${account}:${name}`;

/**
 * Simulated KMS (symmetric keys and elliptic-curve signing keys, JSON 1.1 protocol). Access follows KMS: the key policy first (an
 * explicit deny wins), grants next; naming the account delegates to IAM, and cross-account use
 * always needs both the key's side and the caller's own IAM. Other simulated services use
 * {@link KmsSim.authorize}, {@link KmsSim.encrypt} and {@link KmsSim.decrypt}.
 */
export class KmsSim {
  readonly #keys = new Map<string, KmsKey>();
  readonly #aliases = new Map<string, KmsAlias>();

  constructor(readonly cloud: CloudCore) {}

  /**
   * Creates a customer managed key, optionally with an alias.
   * @throws AwsError MalformedPolicyDocumentException, LimitExceededException (the key policy's size), AlreadyExistsException
   */
  createKey(account: string, region: string, options: CreateKeyOptions = {}): KmsKey {
    const key = new KmsKey(
      account,
      region,
      'CUSTOMER',
      options.description ?? '',
      options.policy ?? defaultKeyPolicy(account),
      this.cloud.clock.now(),
      options.keySpec,
    );
    this.#checkPolicySize(key, key.policyText);
    if (options.alias) this.putAlias(account, region, options.alias, key.arn);
    this.#keys.set(key.arn, key);
    return key;
  }

  /** The customer managed key an alias names in an account and region, made (with that alias) on first use. */
  aliasedKey(account: string, region: string, alias: string, description: string): KmsKey {
    const existing = this.#aliases.get(aliasArnOf(region, account, alias.startsWith('alias/') ? alias : `alias/${alias}`));
    return (existing && this.#keys.get(existing.targetKeyArn)) ?? this.createKey(account, region, { alias, description });
  }

  /** The account's `aws/<service>` key in a region, created on first use as AWS does. */
  awsManagedKey(account: string, region: string, service: AwsManagedService): KmsKey {
    const existing = this.#aliases.get(aliasArnOf(region, account, `alias/aws/${service}`));
    if (existing) return this.#keys.get(existing.targetKeyArn)!;
    const key = new KmsKey(
      account,
      region,
      'AWS',
      awsManagedKeyDescription(service),
      awsManagedKeyPolicy(account, region, service),
      this.cloud.clock.now(),
    );
    this.#keys.set(key.arn, key);
    this.putAlias(account, region, `aws/${service}`, key.arn);
    return key;
  }

  /**
   * Points an alias at a key of the same account and region (no reserved-prefix check: AWS itself
   * creates `aws/` aliases through here).
   * @throws AwsError AlreadyExistsException
   */
  putAlias(account: string, region: string, aliasName: string, keyArn: string): KmsAlias {
    const name = aliasName.startsWith('alias/') ? aliasName : `alias/${aliasName}`;
    const arn = aliasArnOf(region, account, name);
    if (this.#aliases.has(arn)) throw new AwsError('AlreadyExistsException', `An alias with the name ${arn} already exists`);
    const alias = { name, arn, targetKeyArn: keyArn, creationDate: this.cloud.clock.now() };
    this.#aliases.set(arn, alias);
    return alias;
  }

  /** The aliases of an account in a region. */
  aliases(account: string, region: string): KmsAlias[] {
    return [...this.#aliases.values()].filter((a) => a.arn.startsWith(`arn:aws:kms:${region}:${account}:`));
  }

  /** A key by ARN, if it exists. */
  key(keyArn: string): KmsKey | undefined {
    return this.#keys.get(keyArn);
  }

  /**
   * Resolves a key id, key ARN, alias name or alias ARN as KMS does: ids and alias names in the
   * caller's account and region, ARNs as written (and only in that region).
   * @throws AwsError NotFoundException
   */
  resolveKey(keyIdOrArnOrAlias: string, callerAccount: string, region: string): KmsKey {
    const id = keyIdOrArnOrAlias;
    const arn = id.startsWith('arn:')
      ? id
      : id.startsWith('alias/')
        ? aliasArnOf(region, callerAccount, id)
        : keyArnOf(region, callerAccount, id);
    const isAlias = arn.includes(':alias/');
    const keyArn = isAlias ? this.#aliases.get(arn)?.targetKeyArn : arn;
    const key = keyArn !== undefined && arn.split(':')[3] === region ? this.#keys.get(keyArn) : undefined;
    if (!key) throw new AwsError('NotFoundException', isAlias ? `Alias ${arn} is not found.` : `Key '${arn}' does not exist`);
    return key;
  }

  /**
   * What KMS authorizes when a principal runs `kms:<action>` on a key: the key policy (an explicit
   * deny wins; naming the account delegates to its IAM, naming the principal suffices in the key's
   * account; another account always needs its own IAM too), the principal's IAM, and the key's
   * grants, with KMS's condition keys.
   */
  keyRequest(key: KmsKey, principal: Principal, action: string, via: KmsVia = {}): AuthorizationRequest {
    const grant = key.grantFor(principal, action);
    return {
      action: `kms:${action}`,
      resource: key.arn,
      resourceAccount: key.account,
      resourcePolicy: { type: 'key policy', owner: key.arn, document: key.policy },
      ...(grant
        ? { grant: { match: grant.match, grant: { type: 'grant', policy: key.arn, sid: grant.grant.name ?? grant.grant.grantId } } }
        : {}),
      ...(via.viaService ? { via: via.viaService } : {}),
      context: {
        'kms:CallerAccount': principal.account,
        'kms:ViaService': via.viaService,
        'kms:ResourceAliases': this.aliases(key.account, key.region)
          .filter((a) => a.targetKeyArn === key.arn)
          .map((a) => a.name),
        'kms:KeyOrigin': 'AWS_KMS',
        'kms:KeySpec': key.keySpec,
        'kms:KeyUsage': key.keyUsage,
        ...(via.signing ? { 'kms:SigningAlgorithm': via.signing.algorithm, 'kms:MessageType': via.signing.messageType } : {}),
        ...(action === 'CreateGrant'
          ? { 'kms:GrantIsForAWSResource': String(via.grantIsForAwsResource === true), 'kms:GrantOperations': via.grantOperations }
          : {}),
      },
    };
  }

  /**
   * The decision every use of a key by another service goes through: may `principal` run
   * `kms:<action>` on the key (see {@link keyRequest})? A disabled key refuses cryptographic
   * operations. The decision is recorded on the call being served.
   * @returns the key
   * @throws AwsError NotFoundException, DisabledException, AccessDeniedException
   */
  authorize(keyArn: string, principal: Principal, action: string, via: KmsVia = {}): KmsKey {
    const key = this.#keys.get(keyArn);
    if (!key) throw new AwsError('NotFoundException', `Key '${keyArn}' does not exist`);
    this.cloud.authorize(principal, [this.keyRequest(key, principal, action, via)], key.region);
    return this.#usable(keyArn, action);
  }

  /**
   * A key named in an API call (authorized before the call runs). Only the cross-account
   * operations may name another account's key (by ARN); a disabled key refuses cryptographic ones.
   * @throws AwsError NotFoundException, DisabledException
   */
  keyForCall(keyId: string, ctx: CallContext, action: string): KmsKey {
    const key = this.resolveKey(keyId, ctx.account, ctx.region);
    if (key.account !== ctx.account && !CROSS_ACCOUNT.has(action))
      throw new AwsError('NotFoundException', `Key '${key.arn}' does not exist`);
    return this.#usable(key.arn, action);
  }

  /** A key that exists and, for a cryptographic operation, is enabled and of the usage the operation needs. */
  #usable(keyArn: string, action: string): KmsKey {
    const key = this.#keys.get(keyArn);
    if (!key) throw new AwsError('NotFoundException', `Key '${keyArn}' does not exist`);
    if (!key.enabled && CRYPTOGRAPHIC.has(action)) throw new AwsError('DisabledException', `${key.arn} is disabled.`);
    if (ENCRYPTING.has(action) && key.keyUsage !== 'ENCRYPT_DECRYPT')
      throw new AwsError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage} which is not valid for ${action}.`);
    return key;
  }

  /**
   * Replaces a key policy. Unless bypassed, KMS's lockout safety check refuses a policy under which
   * the caller could no longer change the policy.
   * @throws AwsError MalformedPolicyDocumentException
   */
  putKeyPolicy(key: KmsKey, text: string, principal: Principal, bypassLockoutCheck = false): void {
    this.#checkPolicySize(key, text);
    const previous = key.policyText;
    key.setPolicy(text);
    if (bypassLockoutCheck) return;
    // A check of the policy, not a request: decided without being recorded.
    if (!this.cloud.authorizer.authorize(principal, this.keyRequest(key, principal, 'PutKeyPolicy'), key.region).allowed) {
      key.setPolicy(previous);
      throw new AwsError(
        'MalformedPolicyDocumentException',
        'The new key policy will not allow you to update the key policy in the future.',
      );
    }
  }

  /** "Key policy documents can be up to 32 kilobytes (32,768 bytes)" (AWS KMS Developer Guide, Key policies). */
  #checkPolicySize(key: KmsKey, policy: string): void {
    const bytes = Buffer.byteLength(policy);
    this.cloud.quotas.check(
      { quota: 'kms.keyPolicySize', account: key.account, region: key.region, subject: key.arn, value: bytes },
      (limit) => new AwsError('LimitExceededException', `The key policy is ${bytes} bytes; a key policy can be at most ${limit} bytes.`),
    );
  }

  /** The grant a grant token stands for, with its key. */
  grantByToken(token: string): { key: KmsKey; grant: KmsGrant } | undefined {
    for (const key of this.#keys.values()) {
      const grant = key.grants.find((g) => g.grantToken === token);
      if (grant) return { key, grant };
    }
    return undefined;
  }

  /**
   * Encrypts for a principal (other simulated services encrypting on a caller's behalf). A service
   * that encrypts with a data key (S3) authorizes the caller for `GenerateDataKey` instead of `Encrypt`.
   * @returns the ciphertext blob
   */
  encrypt(
    keyArn: string,
    principal: Principal,
    plaintext: Uint8Array,
    options: { encryptionContext?: Record<string, string>; via?: KmsVia; as?: 'Encrypt' | 'GenerateDataKey' } = {},
  ): Buffer {
    const key = this.authorize(keyArn, principal, options.as ?? 'Encrypt', options.via);
    return seal({ keyArn: key.arn, plaintext: Buffer.from(plaintext), encryptionContext: options.encryptionContext ?? {} });
  }

  /**
   * Decrypts for a principal, who must be allowed kms:Decrypt on the key the ciphertext names.
   * @throws AwsError InvalidCiphertextException, IncorrectKeyException, and those of {@link KmsSim.authorize}
   */
  decrypt(
    ciphertext: Uint8Array,
    principal: Principal,
    options: { keyArn?: string; encryptionContext?: Record<string, string>; via?: KmsVia } = {},
  ): { keyArn: string; plaintext: Buffer } {
    const sealed = unseal(ciphertext);
    if (options.keyArn !== undefined && options.keyArn !== sealed.keyArn) {
      throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
    }
    // A direct Decrypt call was authorized before it ran; a service decrypting for its caller asks here.
    if (options.via) this.authorize(sealed.keyArn, principal, 'Decrypt', options.via);
    else this.#usable(sealed.keyArn, 'Decrypt');
    if (!sameContext(sealed.encryptionContext, options.encryptionContext ?? {})) throw invalidCiphertext();
    return { keyArn: sealed.keyArn, plaintext: sealed.plaintext };
  }

  /**
   * Creates a grant for a principal allowed kms:CreateGrant (a service does so for a resource).
   * @throws AwsError ValidationException, and those of {@link KmsSim.authorize}
   */
  createGrant(keyArn: string, principal: Principal, request: GrantRequest, via?: KmsVia): KmsGrant {
    const key = via ? this.authorize(keyArn, principal, 'CreateGrant', { ...via, grantOperations: request.operations }) : this.key(keyArn);
    if (!key) throw new AwsError('NotFoundException', `Key '${keyArn}' does not exist`);
    return key.addGrant(principal, request, this.cloud.clock.now());
  }

  /** Forgets an account's keys and aliases (disaster drills). */
  removeAccount(account: string): void {
    for (const [arn, key] of this.#keys) if (key.account === account) this.#keys.delete(arn);
    for (const [arn] of this.#aliases) if (arn.split(':')[4] === account) this.#aliases.delete(arn);
  }
}
