import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SimCloud, startLocalDynamo } from '@backup-hub/aws-sim';
import { auditAnchorLocation } from '../accounts/stack/names.js';
import { CSV_TABLES, formatCsv } from '../cli/audit/format-csv.js';
import { formatHtml } from '../cli/audit/format-html.js';
import { formatTable } from '../cli/audit/format-table.js';
import { createTables } from '../drill/hub-tables.js';
import { AnchorStore, anchorVerifier, signAnchor } from '../shared/audit/anchor.js';
import type { AuditEntry } from '../shared/audit/audit-entry.js';
import { AuditLog } from '../shared/audit/audit-log.js';
import { verifyAnchored } from '../shared/audit/verify-anchored.js';
import { verifyChain } from '../shared/audit/verify-chain.js';
import { AwsClients } from '../shared/aws/clients.js';
import { Catalog } from '../shared/catalog/catalog.js';
import { loadAccounts } from '../shared/config/accounts.js';
import { policyOf } from '../shared/report/account-policy.js';
import { buildAuditReport } from '../shared/report/audit-report.js';
import { accountIds, auditEntries, batchWrite, recoveryPoints, type SeedShape } from './audit-seed.js';
import { machine } from './machine.js';
import { AUDIT_TARGETS, type Target, targetAtMost } from './targets.js';

/**
 * `npm run bench:audit -- [--points N] [--accounts K] [--data DIR] [--json]`: the audit's run time
 * over a catalog of N recovery points (default 1,000,000) and twice as many audit entries over 30
 * days, on dynalite, seeded with BatchWriteItem; the audit log's head one day before the end is
 * signed (the simulated cloud's KMS and S3), so the audit and `verify` resume from it. Seed time
 * is reported apart from audit time; dynalite runs in this process, so its CPU is counted in. From
 * 300,000 points on, dynalite keeps its tables on disk (a temporary folder, or --data): in memory
 * they take about 2 GB per 100,000 points. --day-entries D puts the anchor D entries before the head
 * instead of one day (a day of another scale); --profile FILE writes a CPU profile of the audit and the
 * incremental verify.
 */
// The SDK's once-a-process notice that Node 20 support ends in 2027 (Lambda runs nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '1000000' },
    accounts: { type: 'string', default: '20' },
    data: { type: 'string' },
    'day-entries': { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const points = Number(values.points);
const accounts = Number(values.accounts);
const dayEntries = values['day-entries'] === undefined ? undefined : Number(values['day-entries']);
if (
  !Number.isInteger(points) ||
  points < 100 ||
  !Number.isInteger(accounts) ||
  accounts < 1 ||
  accounts > points ||
  (dayEntries !== undefined && (!Number.isInteger(dayEntries) || dayEntries < 1 || dayEntries >= 2 * points))
) {
  console.error(
    'usage: npm run bench:audit -- [--points N] [--accounts K] [--day-entries D] [--data DIR] [--json]  (N ≥ 100, 1 ≤ K ≤ N, 1 ≤ D < 2N, whole numbers)',
  );
  process.exit(2);
}
const say = values.json ? () => {} : (line: string) => console.error(line);
const shape: SeedShape = { points, accounts, pointsPerResource: 10, auditEntriesPerPoint: 2, until: new Date('2026-03-10T12:00:00.000Z') };
const tables = { catalog: 'backup-hub-catalog', audit: 'backup-hub-audit' };

const ON_DISK_FROM = 300_000;
const VAULT = '999999999999';
const REGION = 'eu-west-1';
const loadAtStart = machine().loadAverage1m;
const temporary = values.data === undefined && points >= ON_DISK_FROM ? await mkdtemp(join(tmpdir(), 'bench-audit-')) : undefined;
const dataPath = values.data ?? temporary;
const operations = new Map<string, number>();
const dynamo = await startLocalDynamo({
  onOperation: (op) => operations.set(op, (operations.get(op) ?? 0) + 1),
  ...(dataPath ? { path: dataPath } : {}),
});
say(`dynalite: ${dataPath ? `tables on disk in ${dataPath}` : 'tables in memory'}`);
let peakRssBytes = 0;
const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 50);
try {
  await createTables(dynamo.clientConfig, tables);
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');

  const seedStart = performance.now();
  await batchWrite(db, tables.catalog, recoveryPoints(shape), (n) => say(`seed: ${n.toLocaleString('en-US')} recovery points`));
  const seedCatalogS = (performance.now() - seedStart) / 1000;
  // The head one day before the end is the newest signed anchor: the day after it is what an incremental verify reads
  // (--day-entries: a day of another scale, e.g. 66,667, a day of 2,000,000 entries over 30 days, on a smaller log).
  const total = points * shape.auditEntriesPerPoint;
  const anchorSeq = total - (dayEntries ?? Math.ceil(total / 30));
  let anchored: AuditEntry | undefined;
  const tap = function* (entries: Iterable<AuditEntry>) {
    for (const entry of entries) {
      if (entry.seq === anchorSeq) anchored = entry;
      yield entry;
    }
  };
  await batchWrite(db, tables.audit, tap(auditEntries(shape)), (n) => say(`seed: ${n.toLocaleString('en-US')} audit entries`));
  const seedAuditS = (performance.now() - seedStart) / 1000 - seedCatalogS;
  const anchors = await signedAnchor(anchored!);

  operations.clear();
  // The audit's own peak, not the seeding's (dynalite's in-memory tables stay in the figure: they are this process's).
  peakRssBytes = process.memoryUsage().rss;
  const rssBeforeAuditMiB = Math.round(peakRssBytes / 2 ** 20);
  const config = loadAccounts();
  const catalog = new Catalog(db, tables.catalog);
  const audit = new AuditLog(db, tables.audit, () => shape.until);
  const until = shape.until.toISOString();
  const profiler = values.profile === undefined ? undefined : await startProfile(values.profile);
  const cpuStart = process.cpuUsage();
  const runStart = performance.now();
  const report = await buildAuditReport(
    {
      accounts: accountIds(accounts),
      onlyTheseAccounts: false,
      since: new Date(shape.until.getTime() - 30 * 86_400_000).toISOString(),
      until,
    },
    {
      catalog,
      audit,
      policy: (account) => policyOf(config, account),
      verifyLog: (read) => verifyAnchored({ audit, ...anchors, read }),
      progress: say,
    },
  );
  const queryS = (performance.now() - runStart) / 1000;
  const context = { source: 'benchmark', generatedAt: until, limit: 20 };
  const renderStart = performance.now();
  const sizes = {
    table: formatTable(report, context).length,
    json: JSON.stringify(report).length,
    csv: CSV_TABLES.reduce((n, table) => n + formatCsv(report, table).length, 0),
    html: formatHtml(report, context).length,
  };
  const renderS = (performance.now() - renderStart) / 1000;
  const auditS = (performance.now() - runStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const auditOperations = Object.fromEntries(operations);

  const incrementalStart = performance.now();
  const incrementalCpuStart = process.cpuUsage();
  const incremental = await verifyAnchored({ audit, ...anchors });
  const incrementalCpu = process.cpuUsage(incrementalCpuStart);
  const incrementalS = (performance.now() - incrementalStart) / 1000;
  await profiler?.stop();

  const verifyStart = performance.now();
  const verifyCpuStart = process.cpuUsage();
  const verdict = await verifyChain(audit.entries());
  const verifyCpu = process.cpuUsage(verifyCpuStart);
  const verifyS = (performance.now() - verifyStart) / 1000;
  const targets = {
    auditMillionSeconds: target(AUDIT_TARGETS.auditMillionSeconds, auditS),
    auditIncrementalSeconds: target(AUDIT_TARGETS.auditIncrementalSeconds, incrementalS),
  };

  const result = {
    machine: machine(),
    load: { start: loadAtStart, end: machine().loadAverage1m },
    storage: dataPath ? 'disk' : 'memory',
    catalog: { recoveryPoints: points, resources: report.totals.resources, accounts, auditEntries: total },
    targets,
    incrementalVerify: {
      anchor: anchorSeq,
      entriesChecked: incremental.entries,
      after: incremental.unanchored?.entries ?? 0,
      intact: incremental.ok,
    },
    seconds: {
      seedCatalog: round(seedCatalogS),
      seedAudit: round(seedAuditS),
      audit: round(auditS),
      auditQueries: round(queryS),
      auditRender: round(renderS),
      incrementalVerify: round(incrementalS),
      verifyAlone: round(verifyS),
    },
    auditCpuSeconds: round((cpu.user + cpu.system) / 1e6),
    // On a busy machine wall time is mostly waiting for a core: the CPU seconds are this process's own work.
    cpuSeconds: {
      audit: round((cpu.user + cpu.system) / 1e6),
      incrementalVerify: round((incrementalCpu.user + incrementalCpu.system) / 1e6),
      verifyAlone: round((verifyCpu.user + verifyCpu.system) / 1e6),
    },
    rssMiB: { beforeAudit: rssBeforeAuditMiB, peakDuringAudit: Math.round(peakRssBytes / 2 ** 20) },
    auditOperations,
    outputBytes: sizes,
    checks: { totals: report.totals, auditLogIntact: verdict.ok && incremental.ok && report.auditLog.ok, scans: auditOperations.Scan ?? 0 },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const s = result.seconds;
    console.log(
      [
        `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}; dynalite's tables in ${result.storage}.`,
        `catalog: ${points.toLocaleString('en-US')} recovery points (${report.totals.resources.toLocaleString('en-US')} resources, ${accounts} accounts), ${result.catalog.auditEntries.toLocaleString('en-US')} audit entries`,
        `seed (BatchWriteItem): catalog ${s.seedCatalog} s, audit log ${s.seedAudit} s`,
        `audit (every section, hash chain walked, all formats rendered): ${s.audit} s wall, ${result.auditCpuSeconds} s CPU (dynalite included); queries ${s.auditQueries} s, rendering ${s.auditRender} s`,
        `incremental verify (signed anchor #${anchorSeq.toLocaleString('en-US')}, ${incremental.entries.toLocaleString('en-US')} entries: one day): ${s.incrementalVerify} s wall, ${result.cpuSeconds.incrementalVerify} s CPU`,
        `targets: ${Object.entries(targets)
          .map(([name, t]) => `${name} ${t.value} s (≤ ${t.target}: ${t.holds ? 'holds' : 'MISSED'})`)
          .join(', ')}; load average ${result.load.start} at the start, ${result.load.end} at the end`,
        `full hash-chain walk alone: ${s.verifyAlone} s wall, ${result.cpuSeconds.verifyAlone} s CPU; RSS ${result.rssMiB.beforeAudit} MiB before the audit (dynalite's tables in memory), ${result.rssMiB.peakDuringAudit} MiB at its peak`,
        `DynamoDB calls during the audit: ${JSON.stringify(auditOperations)}`,
      ].join('\n'),
    );
  }
  if (result.checks.scans > 0 || !result.checks.auditLogIntact || report.totals.recoveryPoints !== points) {
    console.error(`bench:audit: the run is not sound: ${JSON.stringify(result.checks)}`);
    process.exitCode = 1;
  } else if (!Object.values(targets).every((t) => t.holds)) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await dynamo.close();
  if (temporary) await rm(temporary, { recursive: true, force: true });
}

/**
 * The audit log's head at `entry`, signed as the audit anchor function signs it (the simulated
 * cloud's KMS and S3, in this process), and what a verify needs to find and check it.
 */
async function signedAnchor(entry: AuditEntry): Promise<{ anchors: AnchorStore; verifier: Awaited<ReturnType<typeof anchorVerifier>> }> {
  const cloud = new SimCloud();
  cloud.addAccount({ id: VAULT });
  const where = auditAnchorLocation({ id: VAULT, auditAnchors: { account: VAULT } }, REGION);
  cloud.kms.createKey(VAULT, REGION, { keySpec: 'ECC_NIST_P256', alias: where.keyId.slice(where.keyId.indexOf('alias/')) });
  cloud.s3.createBucket(VAULT, REGION, where.bucket, {
    objectLockEnabled: true,
    versioning: 'Enabled',
    defaultRetention: { mode: 'COMPLIANCE', days: 1 },
  });
  const config = cloud.clientConfig(cloud.adminCredentials(VAULT), REGION);
  const kms = new KMSClient(config);
  const anchors = new AnchorStore(new S3Client({ ...config, forcePathStyle: true }), where.bucket, where.owner);
  const head = { vault: VAULT, seq: entry.seq, hash: entry.hash, at: entry.at, signedAt: entry.at };
  await anchors.put(await signAnchor(kms, where.keyId, head));
  return { anchors, verifier: await anchorVerifier(kms, where.keyId) };
}

/** A CPU profile of the audit and the incremental verify (--profile FILE, a .cpuprofile Chrome DevTools reads). */
async function startProfile(file: string): Promise<{ stop(): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function target(limit: number, seconds: number): Target {
  return targetAtMost(round(seconds), limit);
}

/** To the millisecond (a tiny run renders in a few). */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
