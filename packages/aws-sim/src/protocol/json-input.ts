import { AwsError } from '../core/errors.js';

/** The error codes a JSON service uses for a missing and for an invalid parameter. */
export interface InputErrorCodes {
  missing: string;
  invalid: string;
}

/** Typed access to a decoded JSON request, failing with the service's own validation errors. */
export class JsonInput {
  constructor(
    private readonly input: Record<string, unknown>,
    private readonly codes: InputErrorCodes,
  ) {}

  /** A required string parameter. */
  string(name: string): string {
    const value = this.input[name];
    if (value === undefined || value === null || value === '')
      throw new AwsError(this.codes.missing, `The request must contain the parameter ${name}.`);
    if (typeof value !== 'string') throw this.invalid(name, value, 'must be a string');
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.input[name] === undefined ? undefined : this.string(name);
  }

  /** An optional integer within [min, max]. */
  optionalInt(name: string, min: number, max: number): number | undefined {
    const value = this.input[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.invalid(name, value, `must be an integer between ${min} and ${max}`);
    }
    return value;
  }

  /** An optional list (absent reads as empty). */
  list<T>(name: string): T[] {
    const value = this.input[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw this.invalid(name, value, 'must be a list');
    return value as T[];
  }

  /** An optional map of strings to values (absent reads as empty). */
  map<T>(name: string): Record<string, T> {
    const value = this.input[name];
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw this.invalid(name, value, 'must be a map');
    return value as Record<string, T>;
  }

  /** The error for a parameter value the service refuses. */
  invalid(name: string, value: unknown, reason: string): AwsError {
    return new AwsError(this.codes.invalid, `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}.`);
  }
}
