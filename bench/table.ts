import type { BenchReport } from './bench.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mark = (holds: boolean | undefined) => (holds === undefined ? '' : holds ? ' ✓' : ' ✗');

/** The report as the README's Markdown table (and the bench's default output). */
export function markdownTable(report: BenchReport): string {
  const { machine: m } = report;
  const lines = [
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node} (${m.platform}), load average ${m.loadAverage1m} at the end; mode: ${report.mode}.`,
    '',
    '| handler | bundle | SDK floor | size ratio (≤ 1.15) | cold init (CPU) | floor init (CPU) | init ratio (≤ 1.15) | events/s per core (≥ 2,000) | overhead p50 / p99 ms (p99 ≤ 5) | API calls per event (AWS + DynamoDB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, h] of Object.entries(report.handlers)) {
    const p = h.pipeline;
    let perSecond = '–';
    let overhead = '–';
    let calls = '–';
    if ('kind' in p && p.kind === 'copy-queue') {
      perSecond = `${p.throughput.eventsPerSecond.toLocaleString('en-US')}${mark(h.checks.eventsPerSecond?.holds)}`;
      overhead = `${p.overhead.p50Ms.toFixed(2)} / ${p.overhead.p99Ms.toFixed(2)}${mark(h.checks.p99OverheadMs?.holds)}`;
      calls = `${p.overhead.awsCallsPerEvent} + ${p.overhead.dynamoCallsPerEvent}`;
    } else if ('kind' in p) {
      perSecond = `${p.run.pointsPerSecond.toLocaleString('en-US')} points/s`;
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
  if (ebs && 'kind' in ebs && ebs.kind === 'copy-queue' && ebs.latency) {
    const l = ebs.latency;
    lines.push(
      '',
      `Event → vault CopySnapshot request (simulated time; none / aws-managed / cmk): zero simulated latency ${l.zeroLatencySimMs.none} / ${l.zeroLatencySimMs['aws-managed']} / ${l.zeroLatencySimMs.cmk} ms; with the simulation's default copy times ${fmtMin(l.defaultCopyTimesSimMs.none)} / ${fmtMin(l.defaultCopyTimesSimMs['aws-managed'])} / ${fmtMin(l.defaultCopyTimesSimMs.cmk)}; in-process wall time for an unencrypted snapshot ${l.wallMsUnencrypted.toFixed(1)} ms.`,
    );
  }
  return lines.join('\n');
}

const fmtMin = (ms: number) => (ms === 0 ? '0' : `${(ms / 60_000).toFixed(1)} min`);
