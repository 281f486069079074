import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startLocalDynamo } from '@backup-hub/aws-sim';
import { CSV_TABLES, formatCsv } from '../cli/audit/format-csv.js';
import { formatHtml } from '../cli/audit/format-html.js';
import { formatTable } from '../cli/audit/format-table.js';
import { createTables } from '../drill/hub-tables.js';
import { AuditLog } from '../shared/audit/audit-log.js';
import { verifyChain } from '../shared/audit/verify-chain.js';
import { AwsClients } from '../shared/aws/clients.js';
import { Catalog } from '../shared/catalog/catalog.js';
import { loadAccounts } from '../shared/config/accounts.js';
import { policyOf } from '../shared/report/account-policy.js';
import { buildAuditReport } from '../shared/report/audit-report.js';
import { accountIds, auditEntries, batchWrite, recoveryPoints, type SeedShape } from './audit-seed.js';
import { machine } from './machine.js';

/**
 * `npm run bench:audit -- [--points N] [--accounts K] [--json]`: the audit's run time over a
 * catalog of N recovery points (default 100,000) on dynalite, seeded with BatchWriteItem. Seed
 * time is reported apart from audit time; dynalite runs in this process, so its CPU is counted in.
 */
// The SDK's once-a-process notice that Node 20 support ends in 2027 (Lambda runs nodejs22.x).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '100000' },
    accounts: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const points = Number(values.points);
const accounts = Number(values.accounts);
if (!Number.isInteger(points) || points < 100 || !Number.isInteger(accounts) || accounts < 1 || accounts > points) {
  console.error('usage: npm run bench:audit -- [--points N] [--accounts K] [--json]  (N ≥ 100, 1 ≤ K ≤ N, whole numbers)');
  process.exit(2);
}
const say = values.json ? () => {} : (line: string) => console.error(line);
const shape: SeedShape = { points, accounts, pointsPerResource: 10, auditEntriesPerPoint: 2, until: new Date('2026-03-10T12:00:00.000Z') };
const tables = { catalog: 'backup-hub-catalog', audit: 'backup-hub-audit' };

const operations = new Map<string, number>();
const dynamo = await startLocalDynamo({ onOperation: (op) => operations.set(op, (operations.get(op) ?? 0) + 1) });
let peakRssBytes = 0;
const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 50);
try {
  await createTables(dynamo.clientConfig, tables);
  const db = new AwsClients({ services: { dynamodb: dynamo.clientConfig } }).dynamo('eu-west-1');

  const seedStart = performance.now();
  await batchWrite(db, tables.catalog, recoveryPoints(shape), (n) => say(`seed: ${n.toLocaleString('en-US')} recovery points`));
  const seedCatalogS = (performance.now() - seedStart) / 1000;
  await batchWrite(db, tables.audit, auditEntries(shape), (n) => say(`seed: ${n.toLocaleString('en-US')} audit entries`));
  const seedAuditS = (performance.now() - seedStart) / 1000 - seedCatalogS;

  operations.clear();
  // The audit's own peak, not the seeding's (dynalite's in-memory tables stay in the figure: they are this process's).
  peakRssBytes = process.memoryUsage().rss;
  const rssBeforeAuditMiB = Math.round(peakRssBytes / 2 ** 20);
  const config = loadAccounts();
  const catalog = new Catalog(db, tables.catalog);
  const audit = new AuditLog(db, tables.audit, () => shape.until);
  const until = shape.until.toISOString();
  const cpuStart = process.cpuUsage();
  const runStart = performance.now();
  const report = await buildAuditReport(
    {
      accounts: accountIds(accounts),
      onlyTheseAccounts: false,
      since: new Date(shape.until.getTime() - 30 * 86_400_000).toISOString(),
      until,
    },
    { catalog, audit, policy: (account) => policyOf(config, account), progress: say },
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

  const verifyStart = performance.now();
  const verdict = await verifyChain(audit.entries());
  const verifyS = (performance.now() - verifyStart) / 1000;

  const result = {
    machine: machine(),
    catalog: { recoveryPoints: points, resources: report.totals.resources, accounts, auditEntries: points * shape.auditEntriesPerPoint },
    seconds: {
      seedCatalog: round(seedCatalogS),
      seedAudit: round(seedAuditS),
      audit: round(auditS),
      auditQueries: round(queryS),
      auditRender: round(renderS),
      verifyAlone: round(verifyS),
    },
    auditCpuSeconds: round((cpu.user + cpu.system) / 1e6),
    rssMiB: { beforeAudit: rssBeforeAuditMiB, peakDuringAudit: Math.round(peakRssBytes / 2 ** 20) },
    auditOperations,
    outputBytes: sizes,
    checks: { totals: report.totals, auditLogIntact: verdict.ok, scans: auditOperations.Scan ?? 0 },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const s = result.seconds;
    console.log(
      [
        `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, load average ${result.machine.loadAverage1m} at the end.`,
        `catalog: ${points.toLocaleString('en-US')} recovery points (${report.totals.resources.toLocaleString('en-US')} resources, ${accounts} accounts), ${result.catalog.auditEntries.toLocaleString('en-US')} audit entries`,
        `seed (BatchWriteItem): catalog ${s.seedCatalog} s, audit log ${s.seedAudit} s`,
        `audit (every section, hash chain walked, all formats rendered): ${s.audit} s wall, ${result.auditCpuSeconds} s CPU (dynalite included); queries ${s.auditQueries} s, rendering ${s.auditRender} s`,
        `verify alone: ${s.verifyAlone} s; RSS ${result.rssMiB.beforeAudit} MiB before the audit (dynalite's tables in memory), ${result.rssMiB.peakDuringAudit} MiB at its peak`,
        `DynamoDB calls during the audit: ${JSON.stringify(auditOperations)}`,
      ].join('\n'),
    );
  }
  if (result.checks.scans > 0 || !verdict.ok || report.totals.recoveryPoints !== points) {
    console.error(`bench:audit: the run is not sound: ${JSON.stringify(result.checks)}`);
    process.exitCode = 1;
  }
} finally {
  clearInterval(sampler);
  await dynamo.close();
}

/** To the millisecond (a tiny run renders in a few). */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
