import { AwsError } from './errors.js';

/**
 * The checks AWS APIs make on request parameters, with AWS's own text: "1 validation error
 * detected: Value 'x' at 'roleName' failed to satisfy constraint: Member must have length less
 * than or equal to 64". `code` is the service's error code for it (IAM `ValidationError`, most
 * JSON services `ValidationException`).
 */
export function constraintError(code: string, member: string, value: unknown, constraint: string): AwsError {
  return new AwsError(
    code,
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must ${constraint}`,
  );
}

export interface StringConstraint {
  min?: number;
  max?: number;
  /** The API model's pattern, matched against the whole value. */
  pattern?: string;
}

/** @throws AwsError when the string breaks its length or pattern */
export function checkString(code: string, member: string, value: string, { min = 0, max, pattern }: StringConstraint): void {
  if (value.length < min) throw constraintError(code, member, value, `have length greater than or equal to ${min}`);
  if (max !== undefined && value.length > max) throw constraintError(code, member, value, `have length less than or equal to ${max}`);
  if (pattern !== undefined && !new RegExp(`^(?:${pattern})$`, 'u').test(value))
    throw constraintError(code, member, value, `satisfy regular expression pattern: ${pattern}`);
}

/** @throws AwsError when the number is outside `min`–`max` */
export function checkNumber(code: string, member: string, value: number, min: number, max: number): void {
  if (value < min) throw constraintError(code, member, value, `have value greater than or equal to ${min}`);
  if (value > max) throw constraintError(code, member, value, `have value less than or equal to ${max}`);
}
