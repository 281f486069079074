import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR } from '../../drill/data-dir.js';
import type { ChainHead } from '../../shared/audit/verify-chain.js';
import { ARTIFACT_KINDS, type ArtifactKindName } from '../../shared/kinds/index.js';
import { CSV_TABLES, type CsvTable } from './format-csv.js';

export const FORMATS = ['table', 'json', 'csv', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface AuditOptions {
  command: 'report' | 'verify';
  /** Read a local drill's folder instead of AWS. */
  local?: string;
  format: Format;
  out?: string;
  csvTable: CsvTable;
  /** As given: account ids or account-file names. */
  accounts?: string[];
  kinds?: ArtifactKindName[];
  since?: string;
  until?: string;
  region?: string;
  catalogTable?: string;
  auditTable?: string;
  accountsDir?: string;
  anchor?: ChainHead;
  /** verify: walk every entry, not only those from the newest signed anchor on. */
  full: boolean;
  /** Rows per list in the table and HTML formats; 0 for all. */
  limit: number;
  quiet: boolean;
}

/** The command line is wrong; the message says how. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: backup-hub audit [verify] [options]

Answers what the vault protects, how fresh it is, and what failed, from the catalog and the
audit log (DynamoDB Queries only). 'verify' checks the newest signed anchor (its signature, with
the anchor key's public key) and walks the audit log's hash chain from it, names the first entry
that was removed, edited or reordered, and the entries written after the anchor (exit status 1
when the log or the anchor is broken).

where to read (AWS by default, with the standard credential chain: AWS_PROFILE, SSO, env, role)
  --local [DIR]          a local drill's folder instead (default: ${DEFAULT_DATA_DIR}; npm start -- --data DIR)
  --region REGION        the vault's region (default: from the vault's account file)
  --catalog-table NAME   (default: backup-hub-catalog)
  --audit-table NAME     (default: backup-hub-audit)
  --accounts DIR         the account files: sources, RPO and retention targets (default: accounts/)

what to look at
  --account ID|NAME      only this source account (repeat or comma-separate; default: all sources)
  --kind KIND            only this kind (repeat or comma-separate): ${ARTIFACT_KINDS.join(', ')}
  --since TIME           failures and rejections from TIME (default: 30d before --until)
  --until TIME           as-of time: RPO ages are measured to it (default: now; locally the drill's end)
                         TIME is ISO 8601 (2026-03-01, 2026-03-01T12:00Z) or a span before --until (7d, 36h)
  --anchor SEQ:HASH      a head printed by an earlier verify: the log must still hold it unchanged
                         (verify then walks every entry against it instead of the signed anchors)
  --full                 verify: walk every entry from the first, and check the signed anchor's entry
                         is unchanged (default: only the anchor's entry and those after it)

output
  --format FORMAT        table (default), json, csv or html
  --table NAME           with --format csv, which table: ${CSV_TABLES.join(', ')} (default: resources)
  --out FILE             write there instead of standard output
  --limit N              rows per list in table and html output (default: 20; 0 for all)
  --quiet                no progress lines on standard error`;

/** The audit's command line, as node:util parses it. */
const parseAuditArgs = (args: string[]) =>
  parseArgs({
    args,
    allowPositionals: true,
    options: {
      local: { type: 'string' },
      format: { type: 'string', default: 'table' },
      table: { type: 'string', default: 'resources' },
      out: { type: 'string' },
      account: { type: 'string', multiple: true },
      kind: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      region: { type: 'string' },
      'catalog-table': { type: 'string' },
      'audit-table': { type: 'string' },
      accounts: { type: 'string' },
      anchor: { type: 'string' },
      full: { type: 'boolean', default: false },
      limit: { type: 'string', default: '20' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });

/**
 * Reads the audit command line.
 *
 * @example
 * parseAuditOptions(['verify', '--local']); // { command: 'verify', local: '.backup-hub', format: 'table', … }
 * @throws UsageError naming the option that is wrong
 */
export function parseAuditOptions(argv: string[]): AuditOptions | 'help' {
  let parsed: ReturnType<typeof parseAuditArgs>;
  try {
    parsed = parseAuditArgs(withLocalValue(argv));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'verify'))
    throw new UsageError(`unknown subcommand '${positionals.join(' ')}' (the only one is 'verify')`);
  const format = oneOf('--format', v.format, FORMATS);
  const limit = Number(v.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit takes a whole number (0 for all), not '${v.limit}'`);
  return {
    command: positionals[0] === 'verify' ? 'verify' : 'report',
    local: v.local,
    format,
    out: v.out,
    csvTable: oneOf('--table', v.table, CSV_TABLES),
    accounts: list(v.account),
    kinds: list(v.kind)?.map((kind) => oneOf('--kind', kind, ARTIFACT_KINDS)),
    since: v.since,
    until: v.until,
    region: v.region,
    catalogTable: v['catalog-table'],
    auditTable: v['audit-table'],
    accountsDir: v.accounts,
    anchor: v.anchor === undefined ? undefined : parseAnchor(v.anchor),
    full: v.full,
    limit,
    quiet: v.quiet,
  };
}

/**
 * A time flag as ISO 8601: an ISO date or time, or a span (`7d`, `36h`) before `reference`.
 *
 * @example
 * resolveTime('7d', new Date('2026-03-10T00:00:00Z'), '--since'); // '2026-03-03T00:00:00.000Z'
 */
export function resolveTime(text: string, reference: Date, flag: string): string {
  const span = /^(\d+(?:\.\d+)?)([dh])$/.exec(text);
  if (span) return new Date(reference.getTime() - Number(span[1]) * (span[2] === 'd' ? 86_400_000 : 3_600_000)).toISOString();
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  const time = iso ? new Date(`${iso[1]}T${iso[2] ?? '00:00'}${iso[3] ?? 'Z'}`) : undefined;
  if (!time || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `${flag}: '${text}' is not a time; give ISO 8601 (2026-03-01, 2026-03-01T12:00Z; UTC unless an offset is given) or a span before --until (7d, 36h)`,
    );
  }
  return time.toISOString();
}

/** `--local` may stand alone (the default folder) or take the folder as its next word. */
function withLocalValue(argv: string[]): string[] {
  const bare = (next: string | undefined) => next === undefined || next.startsWith('-') || next === 'verify';
  return argv.flatMap((arg, i) => (arg === '--local' && bare(argv[i + 1]) ? [`--local=${DEFAULT_DATA_DIR}`] : [arg]));
}

function list(values: string[] | undefined): string[] | undefined {
  const items = values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return items?.length ? items : undefined;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} takes one of ${allowed.join(', ')}; '${value}' is none of them`);
  return value as T;
}

function parseAnchor(text: string): ChainHead {
  const match = /^#?(\d+):([0-9a-f]{16,64})$/.exec(text.trim());
  if (!match) throw new UsageError(`--anchor takes SEQ:HASH as verify prints it (e.g. 41:9f2c…, at least 16 hex digits), not '${text}'`);
  return { seq: Number(match[1]), hash: match[2]! };
}
