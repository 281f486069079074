import { JsonInput } from '../../../protocol/json-input.js';

/**
 * A decoded EC2 query request (`X.N` lists already arrays, see parseQueryBody). Every value
 * arrives as a string, so booleans and integers are parsed here, failing as EC2 does.
 */
export class Ec2Input extends JsonInput {
  constructor(private readonly raw: Record<string, unknown>) {
    super(raw, { missing: 'MissingParameter', invalid: 'InvalidParameterValue' });
  }

  /** An optional boolean parameter (`true` / `false`; false when absent). */
  flag(name: string): boolean {
    const value = this.raw[name];
    if (value === undefined) return false;
    if (value !== 'true' && value !== 'false') throw this.invalid(name, value, 'must be true or false');
    return value === 'true';
  }

  /** An optional integer parameter within [min, max]. */
  integer(name: string, min: number, max: number): number | undefined {
    const text = this.optionalString(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw this.invalid(name, text, `must be an integer between ${min} and ${max}`);
    return value;
  }

  /** A list of strings (`SnapshotId.N`, `Owner.N`, …). */
  strings(name: string): string[] {
    const values = this.list<unknown>(name);
    if (values.some((v) => typeof v !== 'string')) throw this.invalid(name, values, 'must be a list of strings');
    return values as string[];
  }
}
