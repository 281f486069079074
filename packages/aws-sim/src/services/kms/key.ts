import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AwsError } from '../../core/errors.js';
import type { PolicyDocument } from '../../policy/resource-policy.js';
import { type Principal, rootArn } from '../iam/iam.js';
import { parseKeyPolicy } from './key-policy.js';

export type KeyManager = 'CUSTOMER' | 'AWS';

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

/** One symmetric KMS key: its policy (as written and parsed), its state and its grants. */
export class KmsKey {
  readonly keyId = randomUUID();
  readonly arn: string;
  readonly grants: KmsGrant[] = [];
  enabled = true;
  #policy: PolicyDocument;
  #policyText: string;

  constructor(
    readonly account: string,
    readonly region: string,
    readonly keyManager: KeyManager,
    readonly description: string,
    policy: string | PolicyDocument,
    readonly creationDate: Date,
  ) {
    this.arn = keyArnOf(region, account, this.keyId);
    this.#policy = parseKeyPolicy(policy);
    this.#policyText = typeof policy === 'string' ? policy : JSON.stringify(policy);
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
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: this.enabled ? 'Enabled' : 'Disabled',
      Origin: 'AWS_KMS',
      KeyManager: this.keyManager,
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    };
  }
}
