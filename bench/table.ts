import type { QuotaName } from '@backup-hub/aws-sim';
import type { BenchReport } from './bench.js';
import type { QuotaHeadroom, ScaleFigures } from './quota-headroom.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mark = (holds: boolean | undefined) => (holds === undefined ? '' : holds ? ' ✓' : ' ✗');

/** The report as the README's Markdown table (and the bench's default output). */
export function markdownTable(report: BenchReport): string {
  const { machine: m } = report;
  const lines = [
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node} (${m.platform}); load averages (1, 5, 15 min) ${report.load.start.join(' / ')} at the start, ${report.load.end.join(' / ')} at the end; mode: ${report.mode}.`,
    '',
    '| target | value | limit | holds |',
    '| --- | ---: | ---: | :---: |',
    ...Object.entries(report.targets).map(([name, t]) => `| ${name} | ${t.value} | ≤ ${t.target} |${mark(t.holds)} |`),
    '',
    `| handler | bundle | SDK floor | size ratio (≤ ${report.targets.sizeRatio?.target}) | cold init (CPU) | floor init (CPU) | init ratio | events/s per core (own CPU) | overhead p50 / p99 ms | API calls per event (AWS + DynamoDB) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, h] of Object.entries(report.handlers)) {
    const p = h.pipeline;
    let perSecond = '–';
    let overhead = '–';
    let calls = '–';
    if ('kind' in p && p.kind === 'copy-queue') {
      perSecond = p.eventsPerSecond.toLocaleString('en-US');
      overhead = `${p.overhead.p50Ms.toFixed(2)} / ${p.overhead.p99Ms.toFixed(2)}`;
      calls = `${p.overhead.awsCallsPerEvent} + ${p.overhead.dynamoCallsPerEvent}`;
    } else if ('kind' in p) {
      perSecond = `${p.run.pointsPerSecond.toLocaleString('en-US')} points/s (whole process)`;
      overhead = `${p.run.overheadPerPointMs.toFixed(2)} per point`;
      calls = `${p.run.awsCallsPerPoint} + ${p.run.dynamoCallsPerPoint} per point`;
    }
    lines.push(
      `| ${name} | ${kb(h.bytes)} | ${kb(h.floor.bytes)} | ${h.sizeRatio.toFixed(2)}${mark(h.checks.sizeRatio?.holds)} | ${h.initCpuMs === undefined ? '–' : `${h.initCpuMs.toFixed(0)} ms`} | ${h.floor.initCpuMs === undefined ? '–' : `${h.floor.initCpuMs.toFixed(0)} ms`} | ${h.initRatio === undefined ? '–' : `${h.initRatio.toFixed(2)}${mark(h.checks.initRatio?.holds)}`} | ${perSecond} | ${overhead} | ${calls} |`,
    );
  }
  for (const [name, h] of Object.entries(report.handlers)) {
    if ('error' in h.pipeline) lines.push('', `${name}: ${h.pipeline.error}`);
  }
  const ebs = report.handlers['ebs-snapshot']?.pipeline;
  if (ebs && 'kind' in ebs && ebs.kind === 'copy-queue') lines.push('', ...ebsDetail(ebs));
  if (report.costModel) lines.push('', ...costTable(report.costModel));
  lines.push('', ...quotaTable(report.quotas));
  return lines.join('\n');
}

type CopyQueuePipeline = Extract<BenchReport['handlers'][string]['pipeline'], { kind: 'copy-queue' }>;

const ms = (value: number) => value.toFixed(2);

/** Where the EBS handler's CPU goes, against the least its SDK calls cost. */
function ebsDetail(p: CopyQueuePipeline): string[] {
  const { overhead: o, sdkCallFloor: f, throughput: t } = p;
  const calls = o.awsCallsPerEvent + o.dynamoCallsPerEvent;
  const lines = [
    `EBS snapshot handler, per event (CPU ms; ${o.events} events, ${f.rounds} floor rounds):`,
    '',
    '| | mean | p50 | p99 |',
    '| --- | ---: | ---: | ---: |',
    `| handler's own CPU (overhead) | ${ms(o.meanMs)} | ${ms(o.p50Ms)} | ${ms(o.p99Ms)} |`,
    `| … inside its ${calls} SDK calls | ${ms(o.inSdkCalls.meanMs)} | ${ms(o.inSdkCalls.p50Ms)} | |`,
    `| … outside them (middy, zod, pipeline, audit hash, logging) | ${ms(o.outsideSdkCalls.meanMs)} | ${ms(o.outsideSdkCalls.p50Ms)} | |`,
    `| the same ${calls} SDK calls replayed bare (floor) | ${ms(f.perEvent.meanMs)} | ${ms(f.perEvent.p50Ms)} | ${ms(f.perEvent.p99Ms)} |`,
    '',
    `Events/s per core: ${p.eventsPerSecond.toLocaleString('en-US')} on the handler's own CPU; ${f.eventsPerSecond.toLocaleString('en-US')} if it did nothing but those SDK calls; ${t.wholeProcessEventsPerSecond.toLocaleString('en-US')} for the whole process (concurrent pipeline, simulated AWS and dynalite on the same core, ${t.awsCallsPerEvent} + ${t.dynamoCallsPerEvent} calls per event). Floor per call (p50 ms): ${f.calls.map((c) => `${c.command.replace(/Command$/, '')} ${ms(c.p50Ms)}`).join(' · ')}.`,
  ];
  if (p.latency) {
    const l = p.latency;
    lines.push(
      '',
      `Event → vault CopySnapshot request (simulated time; none / aws-managed / cmk): zero simulated latency ${l.zeroLatencySimMs.none} / ${l.zeroLatencySimMs['aws-managed']} / ${l.zeroLatencySimMs.cmk} ms; with the simulation's default copy times ${fmtMin(l.defaultCopyTimesSimMs.none)} / ${fmtMin(l.defaultCopyTimesSimMs['aws-managed'])} / ${fmtMin(l.defaultCopyTimesSimMs.cmk)}; in-process wall time for an unencrypted snapshot ${l.wallMsUnencrypted.toFixed(1)} ms.`,
    );
  }
  return lines;
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');

/** The Lambda cost model, per protected snapshot and per month. */
function costTable(c: NonNullable<BenchReport['costModel']>): string[] {
  const a = c.assumptions;
  const modes = Object.entries(c.perMode);
  return [
    `Lambda cost per protected EBS snapshot (${c.lambda.architecture}, ${c.lambda.memoryMb} MB; ${ms(c.cpuMsPerCall)} ms of CPU per SDK call, measured; ${a.awsCallWaitMs} ms per AWS call and ${a.dynamoCallWaitMs} ms per DynamoDB call of waiting, assumed) and per month for ${a.accounts} accounts × ${a.artifactsPerAccountPerDay} snapshots a day (${count(c.artifactsPerMonth)} a month, plus ${count(c.reconcilerPerMonth.invocations)} reconciler runs):`,
    '',
    `| source encryption | invocations | API calls (AWS + DynamoDB) | billed ms | GB-s | a month: invocations | GB-s | API calls (AWS + DynamoDB) | USD |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...modes.map(
      ([mode, m]) =>
        `| ${mode} | ${m.invocationsPerArtifact} | ${m.awsCallsPerArtifact} + ${m.dynamoCallsPerArtifact} | ${m.billedMsPerArtifact.toFixed(0)} | ${m.gbSecondsPerArtifact.toFixed(3)} | ${count(m.monthly.invocations)} | ${count(m.monthly.gbSeconds)} | ${count(m.monthly.awsCalls)} + ${count(m.monthly.dynamoCalls)} | ${m.monthly.usd.toFixed(2)} |`,
    ),
    '',
    `The DR region adds a month (${a.changedGiBPerArtifact} GiB changed per snapshot, kept ${a.retentionDays} days; assumed): ${count(c.drRegion.transferGiB)} GiB across regions at $${a.usdPerGiBInterRegion}/GiB = $${c.drRegion.transferUsd.toFixed(2)}, and ${count(c.drRegion.storedGiB)} GiB of snapshots there at $${a.usdPerGiBMonthSnapshotStorage}/GiB-month = $${c.drRegion.storageUsd.toFixed(2)}: $${c.drRegion.usd.toFixed(2)}.`,
  ];
}

const fmtMin = (value: number) => (value === 0 ? '0' : `${(value / 60_000).toFixed(1)} min`);

/** The quotas the headroom table shows beside the IAM ones: those that grow with the estate. */
const GROWING: [QuotaName, string][] = [
  ['lambda.environmentSize', 'function environment, bytes (≤ 4,096)'],
  ['events.busPolicySize', 'bus policy, characters (≤ 10,240)'],
  ['kms.keyPolicySize', 'key policy, bytes (≤ 32,768)'],
  ['sqs.policySize', 'queue policy, bytes (≤ 8,192)'],
];

/** Issue 24's headroom: each stack's use of AWS's quotas, at the example scale and at scale. */
function quotaTable(q: QuotaHeadroom): string[] {
  const use = q.iamPolicyQuotaUse;
  const columns = q.scales;
  const row = (label: string, cell: (f: ScaleFigures) => string) => `| ${label} | ${columns.map(cell).join(' | ')} |`;
  const roles = [...new Set(columns.flatMap((f) => Object.keys(f.rolePolicySize)))];
  const largestOf = (f: ScaleFigures, quota: QuotaName) => {
    const share = f.quotas[quota];
    return share ? `${count(share.value)}${mark(share.value <= share.limit)}` : '–';
  };
  return [
    `AWS quotas (every stack rendered as \`serverless package\` writes it and deployed on the simulated cloud, every quota measured): iamPolicyQuotaUse (≤ ${use.target}) ${use.example.share} at the example scale (${use.example.subject}), ${use.atScale.share} at ${use.atScale.scale} (${use.atScale.subject})${mark(use.holds)}; the largest template ${kb(q.templateSize.example.value)} at the example scale, ${kb(q.templateSize.atScale.value)} at ${q.templateSize.atScale.scale} (limit ${count(q.templateSize.limit)} bytes from S3)${mark(q.templateSize.atScale.share <= 1)}.`,
    '',
    `| | ${columns.map((f) => (f.name === 'example' ? `example (${f.sources} sources)` : `${f.name}`)).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    row('stacks', (f) => count(f.stacks)),
    row('render / deploy, s', (f) => `${f.renderSeconds} / ${f.deploySeconds}`),
    row('largest template (≤ 1 MB)', (f) => `${kb(f.largestTemplate.value)}${mark(f.largestTemplate.share <= 1)}`),
    row(`IAM quota use (≤ ${use.target})`, (f) => {
      const iam = Object.entries(f.quotas).filter(([name]) => name.startsWith('iam.'));
      const worst = Math.max(...iam.map(([, share]) => share.share));
      return `${worst.toFixed(2)}${mark(worst <= use.target)}`;
    }),
    ...roles.map((role) =>
      row(`inline policy of ${role}, characters (≤ 10,240)`, (f) => {
        const size = f.rolePolicySize[role];
        return size === undefined ? '–' : `${count(size)}${mark(size <= 10_240)}`;
      }),
    ),
    ...GROWING.map(([quota, label]) => row(`largest ${label}`, (f) => largestOf(f, quota))),
    row('refused on AWS (over a quota)', (f) => {
      const over = Object.entries(f.exceeded);
      return over.length ? over.map(([name, n]) => `${n} × ${name}`).join(', ') : 'none';
    }),
  ];
}
