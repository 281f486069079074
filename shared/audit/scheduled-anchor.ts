import { kmsClient, s3Client } from '../aws/clients.js';
import type { HubContext } from '../runtime/hub-context.js';
import { AnchorStore } from './anchor.js';
import { type AnchorOutcome, AnchorRefusedError, anchorAuditHead } from './anchor-audit.js';
import { anchorSettingsFromEnv } from './anchor-settings.js';

/**
 * The audit anchor function's scheduled run: signs the audit log's head (see {@link anchorAuditHead}).
 * A refusal (a forged anchor, a broken chain) is logged at ERROR, which pages through the alert
 * alarm, and fails the run.
 */
export async function scheduledAnchor(context: HubContext, env: Record<string, string | undefined>): Promise<AnchorOutcome> {
  const settings = anchorSettingsFromEnv(env);
  const region = context.config.vaultRegion;
  try {
    const outcome = await anchorAuditHead({
      audit: context.audit,
      anchors: new AnchorStore(s3Client(context.aws, region), settings.bucket, settings.bucketOwner),
      kms: kmsClient(context.aws, region),
      keyId: settings.keyArn,
      vault: context.config.vaultAccountId,
      now: context.now,
    });
    context.logger.info('audit anchor', { outcome });
    return outcome;
  } catch (error) {
    if (error instanceof AnchorRefusedError) context.logger.error(error.message);
    throw error;
  }
}
