import { GetParameterCommand, GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import { isAwsError } from '../aws/aws-errors.js';
import type { ArtifactKindName } from '../kinds/index.js';
import type { ProtectionTarget } from './accounts.js';

/**
 * What the vault knows of one source account, from its account file: the regions it accepts
 * events from, and its protection targets per kind (the vault's defaults with the source's own).
 * The vault stack writes one SSM parameter per source (`<sourcesPath><account id>`), so that no
 * function's environment grows with the estate.
 */
export interface SourceRecord {
  regions: string[];
  targets: Partial<Record<ArtifactKindName, ProtectionTarget>>;
}

/** A source's record as the vault stack writes it and {@link SourceRegistry} reads it back. */
export function sourceRecordOf(regions: string[], targets: SourceRecord['targets']): SourceRecord {
  return { regions, targets };
}

const recordSchema = z.object({
  regions: z.array(z.string()).check(z.minLength(1)),
  targets: z.record(z.string(), z.object({ retentionDays: z.number(), keepLast: z.optional(z.number()), rpoHours: z.number() })),
});

/** A record is read again after this long: a source added and the vault redeployed shows up without a cold start. */
const RECORD_TTL_MS = 5 * 60_000;

interface Cached<T> {
  until: number;
  value: Promise<T>;
}

/**
 * The sources the vault stack recorded, read from Parameter Store and kept a few minutes. An
 * account without a record is not a source of this vault.
 *
 * @example
 * const record = await sources.source('111111111111'); // undefined: not a source
 */
export class SourceRegistry {
  readonly #one = new Map<string, Cached<SourceRecord | undefined>>();
  #all: Cached<Map<string, SourceRecord>> | undefined;

  constructor(
    private readonly ssm: () => SSMClient,
    private readonly path: string,
    private readonly now: () => Date,
  ) {}

  /** The account's record, or undefined when the vault stack recorded none. */
  source(account: string): Promise<SourceRecord | undefined> {
    const cached = this.#one.get(account);
    if (cached && cached.until > this.now().getTime()) return cached.value;
    const value = this.#read(account);
    this.#remember(this.#one, account, value);
    return value;
  }

  /** Every recorded source, by account id. */
  all(): Promise<Map<string, SourceRecord>> {
    if (this.#all && this.#all.until > this.now().getTime()) return this.#all.value;
    const value = this.#readAll();
    this.#all = { until: this.now().getTime() + RECORD_TTL_MS, value };
    value.catch(() => {
      this.#all = undefined;
    });
    return value;
  }

  #remember<K, T>(cache: Map<K, Cached<T>>, key: K, value: Promise<T>): void {
    cache.set(key, { until: this.now().getTime() + RECORD_TTL_MS, value });
    value.catch(() => cache.delete(key));
  }

  async #read(account: string): Promise<SourceRecord | undefined> {
    const name = `${this.path}${account}`;
    try {
      const { Parameter } = await this.ssm().send(new GetParameterCommand({ Name: name }));
      return parseRecord(name, Parameter?.Value);
    } catch (error) {
      if (isAwsError(error, 'ParameterNotFound')) return undefined;
      throw error;
    }
  }

  async #readAll(): Promise<Map<string, SourceRecord>> {
    const records = new Map<string, SourceRecord>();
    let NextToken: string | undefined;
    do {
      const page = await this.ssm().send(new GetParametersByPathCommand({ Path: this.path, NextToken }));
      for (const { Name, Value } of page.Parameters ?? []) records.set(Name!.slice(this.path.length), parseRecord(Name!, Value));
      NextToken = page.NextToken;
    } while (NextToken);
    return records;
  }
}

function parseRecord(name: string, value: string | undefined): SourceRecord {
  let json: unknown;
  try {
    json = JSON.parse(value ?? '');
  } catch {
    json = undefined;
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the source record ${name} is not what the vault stack writes: redeploy the vault`);
  return parsed.data as SourceRecord;
}
