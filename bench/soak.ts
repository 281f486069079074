import os from 'node:os';
import { parseArgs } from 'node:util';
import { runFairnessSoak } from './soak-fairness.js';
import { runSoak } from './soak-run.js';
import { SOAK_TARGETS, targetAtMost } from './targets.js';

// The SDK warns once per process that Node 20 support ends in 2027; it would break the one-JSON-object output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * `npm run bench:soak -- --events N [--quota Q] [--throttle 0.2] [--json]`: the fault-injection
 * soak on the simulated cloud. Prints one JSON object (with --json) or a short summary. With
 * `--runaway-source ACCOUNT [--runaway-events M]` (M = N by default) it runs the soak twice, without
 * and with M more backups of that source announced first, and reports the other sources' time to
 * protection in both, with its `targets` entry (exit status 1 unless it holds).
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    quota: { type: 'string', default: '20' },
    throttle: { type: 'string', default: '0.2' },
    json: { type: 'boolean', default: false },
    'runaway-source': { type: 'string' },
    'runaway-events': { type: 'string' },
  },
});
const events = Number(values.events);
const quota = Number(values.quota);
const throttleShare = Number(values.throttle);
if (!Number.isInteger(events) || events < 1 || !Number.isInteger(quota) || quota < 1 || !(throttleShare >= 0 && throttleShare < 1)) {
  console.error(
    'usage: npm run bench:soak -- --events N [--quota Q] [--throttle SHARE] [--json]  (N, Q positive integers; 0 <= SHARE < 1)',
  );
  process.exit(2);
}
const runawaySource = values['runaway-source'];
const runawayEvents = Number(values['runaway-events'] ?? events);
if (runawaySource !== undefined && !(Number.isInteger(runawayEvents) && runawayEvents > 0)) {
  console.error('usage: npm run bench:soak -- --events N --runaway-source ACCOUNT [--runaway-events M] [--json]  (M a positive integer)');
  process.exit(2);
}
const loadAtStart = os.loadavg()[0]!;
const report = runawaySource
  ? {
      ...(await runFairnessSoak({ events, quota, throttleShare, runawaySource, runawayEvents })),
      load: { start: loadAtStart, end: os.loadavg()[0]! },
    }
  : await plainSoak();
if (Object.values(report.targets).some((t) => !t.holds)) process.exitCode = 1;

async function plainSoak() {
  const soak = await runSoak({ events, quota, throttleShare });
  // The wall-time target is set for 10,000 events; a run of another size gives the figure scaled to that, not a verdict.
  const scaled = Math.round((soak.wallSeconds * SOAK_TARGETS.events) / events);
  return {
    ...soak,
    load: { start: loadAtStart, end: os.loadavg()[0]! },
    ...(events === SOAK_TARGETS.events
      ? { targets: { soak10kWallSeconds: targetAtMost(soak.wallSeconds, SOAK_TARGETS.soak10kWallSeconds) } }
      : { targets: {}, soak10kWallSecondsScaled: scaled }),
  };
}
if (values.json) console.log(JSON.stringify(report));
else
  console.log(
    Object.entries(report)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join('\n'),
  );
