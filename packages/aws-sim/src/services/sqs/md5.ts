import { createHash } from 'node:crypto';

/** A message attribute as SQS stores it (binary values as bytes). */
export interface SqsMessageAttribute {
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}

/** `MD5OfBody` / `MD5OfMessageBody`: the hex MD5 of the UTF-8 body, which the SDK checks. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * `MD5OfMessageAttributes`, computed as the SQS developer guide specifies: attributes sorted
 * by name; for each, the name, the data type (each as a 4-byte big-endian length and UTF-8
 * bytes), one transport byte (1 for String and Number types, 2 for Binary), then the value
 * (length and bytes). Undefined when there are no attributes, as SQS omits the field.
 */
export function md5OfMessageAttributes(attributes: Record<string, SqsMessageAttribute>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name]!;
    const binary = attribute.dataType.startsWith('Binary');
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attribute.dataType, 'utf8')));
    hash.update(Buffer.from([binary ? 2 : 1]));
    hash.update(lengthPrefixed(binary ? (attribute.binaryValue ?? Buffer.alloc(0)) : Buffer.from(attribute.stringValue ?? '', 'utf8')));
  }
  return hash.digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
