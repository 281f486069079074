import { AwsError } from '../../core/errors.js';

/** What a simulated ciphertext carries. */
export interface SealedData {
  keyArn: string;
  plaintext: Buffer;
  encryptionContext: Record<string, string>;
}

const FORMAT = 'backup-hub-sim-kms-1';

/**
 * Builds a simulated ciphertext. It is NOT encrypted: the plaintext is recoverable from the blob.
 * The simulation protects data by enforcing key access on Decrypt, never by secrecy, so it must
 * not hold real secrets.
 */
export function seal(data: SealedData): Buffer {
  const body = { format: FORMAT, keyArn: data.keyArn, context: data.encryptionContext, data: data.plaintext.toString('base64') };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * Reads a simulated ciphertext back.
 * @throws AwsError InvalidCiphertextException when the blob was not made by {@link seal}
 */
export function unseal(blob: Uint8Array): SealedData {
  let body: { format?: unknown; keyArn?: unknown; context?: unknown; data?: unknown };
  try {
    body = JSON.parse(Buffer.from(blob).toString('utf8')) as typeof body;
  } catch {
    throw invalidCiphertext();
  }
  if (body?.format !== FORMAT || typeof body.keyArn !== 'string' || typeof body.data !== 'string') throw invalidCiphertext();
  return {
    keyArn: body.keyArn,
    plaintext: Buffer.from(body.data, 'base64'),
    encryptionContext: (body.context ?? {}) as Record<string, string>,
  };
}

/** Decrypt with another encryption context than Encrypt used fails the same way as a corrupt blob. */
export function sameContext(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** KMS's answer to a ciphertext it cannot use. */
export function invalidCiphertext(): AwsError {
  return new AwsError(
    'InvalidCiphertextException',
    'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
  );
}
