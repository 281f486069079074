import { ec2Client, rdsClient, s3Client } from '../aws/clients.js';
import { captureAsOf, readCapture } from '../config-capture/store.js';
import type { RestoreTarget } from '../kinds/common/artifact-kind.js';
import type { RestoredArtifact, RestoreResult } from '../restore/apply-restore.js';
import type { RestorePlan } from '../restore/restore-plan.js';
import type { HubContext } from '../runtime/hub-context.js';
import { applyRebuild, type RebuildResult, type RebuiltSystem } from './apply-rebuild.js';
import { formatRebuildPlan, planRebuild, type RebuildPlan } from './rebuild-plan.js';

/** A rebuild of each region of a lost account: the plan of each, and with `--apply` what became of it. */
export interface AccountRebuild {
  regions: { region: string; plan: RebuildPlan; result?: RebuildResult }[];
  /** Every rebuilt system, all regions. */
  rebuilt: RebuiltSystem[];
  /** From the restore's start until the last system ran or was available; undefined when one failed. */
  rtoMinutes?: number;
}

/**
 * The rebuild of a restored account, region by region, from each region's capture as of the
 * restore's time. Dry run (no `restored`): the plan, from what the restore plan will make usable.
 * Applied: the plan from what the restore made usable, carried out through the recovery role.
 */
export async function rebuildAccount(
  ctx: HubContext,
  target: RestoreTarget,
  restore: { plan: RestorePlan; asOf: Date; result?: RestoreResult },
  options: { wait(ms: number): Promise<void>; log(line: string): void },
): Promise<AccountRebuild> {
  const vault = { account: ctx.config.vaultAccountId, region: ctx.config.vaultRegion, keyArn: ctx.config.vaultKeyArn };
  const s3 = s3Client(ctx.aws, vault.region);
  const artifacts: RestoredArtifact[] =
    restore.result?.artifacts ??
    restore.plan.items.map(({ point }) => ({
      kind: point.kind,
      account: point.account,
      region: point.region,
      resourceId: point.resourceId,
      sourceId: point.sourceId,
      pointCreatedAt: point.createdAt,
      vaultCopyId: point.vaultCopyId!,
      status: 'usable',
      restoredId: `(restore of ${point.vaultCopyId})`,
      detail: 'planned',
      seconds: 0,
    }));
  const account = restore.plan.items[0]?.point.account;
  const regions = [...new Set(artifacts.map((a) => a.region))].sort();
  const out: AccountRebuild = { regions: [], rebuilt: [] };
  if (!account) return out;
  for (const region of regions) {
    const doc = await readCapture(s3, vault, await captureAsOf(s3, vault, account, region, restore.asOf));
    const plan = planRebuild(
      doc,
      artifacts.filter((a) => a.region === region),
    );
    for (const line of formatRebuildPlan(plan)) options.log(line);
    if (!restore.result) {
      out.regions.push({ region, plan });
      continue;
    }
    const result = await applyRebuild(plan, doc, {
      ec2: ec2Client(ctx.aws, region, target.writer),
      rds: rdsClient(ctx.aws, region, target.writer),
      now: ctx.now,
      wait: options.wait,
      log: options.log,
      since: new Date(restore.result.startedAt),
    });
    out.regions.push({ region, plan, result });
    out.rebuilt.push(...result.rebuilt);
  }
  const failed = out.rebuilt.some((r) => r.status === 'failed') || out.regions.some((r) => r.plan.unbuildable.length > 0);
  if (restore.result && !failed && out.rebuilt.length > 0) out.rtoMinutes = Math.max(...out.rebuilt.map((r) => r.minutes));
  return out;
}
