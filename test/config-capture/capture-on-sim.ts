import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import type { SimCloud } from '@backup-hub/aws-sim';
import { captureConfiguration } from '../../shared/config-capture/capture.js';
import type { CaptureTrigger } from '../../shared/config-capture/document.js';
import { CAPTURE_BUDGET } from '../../shared/config-capture/run-capture.js';
import { Pacer, type RunClock } from '../../shared/sweep/pacer.js';

/** Waits on the simulated clock: a paced capture outside a function takes simulated time, and the account's buckets refill. */
export const simClock = (cloud: SimCloud): RunClock => ({
  now: () => cloud.clock.nowMs(),
  sleep: async (ms) => cloud.clock.advance(ms),
});

/** Captures a source region with an administrator's credentials (the config reader role's calls, not its permissions). */
export async function captureOnSim(cloud: SimCloud, account: string, region: string, trigger: CaptureTrigger = { kind: 'schedule' }) {
  const config = cloud.clientConfig(cloud.adminCredentials(account), region);
  const clock = simClock(cloud);
  const deadline = cloud.clock.nowMs() + 3_600_000;
  const pacers = { ec2: new Pacer(CAPTURE_BUDGET.ec2, clock, deadline), rds: new Pacer(CAPTURE_BUDGET.rds, clock, deadline) };
  const document = await captureConfiguration(
    { ec2: new EC2Client(config), rds: new RDSClient(config), pacers },
    { account, region, now: () => cloud.clock.now(), trigger },
  );
  return { document, pacers };
}
