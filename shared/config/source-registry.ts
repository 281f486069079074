import { GetParametersByPathCommand, type SSMClient } from '@aws-sdk/client-ssm';
import * as z from 'zod/mini';
import type { ArtifactKindName } from '../kinds/index.js';
import type { ProtectionTarget } from './accounts.js';

/**
 * What the vault knows of one source account, from its account file: the regions it accepts
 * events from, its protection targets per kind (the vault's defaults with the source's own), and
 * what its alarms say. The vault stack writes them in SSM parameters under one path (a few
 * sources each), so that no function's environment grows with the estate.
 */
export interface SourceRecord {
  /** The account file's name, for the alarms' descriptions. */
  name: string;
  regions: string[];
  targets: Partial<Record<ArtifactKindName, ProtectionTarget>>;
  /** After this long without any event from the source, its "no events" alarm pages. */
  silenceHours: number;
  /** The aliases of the customer managed keys its reader may use (customerKeyAliases). */
  customerKeyAliases: string[];
  /** How often its configuration is captured (hours); records of an earlier release have none: the default then. */
  configCaptureHours?: number;
  /** The SSM parameters its file opts in (path prefixes, or the backup-hub:protect tag): the sweep lists no other. */
  ssmParameters: { paths: string[]; tagged: boolean };
  /** The inventory sweep's budget in this source (calls a second per region), when its file sets one. */
  sweepCallsPerSecond?: number;
  /** Its pending points beyond this wait behind every other source's; records of an earlier release have none: PENDING_CAP then. */
  pendingCap?: number;
}

const recordSchema = z.object({
  name: z.string(),
  regions: z.array(z.string()).check(z.minLength(1)),
  silenceHours: z.int().check(z.positive()),
  customerKeyAliases: z.array(z.string()),
  configCaptureHours: z.optional(z.int().check(z.positive())),
  ssmParameters: z.object({ paths: z.array(z.string()), tagged: z.boolean() }),
  sweepCallsPerSecond: z.optional(z.number().check(z.positive())),
  pendingCap: z.optional(z.int().check(z.positive())),
  targets: z.record(
    z.string(),
    z.object({ retentionDays: z.number(), keepLast: z.optional(z.number()), rpoHours: z.number(), drRpoHours: z.optional(z.number()) }),
  ),
});
/** One parameter: a part of the records, by account id. */
const partSchema = z.record(z.string(), recordSchema);

/** The records are read again after this long: a source added and the vault redeployed shows up without a cold start. */
const RECORDS_TTL_MS = 5 * 60_000;

/**
 * The sources the vault stack recorded, read from Parameter Store (every parameter under one
 * path, each a part of the records) and kept a few minutes. An account without a record is not a
 * source of this vault.
 *
 * @example
 * const record = await sources.source('111111111111'); // undefined: not a source
 */
export class SourceRegistry {
  #all: { until: number; records: Promise<Map<string, SourceRecord>> } | undefined;

  constructor(
    private readonly ssm: () => SSMClient,
    private readonly path: string,
    private readonly now: () => Date,
  ) {}

  /** The account's record, or undefined when the vault stack recorded none. */
  async source(account: string): Promise<SourceRecord | undefined> {
    return (await this.all()).get(account);
  }

  /** Every recorded source, by account id. */
  all(): Promise<Map<string, SourceRecord>> {
    if (this.#all && this.#all.until > this.now().getTime()) return this.#all.records;
    const records = this.#read();
    this.#all = { until: this.now().getTime() + RECORDS_TTL_MS, records };
    records.catch(() => {
      this.#all = undefined;
    });
    return records;
  }

  async #read(): Promise<Map<string, SourceRecord>> {
    const records = new Map<string, SourceRecord>();
    let NextToken: string | undefined;
    do {
      const page = await this.ssm().send(new GetParametersByPathCommand({ Path: this.path, NextToken }));
      for (const { Name, Value } of page.Parameters ?? [])
        for (const [account, record] of Object.entries(parsePart(Name!, Value))) records.set(account, record);
      NextToken = page.NextToken;
    } while (NextToken);
    return records;
  }
}

function parsePart(name: string, value: string | undefined): Record<string, SourceRecord> {
  let json: unknown;
  try {
    json = JSON.parse(value ?? '');
  } catch {
    json = undefined;
  }
  const parsed = partSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the source records ${name} are not what the vault stack writes: redeploy the vault`);
  return parsed.data as Record<string, SourceRecord>;
}
