import type { PolicyDocument } from '../../policy/resource-policy.js';
import { TemplateError } from './template.js';

/**
 * Typed access to a resource's resolved properties (or a nested block of them). A property the
 * simulation does not honour is an error naming it, so a template change it cannot follow is never
 * skipped silently; `supported` undefined admits any (types that are only recorded).
 */
export class Properties {
  constructor(
    readonly where: string,
    private readonly values: Record<string, unknown>,
    supported?: readonly string[],
  ) {
    const unsupported = supported === undefined ? [] : Object.keys(values).filter((key) => !supported.includes(key));
    if (unsupported.length > 0)
      throw new TemplateError(
        `${where}: ${unsupported.map((key) => `property ${key}`).join(', ')} not supported by the simulated CloudFormation`,
      );
  }

  /** The property names given. */
  names(): string[] {
    return Object.keys(this.values);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** A required string. */
  string(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined) throw new TemplateError(`${this.where}: property ${name} is required`);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw this.#invalid(name, 'a string');
  }

  /** A required number. */
  number(name: string): number {
    const value = this.optionalNumber(name);
    if (value === undefined) throw new TemplateError(`${this.where}: property ${name} is required`);
    return value;
  }

  /** A number, which CloudFormation also takes as a numeric string. */
  optionalNumber(name: string): number | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number)) throw this.#invalid(name, 'a number');
    return number;
  }

  /** A boolean, which CloudFormation also takes as `"true"` / `"false"`. */
  optionalBoolean(name: string): boolean | undefined {
    const value = this.values[name];
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw this.#invalid(name, 'a boolean');
  }

  /** A list of strings (absent reads as empty). */
  strings(name: string): string[] {
    return this.list(name).map((item, i) => {
      if (typeof item !== 'string') throw this.#invalid(`${name}[${i}]`, 'a string', item);
      return item;
    });
  }

  /** A nested block, with the properties it supports. */
  block(name: string, supported?: readonly string[]): Properties | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.#invalid(name, 'an object');
    return new Properties(`${this.where}.${name}`, value as Record<string, unknown>, supported);
  }

  /** A list of nested blocks (absent reads as empty). */
  blocks(name: string, supported?: readonly string[]): Properties[] {
    return this.list(name).map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw this.#invalid(`${name}[${i}]`, 'an object', item);
      return new Properties(`${this.where}.${name}[${i}]`, item as Record<string, unknown>, supported);
    });
  }

  /** A policy document, given as an object or as its JSON text. */
  document(name: string): PolicyDocument | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      try {
        return JSON.parse(value) as PolicyDocument;
      } catch {
        throw this.#invalid(name, 'a policy document (JSON)');
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.#invalid(name, 'a policy document');
    return value as PolicyDocument;
  }

  /** A value as resolved, for what is passed on whole (a table's key schema, a function's Code). */
  raw(name: string): unknown {
    return this.values[name];
  }

  list(name: string): unknown[] {
    const value = this.values[name];
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw this.#invalid(name, 'a list');
    return value;
  }

  #invalid(name: string, expected: string, value: unknown = this.values[name]): TemplateError {
    return new TemplateError(`${this.where}: property ${name} must be ${expected}, got ${JSON.stringify(value)}`);
  }
}
