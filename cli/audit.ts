import { writeFile } from 'node:fs/promises';
import type { AuditEntry } from '../shared/audit/audit-entry.js';
import { type AnchoredVerdict, verifyAnchored } from '../shared/audit/verify-anchored.js';
import { verifyChain } from '../shared/audit/verify-chain.js';
import { type AccountsConfig, AccountsConfigError, loadAccounts } from '../shared/config/accounts.js';
import { lastConfigChanges } from '../shared/config-capture/last-changes.js';
import { policyOf } from '../shared/report/account-policy.js';
import { type AuditReport, type AuditScope, type AuditSources, buildAuditReport, PROGRESS_EVERY } from '../shared/report/audit-report.js';
import { vaultLockOf } from '../shared/report/retention-status.js';
import { withProgress } from '../shared/report/with-progress.js';
import { type AuditSource, LocalSourceError } from './audit/audit-source.js';
import { explainAwsError } from './audit/aws-trouble.js';
import { openAwsSource, openLocalSource } from './audit/connect.js';
import { formatCsv } from './audit/format-csv.js';
import { formatHtml } from './audit/format-html.js';
import { formatTable } from './audit/format-table.js';
import { type AuditOptions, parseAuditOptions, resolveTime, USAGE, UsageError } from './audit/options.js';
import { anchoredLines, type ReportContext, verdictLines } from './audit/report-context.js';

/** Where the command writes; a test passes its own. */
export interface AuditIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: AuditIo = { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };

/** The filter `IN (...)` of a DynamoDB filter expression takes at most 100 values. */
const MAX_ACCOUNT_FILTER = 100;

/**
 * `backup-hub audit [verify] …`: the auditors' view. Returns the exit status: 0, 1 when the
 * audit log is broken (verify) or the audit could not run, 2 for a wrong command line.
 *
 * @example
 * await run(['--local', '.backup-hub', '--format', 'html', '--out', 'report.html']);
 */
/** How the command opens where it reads; a test passes its own (the simulated cloud's S3 and KMS, say). */
export interface AuditConnect {
  aws: typeof openAwsSource;
  local: typeof openLocalSource;
}

export async function run(
  argv: string[],
  io: AuditIo = processIo,
  connect: AuditConnect = { aws: openAwsSource, local: openLocalSource },
): Promise<number> {
  let options: AuditOptions | 'help';
  try {
    options = parseAuditOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`backup-hub audit: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    io.out(USAGE);
    return 0;
  }
  let source: AuditSource | undefined;
  try {
    const config = loadAccounts(options.accountsDir);
    source = options.local === undefined ? connect.aws(options, config) : await connect.local(options.local);
    return options.command === 'verify' ? await verify(options, source, io) : await report(options, source, config, io);
  } catch (error) {
    io.err(`backup-hub audit: ${explain(error, options)}`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await source?.close();
  }
}

async function verify(options: AuditOptions, source: AuditSource, io: AuditIo): Promise<number> {
  const read = (entries: AsyncIterable<AuditEntry>) =>
    options.quiet ? entries : withProgress(entries, PROGRESS_EVERY, (n) => io.err(`${n.toLocaleString('en-US')} entries checked…`));
  // An anchor the auditor recorded is checked over every entry; otherwise the newest signed anchor.
  const signed: AnchoredVerdict | undefined =
    options.anchor === undefined && source.anchors
      ? await verifyAnchored({
          audit: source.audit,
          anchors: source.anchors.store,
          verifier: await source.anchors.verifier(),
          full: options.full,
          read,
        })
      : undefined;
  const verdict = signed ?? (await verifyChain(read(source.audit.entries()), { anchor: options.anchor }));
  const lines = signed ? anchoredLines(signed, source.defaultUntil) : verdictLines(verdict, options.anchor);
  const noAnchors = source.anchors || options.anchor ? [] : [`no signed anchors here (${source.description}): every entry was walked`];
  const text =
    options.format === 'json'
      ? JSON.stringify({ source: source.description, auditLog: verdict }, null, 2)
      : [`source: ${source.description}`, ...noAnchors, ...lines].join('\n');
  await emit(text, options, io);
  return verdict.ok ? 0 : 1;
}

async function report(options: AuditOptions, source: AuditSource, config: AccountsConfig, io: AuditIo): Promise<number> {
  const scope = scopeOf(options, source, config);
  const built = await buildAuditReport(scope, {
    catalog: source.catalog,
    inventory: source.inventory,
    audit: source.audit,
    policy: (account) => policyOf(config, account),
    lock: vaultLockOf(config, await source.lock.inForce()),
    anchor: options.anchor,
    ...(options.anchor === undefined && source.anchors ? { verifyLog: signedAnchorCheck(source.anchors, source.audit) } : {}),
    progress: options.quiet ? undefined : (line) => io.err(line),
    ...(source.captures ? { configChanges: lastChangesOf(source.captures, scope.accounts) } : {}),
  });
  const context: ReportContext = {
    source: source.description,
    untilNote: options.until === undefined ? source.untilNote : undefined,
    generatedAt: new Date().toISOString(),
    limit: options.limit,
    anchor: options.anchor,
  };
  await emit(render(built, options, context), options, io);
  if (!built.auditLog.ok) io.err(`backup-hub audit: ${verdictLines(built.auditLog)[0]}`);
  return 0;
}

/** The last configuration change per resource of the audited accounts' captured regions. */
const lastChangesOf =
  (captures: NonNullable<AuditSource['captures']>, accounts: string[]): NonNullable<AuditSources['configChanges']> =>
  (range) =>
    lastConfigChanges(
      captures.s3,
      captures.vault,
      captures.sources.filter((s) => accounts.includes(s.account)),
      range,
    );

/** The report's audit log section: from the newest signed anchor on, as `verify` checks it. */
const signedAnchorCheck =
  (anchors: NonNullable<AuditSource['anchors']>, audit: AuditSource['audit']): NonNullable<AuditSources['verifyLog']> =>
  async (read) =>
    verifyAnchored({ audit, anchors: anchors.store, verifier: await anchors.verifier(), read });

function render(report: AuditReport, options: AuditOptions, context: ReportContext): string {
  switch (options.format) {
    case 'json':
      return JSON.stringify({ source: context.source, generatedAt: context.generatedAt, ...report }, null, 2);
    case 'csv':
      return formatCsv(report, options.csvTable);
    case 'html':
      return formatHtml(report, context);
    case 'table':
      return formatTable(report, context);
  }
}

function scopeOf(options: AuditOptions, source: AuditSource, config: AccountsConfig): AuditScope {
  const accounts = options.accounts?.map((given) => accountId(given, config));
  if (accounts && accounts.length > MAX_ACCOUNT_FILTER)
    throw new UsageError(`--account: at most ${MAX_ACCOUNT_FILTER} accounts at a time (leave it out for all of them)`);
  const until =
    options.until === undefined ? source.defaultUntil.toISOString() : resolveTime(options.until, source.defaultUntil, '--until');
  const since = resolveTime(options.since ?? '30d', new Date(until), '--since');
  if (since >= until) throw new UsageError(`--since (${since}) must come before --until (${until})`);
  return {
    accounts: accounts ?? source.accounts,
    onlyTheseAccounts: accounts !== undefined,
    kinds: options.kinds,
    since,
    until,
    ...(config.vault.drRegion ? { drRegion: config.vault.drRegion } : {}),
  };
}

/** An account id as given, or the id of the account file of that name. */
function accountId(given: string, config: AccountsConfig): string {
  if (/^\d{12}$/.test(given)) return given;
  const account = config.all.find((a) => a.name === given);
  if (!account)
    throw new UsageError(
      `--account ${given}: not a 12-digit account id nor an account file in ${config.dir} (${config.all.map((a) => `${a.name} = ${a.id}`).join(', ')})`,
    );
  return account.id;
}

async function emit(text: string, options: AuditOptions, io: AuditIo): Promise<void> {
  if (options.out === undefined) return io.out(text);
  await writeFile(options.out, text.endsWith('\n') ? text : `${text}\n`);
  io.err(`written to ${options.out}`);
}

const isFileError = (error: unknown): error is NodeJS.ErrnoException =>
  error instanceof Error && (error as NodeJS.ErrnoException).syscall === 'open';

function explain(error: unknown, options: AuditOptions): string {
  if (error instanceof UsageError || error instanceof LocalSourceError || error instanceof AccountsConfigError) return error.message;
  if (isFileError(error)) return `cannot write ${options.out}: ${error.message}`;
  if (options.local === undefined) return explainAwsError(error);
  return `could not read the local drill state in ${options.local}: ${error instanceof Error ? error.message : String(error)}`;
}
