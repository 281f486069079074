import { SimCloud } from '@backup-hub/aws-sim';
import { buildEstate } from '../drill/estate.js';
import { CAPTURE_BUDGET } from '../shared/config-capture/run-capture.js';
import { captureOnSim } from '../test/config-capture/capture-on-sim.js';

/**
 * `npm run bench:config [-- --json]`: issue 20's capture of a large source (2,000 instances with a
 * data volume each, 450 DB instances and 50 Aurora clusters of one writer: 500 DB instances) on a
 * simulated cloud that throttles as EC2 and RDS document, while the account's own tools keep calling
 * the same APIs (half of each bucket's refill rate). Targets: captured within 10 simulated minutes,
 * and not one call throttled, the capture's or the tools'.
 */
const SOURCE = '111111111111';
const REGION = 'eu-west-1';
const SIZE = { instances: 2000, databases: 450, clusters: 50 };
const TARGET = { minutes: 10, throttled: 0 };
/** The account's own tools: calls a second on each of these buckets, half of what it refills. */
const TOOLS = { DescribeInstances: 10, DescribeVolumes: 10, rds: 6 };
const TICK_MS = 100;

const started = performance.now();
const cloud = new SimCloud({ throttling: true });
cloud.addAccount({ id: SOURCE });
buildEstate(cloud, SOURCE, REGION, SIZE);
const builtMs = performance.now() - started;

// The tools spend tokens straight from the account's buckets, every tick, for as long as the capture runs.
let toolsThrottled = 0;
let toolCalls = 0;
let running = true;
const buckets = [
  { key: `${SOURCE}|${REGION}|ec2`, bucket: cloud.service('ec2').throttle!('DescribeInstances')!, rate: TOOLS.DescribeInstances },
  { key: `${SOURCE}|${REGION}|ec2`, bucket: cloud.service('ec2').throttle!('DescribeVolumes')!, rate: TOOLS.DescribeVolumes },
  { key: `${SOURCE}|${REGION}|rds`, bucket: cloud.service('rds').throttle!('DescribeDBInstances')!, rate: TOOLS.rds },
];
const tick = () => {
  if (!running) return;
  for (const { key, bucket, rate } of buckets)
    for (let i = 0; i < (rate * TICK_MS) / 1000; i++) {
      toolCalls += 1;
      try {
        cloud.throttle.take(key, bucket, cloud.clock.nowMs());
      } catch {
        toolsThrottled += 1;
      }
    }
  cloud.clock.at(cloud.clock.nowMs() + TICK_MS, tick);
};
tick();

const start = cloud.clock.nowMs();
const wall = performance.now();
const { document, pacers } = await captureOnSim(cloud, SOURCE, REGION);
running = false;
const seconds = (cloud.clock.nowMs() - start) / 1000;
const calls = { ec2: pacers.ec2.calls, rds: pacers.rds.calls };
const captureThrottled = pacers.ec2.throttled + pacers.rds.throttled + cloud.throttle.refusedTotal() - toolsThrottled;
const minutes = seconds / 60;
const report = {
  scale: { ...SIZE, dbInstances: document.dbInstances.length, volumes: document.volumes.length },
  captured: { instances: document.instances.length, dbInstances: document.dbInstances.length, dbClusters: document.dbClusters.length },
  simulatedSeconds: round(seconds),
  callsPerSecond: { ec2: round(calls.ec2 / Math.max(seconds, 1)), rds: round(calls.rds / Math.max(seconds, 1)) },
  budget: CAPTURE_BUDGET,
  calls,
  throttled: {
    capture: captureThrottled,
    tools: toolsThrottled,
    share: round((captureThrottled + toolsThrottled) / (calls.ec2 + calls.rds + toolCalls)),
  },
  toolCalls,
  wallSeconds: { build: round(builtMs / 1000), capture: round((performance.now() - wall) / 1000) },
  targets: [
    { target: `captured within ${TARGET.minutes} simulated minutes`, value: round(minutes), holds: minutes <= TARGET.minutes },
    {
      target: 'calls throttled (the capture and the account tools)',
      value: captureThrottled + toolsThrottled,
      holds: captureThrottled + toolsThrottled === TARGET.throttled,
    },
    {
      target: 'everything captured (2,000 instances, 500 DB instances)',
      value: document.instances.length + document.dbInstances.length,
      holds: document.instances.length === SIZE.instances && document.dbInstances.length === SIZE.databases + SIZE.clusters,
    },
  ],
};
const allHold = report.targets.every((t) => t.holds);
process.stdout.write(
  process.argv.includes('--json')
    ? `${JSON.stringify({ ...report, allTargetsHold: allHold }, null, 2)}\n`
    : `${report.targets.map((t) => `${t.holds ? 'holds' : 'MISSED'}  ${t.target}: ${t.value}`).join('\n')}\n`,
);
process.exitCode = allHold ? 0 : 1;

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
