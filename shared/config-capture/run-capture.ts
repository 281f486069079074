import type { S3Client } from '@aws-sdk/client-s3';
import { CONFIG_CAPTURE, CONFIG_CAPTURE_HOURS, NAMES } from '../../accounts/stack/names.js';
import { describeError } from '../aws/aws-errors.js';
import { ec2Client, rdsClient, s3Client } from '../aws/clients.js';
import { SourceSessions } from '../aws/source-sessions.js';
import type { HubContext } from '../runtime/hub-context.js';
import { BudgetExhausted, Pacer, type RunClock } from '../sweep/pacer.js';
import { captureConfiguration } from './capture.js';
import type { CaptureTrigger } from './document.js';
import { captureUri, listCaptures, storeCapture } from './store.js';

/**
 * Calls a second a capture makes in a source region: a quarter of what EC2 refills each Describe
 * API's bucket with (20) and RDS its one bucket (12), so that the account's own tools keep the rest.
 */
export const CAPTURE_BUDGET = { ec2: 5, rds: 3 } as const;

/** A new AMI or DB snapshot captures its region again, unless a capture is younger than this: a burst of snapshots makes one capture. */
const EVENT_COALESCE_MS = 15 * 60_000;

/** What one run did for each source region: captured (where to), skipped (not due), or failed (why). */
export type CaptureOutcome =
  | { account: string; region: string; outcome: 'captured'; uri: string; calls: number }
  | { account: string; region: string; outcome: 'skipped'; reason: string }
  | { account: string; region: string; outcome: 'failed'; reason: string };

/** What starts a run: the hourly schedule, or a source's AMI or DB snapshot event forwarded to the vault bus. */
export interface CaptureRequest {
  /** For an event: the account and region it came from, and the resource it names. */
  event?: { account: string; region: string; resource: string };
}

/**
 * One run of the configuration capture: every due source region (its last capture older than its
 * account's configCaptureHours), or the one an event names. Each region through the source's config
 * reader role, paced per account and region, within the run's time; one failure never stops the others.
 */
export async function runCapture(ctx: HubContext, request: CaptureRequest, clock: RunClock): Promise<CaptureOutcome[]> {
  const { config, aws } = ctx;
  const vault = { account: config.vaultAccountId, region: config.vaultRegion, keyArn: config.vaultKeyArn };
  const s3 = s3Client(aws, config.vaultRegion);
  const sessions = new SourceSessions(
    aws,
    {
      region: config.vaultRegion,
      roleName: NAMES.configReaderRole,
      externalId: config.externalId,
      sessionName: 'backup-hub-config-capture',
      sourceIdentity: config.functionName,
      deployHint: "deploy the source stack: it creates the config reader role the vault's capture assumes",
    },
    ctx.now,
  );
  const records = await ctx.sources.all();
  const deadline = clock.now() + CONFIG_CAPTURE.runBudgetSeconds * 1000;
  const targets = request.event
    ? [{ ...request.event, everyMs: EVENT_COALESCE_MS, trigger: { kind: 'event', resource: request.event.resource } as CaptureTrigger }]
    : [...records].flatMap(([account, record]) =>
        record.regions.map((region) => ({
          account,
          region,
          everyMs: (record.configCaptureHours ?? CONFIG_CAPTURE_HOURS) * 3_600_000,
          trigger: { kind: 'schedule' } as CaptureTrigger,
        })),
      );
  const outcomes: CaptureOutcome[] = [];
  for (const target of targets) {
    const { account, region } = target;
    if (!records.has(account)) {
      outcomes.push({ account, region, outcome: 'skipped', reason: `${account} is not a source of this vault` });
      continue;
    }
    try {
      const due = await isDue(s3, vault, account, region, new Date(clock.now() - target.everyMs + 1));
      if (!due) {
        outcomes.push({ account, region, outcome: 'skipped', reason: `captured within the last ${target.everyMs / 3_600_000} h` });
        continue;
      }
      const credentials = sessions.credentials(account);
      const pacers = { ec2: new Pacer(CAPTURE_BUDGET.ec2, clock, deadline), rds: new Pacer(CAPTURE_BUDGET.rds, clock, deadline) };
      const document = await captureConfiguration(
        { ec2: ec2Client(aws, region, credentials), rds: rdsClient(aws, region, credentials), pacers },
        { account, region, now: () => new Date(clock.now()), trigger: target.trigger },
      );
      const stored = await storeCapture(s3, vault, document);
      outcomes.push({ account, region, outcome: 'captured', uri: captureUri(vault, stored), calls: pacers.ec2.calls + pacers.rds.calls });
    } catch (error) {
      const reason =
        error instanceof BudgetExhausted ? `not captured in this run (${error.message}); the next run captures it` : describeError(error);
      outcomes.push({ account, region, outcome: 'failed', reason });
    }
  }
  for (const o of outcomes)
    if (o.outcome === 'failed') ctx.logger.error('configuration capture failed', { ...o });
    else ctx.logger.info(`configuration capture ${o.outcome}`, { ...o });
  return outcomes;
}

async function isDue(s3: S3Client, vault: Parameters<typeof listCaptures>[1], account: string, region: string, since: Date) {
  return (await listCaptures(s3, vault, account, region, since)).length === 0;
}
