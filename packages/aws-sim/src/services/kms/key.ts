import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { AwsError } from '../../core/errors.js';
import type { PolicyDocument } from '../../policy/resource-policy.js';
import { type Principal, rootArn } from '../iam/iam.js';
import { parseKeyPolicy } from './key-policy.js';

export type KeyManager = 'CUSTOMER' | 'AWS';

/**
 * The key specs the simulation creates, with the algorithms AWS lists for each ("Key spec reference",
 * AWS KMS Developer Guide): symmetric keys, and the NIST elliptic curves for signing.
 */
export const KEY_SPECS = {
  SYMMETRIC_DEFAULT: { usage: 'ENCRYPT_DECRYPT', signing: {} },
  ECC_NIST_P256: { usage: 'SIGN_VERIFY', curve: 'prime256v1', signing: { ECDSA_SHA_256: 'sha256' } },
  ECC_NIST_P384: { usage: 'SIGN_VERIFY', curve: 'secp384r1', signing: { ECDSA_SHA_384: 'sha384' } },
  ECC_NIST_P521: { usage: 'SIGN_VERIFY', curve: 'secp521r1', signing: { ECDSA_SHA_512: 'sha512' } },
} as const satisfies Record<string, { usage: KeyUsage; curve?: string; signing: Record<string, string> }>;

export type KeySpec = keyof typeof KEY_SPECS;
export type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';

/** The operations a grant can allow (the KMS `GrantOperation` values the simulation uses). */
export const GRANT_OPERATIONS = new Set([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'Sign',
  'Verify',
  'GetPublicKey',
]);

/** A grant on a key: who may run which operations, and who may retire it. */
export interface KmsGrant {
  grantId: string;
  grantToken: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  name?: string;
  /** The root ARN of the account that created the grant. */
  issuingAccount: string;
  creationDate: Date;
}

/** What CreateGrant asks for. */
export interface GrantRequest {
  granteePrincipal: string;
  operations: string[];
  retiringPrincipal?: string;
  name?: string;
}

/** `arn:aws:kms:<region>:<account>:key/<key id>` */
export const keyArnOf = (region: string, account: string, keyId: string) => `arn:aws:kms:${region}:${account}:key/${keyId}`;

/**
 * One KMS key: its policy (as written and parsed), its state and its grants; an asymmetric signing
 * key also holds its key pair (the private key never leaves the simulated KMS, as in AWS).
 */
export class KmsKey {
  readonly keyId = randomUUID();
  readonly arn: string;
  readonly grants: KmsGrant[] = [];
  enabled = true;
  /** Set by ScheduleKeyDeletion: the key is unusable from then on, and gone after this date. */
  deletionDate?: Date;
  #policy: PolicyDocument;
  #policyText: string;
  readonly #pair: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

  constructor(
    readonly account: string,
    readonly region: string,
    readonly keyManager: KeyManager,
    readonly description: string,
    policy: string | PolicyDocument,
    readonly creationDate: Date,
    readonly keySpec: KeySpec = 'SYMMETRIC_DEFAULT',
  ) {
    this.arn = keyArnOf(region, account, this.keyId);
    this.#policy = parseKeyPolicy(policy);
    this.#policyText = typeof policy === 'string' ? policy : JSON.stringify(policy);
    const spec = KEY_SPECS[keySpec];
    this.#pair = 'curve' in spec ? generateKeyPairSync('ec', { namedCurve: spec.curve }) : undefined;
  }

  get keyUsage(): KeyUsage {
    return KEY_SPECS[this.keySpec].usage;
  }

  /** The signing algorithms the key spec supports (none for a symmetric key). */
  get signingAlgorithms(): string[] {
    return Object.keys(KEY_SPECS[this.keySpec].signing);
  }

  /** The public key as GetPublicKey returns it: DER-encoded SubjectPublicKeyInfo (RFC 5280). */
  publicKeyDer(): Buffer {
    return this.#signingPair().publicKey.export({ type: 'spki', format: 'der' });
  }

  /** An ECDSA signature over the message (hashed with the algorithm's hash), DER-encoded as KMS returns it. */
  sign(message: Buffer, algorithm: string): Buffer {
    return sign(this.#hashOf(algorithm), message, this.#signingPair().privateKey);
  }

  verify(message: Buffer, signature: Buffer, algorithm: string): boolean {
    return verify(this.#hashOf(algorithm), message, this.#signingPair().publicKey, signature);
  }

  /**
   * @throws AwsError InvalidKeyUsageException for an algorithm the key spec does not support
   */
  #hashOf(algorithm: string): string {
    const hash = (KEY_SPECS[this.keySpec].signing as Record<string, string>)[algorithm];
    if (!hash)
      throw new AwsError(
        'InvalidKeyUsageException',
        `Signing algorithm ${algorithm} is incompatible with the KeySpec ${this.keySpec} of key ${this.arn}; it supports ${this.signingAlgorithms.join(', ')}.`,
      );
    return hash;
  }

  #signingPair(): { privateKey: KeyObject; publicKey: KeyObject } {
    if (!this.#pair)
      throw new AwsError('InvalidKeyUsageException', `${this.arn} key usage is ${this.keyUsage} which is not valid for this operation.`);
    return this.#pair;
  }

  get policy(): PolicyDocument {
    return this.#policy;
  }

  /** The policy exactly as it was set (GetKeyPolicy returns the text). */
  get policyText(): string {
    return this.#policyText;
  }

  /**
   * Replaces the key policy.
   * @throws AwsError MalformedPolicyDocumentException
   */
  setPolicy(text: string): void {
    this.#policy = parseKeyPolicy(text);
    this.#policyText = text;
  }

  /**
   * Adds a grant created by `issuer`.
   * @throws AwsError ValidationException for an unknown or empty operation list
   */
  addGrant(issuer: Principal, request: GrantRequest, now: Date): KmsGrant {
    const unknown = request.operations.filter((op) => !GRANT_OPERATIONS.has(op));
    if (request.operations.length === 0 || unknown.length > 0) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value ${JSON.stringify(request.operations)} at 'operations' failed to satisfy constraint`,
      );
    }
    const grantToken = randomBytes(48).toString('base64url');
    const grant: KmsGrant = {
      ...request,
      grantId: createHash('sha256').update(grantToken).digest('hex'),
      grantToken,
      issuingAccount: rootArn(issuer.account),
      creationDate: now,
    };
    this.grants.push(grant);
    return grant;
  }

  removeGrant(grant: KmsGrant): void {
    this.grants.splice(this.grants.indexOf(grant), 1);
  }

  /**
   * The grant that lets the principal run an operation: `principal` when a grant names it, `account`
   * when a grant names its account root (IAM decides then), otherwise undefined.
   */
  grantFor(principal: Principal, operation: string): { match: 'principal' | 'account'; grant: KmsGrant } | undefined {
    const grants = this.grants.filter((g) => g.operations.includes(operation));
    const own = grants.find((g) => g.granteePrincipal === principal.arn || g.granteePrincipal === principal.sessionArn);
    if (own) return { match: 'principal', grant: own };
    const account = grants.find((g) => g.granteePrincipal === rootArn(principal.account));
    return account ? { match: 'account', grant: account } : undefined;
  }

  /** The KeyMetadata structure of DescribeKey (JSON protocol: timestamps in epoch seconds). */
  metadata(): Record<string, unknown> {
    return {
      AWSAccountId: this.account,
      KeyId: this.keyId,
      Arn: this.arn,
      CreationDate: this.creationDate.getTime() / 1000,
      Enabled: this.enabled,
      Description: this.description,
      KeyUsage: this.keyUsage,
      KeyState: this.enabled ? 'Enabled' : 'Disabled',
      Origin: 'AWS_KMS',
      KeyManager: this.keyManager,
      CustomerMasterKeySpec: this.keySpec,
      KeySpec: this.keySpec,
      ...(this.keyUsage === 'ENCRYPT_DECRYPT'
        ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
        : { SigningAlgorithms: this.signingAlgorithms }),
      MultiRegion: false,
    };
  }
}
