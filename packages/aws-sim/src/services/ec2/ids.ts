import { randomBytes } from 'node:crypto';
import { AwsError } from '../../core/errors.js';

/** An EC2-style resource id: the prefix and 17 hex digits (`snap-0123456789abcdef0`). */
export function ec2Id(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** Whether an id is well formed: the prefix and 8 to 17 hex digits (older ids, and AWS's samples, have 8). */
export function isEc2Id(prefix: string, id: string): boolean {
  return new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(id);
}

/** EC2's error for a resource id the caller cannot see. */
export function notFound(code: string, kind: string, id: string): AwsError {
  return new AwsError(code, `The ${kind} '${id}' does not exist.`);
}
