import { createPublicKey, verify } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChainHead } from './verify-chain.js';

/** The one key spec and algorithm anchors are signed with (a P-256 key answers nothing else). */
export const ANCHOR_KEY_SPEC = 'ECC_NIST_P256';
export const ANCHOR_SIGNING_ALGORITHM = 'ECDSA_SHA_256';
/** Where the anchors live in their bucket. */
export const ANCHOR_PREFIX = 'audit-anchors/';
/** Versions listed at once: the newest key's versions, delete markers aside. */
const LISTED = 100;
/** Keys count down from here, so that S3's ascending listing names the newest anchor first. */
const KEY_COUNTDOWN = 10 ** 15;

/** What an anchor vouches for: the vault's audit log held this entry, with this hash, as its head. */
export interface AnchorHead extends ChainHead {
  /** The vault account whose audit log this is. */
  vault: string;
  /** The entry's own time. */
  at: string;
  /** When the head was signed. */
  signedAt: string;
}

/** An anchor as stored: the head, and KMS's signature over it. */
export interface SignedAnchor extends AnchorHead {
  keyArn: string;
  signingAlgorithm: typeof ANCHOR_SIGNING_ALGORITHM;
  /** DER-encoded ECDSA signature, base64. */
  signature: string;
}

/** The bytes that are signed: a fixed label and the head's fields in a fixed order. */
export function anchorMessage(head: AnchorHead): Buffer {
  return Buffer.from(`backup-hub audit anchor v1\n${JSON.stringify([head.vault, head.seq, head.hash, head.at, head.signedAt])}`);
}

/** The object key of the anchor at `seq`: newer anchors sort first (`audit-anchors/0999999999998766-seq-1234.json`). */
export const anchorObjectKey = (seq: number) => `${ANCHOR_PREFIX}${String(KEY_COUNTDOWN - seq).padStart(16, '0')}-seq-${seq}.json`;

/** Checks anchors' signatures with the anchor key's public key, outside KMS. */
export interface AnchorVerifier {
  keyArn: string;
  verify(message: Buffer, signature: Buffer): boolean;
}

/**
 * The anchor key's public key, fetched once (GetPublicKey), to check signatures locally.
 * @throws Error when the key is not a P-256 signing key
 */
export async function anchorVerifier(kms: KMSClient, keyId: string): Promise<AnchorVerifier> {
  const { KeyId, PublicKey, KeySpec, SigningAlgorithms } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (KeySpec !== ANCHOR_KEY_SPEC || !SigningAlgorithms?.includes(ANCHOR_SIGNING_ALGORITHM))
    throw new Error(`the audit anchor key ${KeyId ?? keyId} is a ${KeySpec} key; anchors are signed with ${ANCHOR_SIGNING_ALGORITHM}`);
  const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
  return { keyArn: KeyId!, verify: (message, signature) => verify('sha256', message, publicKey, signature) };
}

/** Why an anchor cannot be trusted, or undefined when its signature holds. */
export function anchorProblem(anchor: SignedAnchor, verifier: AnchorVerifier): string | undefined {
  if (anchor.keyArn !== verifier.keyArn)
    return `anchor #${anchor.seq} names the key ${anchor.keyArn}, not the audit anchor key ${verifier.keyArn}: it was not written by the hub`;
  if (!verifier.verify(anchorMessage(anchor), Buffer.from(anchor.signature, 'base64')))
    return `anchor #${anchor.seq}'s signature does not match what it says (seq, hash, times): the anchor was forged or edited`;
  return undefined;
}

/**
 * Signs a head with the anchor key (only the audit anchor role may).
 *
 * @example
 * const anchor = await signAnchor(kms, 'alias/backup-hub-audit-anchor', { vault, seq: 1042, hash, at, signedAt });
 */
export async function signAnchor(kms: KMSClient, keyId: string, head: AnchorHead): Promise<SignedAnchor> {
  const { KeyId, Signature } = await kms.send(
    new SignCommand({ KeyId: keyId, Message: anchorMessage(head), MessageType: 'RAW', SigningAlgorithm: ANCHOR_SIGNING_ALGORITHM }),
  );
  return {
    ...head,
    keyArn: KeyId!,
    signingAlgorithm: ANCHOR_SIGNING_ALGORITHM,
    signature: Buffer.from(Signature!).toString('base64'),
  };
}

/** An anchor object that is not an anchor (unreadable, or missing fields): the message says which. */
export class AnchorFormatError extends Error {
  override name = 'AnchorFormatError';
}

/**
 * The signed anchors in their S3 Object Lock bucket (compliance mode: no one deletes or overwrites a
 * version before its retention ends). Every call names the expected bucket owner, so a bucket of
 * the same name in another account is never read or written.
 */
export class AnchorStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly owner: string,
  ) {}

  /** Writes an anchor; never over an existing one (`If-None-Match: *`). */
  async put(anchor: SignedAnchor): Promise<string> {
    const key = anchorObjectKey(anchor.seq);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(anchor),
        ContentType: 'application/json',
        IfNoneMatch: '*',
        ExpectedBucketOwner: this.owner,
      }),
    );
    return key;
  }

  /**
   * The newest anchor: the first key listed, in the version the hub wrote (its oldest: the hub never
   * overwrites one). Delete markers hide nothing here: Object Lock keeps every version, and a
   * marker put on the newest anchors must not turn a verify back to an older one.
   * @throws AnchorFormatError when that object is not an anchor
   */
  async newest(): Promise<(SignedAnchor & { object: string }) | undefined> {
    const { Versions } = await this.s3.send(
      new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: ANCHOR_PREFIX, MaxKeys: LISTED, ExpectedBucketOwner: this.owner }),
    );
    const first = Versions?.filter((v) => v.Key === Versions[0]?.Key).at(-1);
    if (!first?.Key) return undefined;
    const { Body } = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: first.Key, VersionId: first.VersionId, ExpectedBucketOwner: this.owner }),
    );
    const text = (await Body?.transformToString()) ?? '';
    return { ...parseAnchor(text, first.Key), object: `s3://${this.bucket}/${first.Key}` };
  }
}

function parseAnchor(text: string, key: string): SignedAnchor {
  let value: Partial<SignedAnchor>;
  try {
    value = JSON.parse(text) as Partial<SignedAnchor>;
  } catch {
    throw new AnchorFormatError(`the anchor object ${key} is not JSON: it was not written by the hub`);
  }
  const fields = ['vault', 'hash', 'at', 'signedAt', 'keyArn', 'signature'] as const;
  const missing = fields.filter((f) => typeof value[f] !== 'string');
  if (!Number.isInteger(value.seq) || missing.length > 0)
    throw new AnchorFormatError(
      `the anchor object ${key} lacks ${[...(Number.isInteger(value.seq) ? [] : ['seq']), ...missing].join(', ')}`,
    );
  if (anchorObjectKey(value.seq!) !== key)
    throw new AnchorFormatError(`the anchor object ${key} says #${value.seq}, which the hub stores as ${anchorObjectKey(value.seq!)}`);
  return { ...(value as SignedAnchor), signingAlgorithm: ANCHOR_SIGNING_ALGORITHM };
}
