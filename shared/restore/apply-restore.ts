import { pointFacts } from '../audit/audit-entry.js';
import { describeError, isDeterministicAwsError } from '../aws/aws-errors.js';
import { CopyQuotaFull, PermanentFailure } from '../core/errors.js';
import { type ArtifactKindName, artifactKind } from '../kinds/index.js';
import { kindDeps } from '../pipeline/kind-deps.js';
import { regionDeps } from '../pipeline/region-copy.js';
import type { HubContext } from '../runtime/hub-context.js';
import { itemLabel, type RestoreItem, type RestorePlan } from './restore-plan.js';

/** What became of one artifact of a restore. */
export interface RestoredArtifact {
  kind: ArtifactKindName;
  account: string;
  region: string;
  resourceId: string;
  sourceId: string;
  /** When the recovery point was created in the source. */
  pointCreatedAt: string;
  vaultCopyId: string;
  status: 'usable' | 'failed';
  /** What the recovery account uses: a snapshot or image id, a DB snapshot ARN, `<parameter>:<version>`. */
  restoredId?: string;
  detail: string;
  /** From the restore's start until usable (or given up). */
  seconds: number;
}

export interface RestoreResult {
  /** Restored from the vault copies in this vault region (the DR region); from the vault's own region when absent. */
  fromRegion?: string;
  /** Restored into the recovery account in this other region (each copy copied across first); into the region restored from when absent. */
  toRegion?: string;
  startedAt: string;
  finishedAt: string;
  /** Into this account. */
  target: string;
  artifacts: RestoredArtifact[];
}

export interface RestoreRunOptions {
  /** Lets time pass between rounds (a timer in the CLI; simulated time in a drill). */
  wait(ms: number): Promise<void>;
  /** Receives one line per step, with the time since the restore started. */
  log(line: string): void;
  /** Between rounds; 30 s by default. */
  pollMs?: number;
  /** An artifact not usable this long after the start is given up; 24 h by default (copies take "minutes to hours"). */
  deadlineMs?: number;
}

/** A transient error this many rounds in a row (throttling that outlasts the SDK's retries, say) fails the artifact. */
const MAX_TRANSIENT_ERRORS = 5;

interface Pending {
  item: RestoreItem;
  /** The last progress logged. */
  last?: string;
  /** Transient errors in a row. */
  errors: number;
  done?: true;
}

/**
 * Carries out a restore plan: pushes every artifact in rounds until each is usable in the recovery
 * account or has failed, logging each step with the time it took and recording every outcome in
 * the audit log. One artifact's failure never stops the others. Re-running it after a crash
 * continues where it stopped: each kind finds its own restore copies by their tags.
 *
 * @example
 * const result = await applyRestore(plan, ctx, { wait: (ms) => setTimeout(ms), log: console.log });
 */
export async function applyRestore(plan: RestorePlan, ctx: HubContext, options: RestoreRunOptions): Promise<RestoreResult> {
  const started = ctx.now();
  const elapsed = () => ctx.now().getTime() - started.getTime();
  const say = (line: string) => options.log(`[+${clock(elapsed())}] ${line}`);
  const artifacts: RestoredArtifact[] = [];
  const { toRegion } = plan.request;
  const into = toRegion ? ` (${toRegion})` : '';
  // The audit entry first: an append that fails leaves the artifact pending, pushed again next round
  // (each kind finds what it made), so no artifact is reported done without its entry.
  const finish = async (p: Pending, status: RestoredArtifact['status'], detail: string, restoredId?: string) => {
    const { point } = p.item;
    await ctx.audit.append({
      decision: status === 'usable' ? 'restored' : 'failed',
      reason:
        status === 'usable'
          ? `usable in ${plan.target.account}${into} as ${restoredId}: ${detail}`
          : `restore into ${plan.target.account}${into} failed: ${detail}`,
      ...pointFacts(point),
    });
    p.done = true;
    artifacts.push({
      kind: point.kind,
      account: point.account,
      region: point.region,
      resourceId: point.resourceId,
      sourceId: point.sourceId,
      pointCreatedAt: point.createdAt,
      vaultCopyId: point.vaultCopyId!,
      status,
      restoredId,
      detail,
      seconds: Math.round(elapsed() / 1000),
    });
    say(`${itemLabel(point)}: ${status === 'usable' ? `usable as ${restoredId}` : 'FAILED'}: ${detail} (${minutes(elapsed())})`);
  };

  say(`restore into ${plan.target.account}: ${plan.items.length} artifact(s)`);
  let pending: Pending[] = plan.items.map((item) => ({ item, errors: 0 }));
  while (pending.length > 0) {
    for (const p of pending) await push(p, plan, ctx, { say, finish });
    pending = pending.filter((p) => !p.done);
    if (pending.length === 0) break;
    if (elapsed() >= (options.deadlineMs ?? 24 * 3_600_000)) {
      for (const p of pending) await finish(p, 'failed', `not usable after ${minutes(elapsed())}: ${p.last ?? 'no progress'}`);
      break;
    }
    await options.wait(options.pollMs ?? 30_000);
  }
  const result = {
    ...(plan.request.fromRegion ? { fromRegion: plan.request.fromRegion } : {}),
    ...(toRegion ? { toRegion } : {}),
    startedAt: started.toISOString(),
    finishedAt: ctx.now().toISOString(),
    target: plan.target.account,
    artifacts,
  };
  const usable = artifacts.filter((a) => a.status === 'usable').length;
  say(
    `done: ${usable} of ${artifacts.length} usable in ${plan.target.account}, ${artifacts.length - usable} failed, in ${minutes(elapsed())}`,
  );
  return result;
}

async function push(
  p: Pending,
  plan: RestorePlan,
  ctx: HubContext,
  out: {
    say(line: string): void;
    finish(p: Pending, status: RestoredArtifact['status'], detail: string, restoredId?: string): Promise<void>;
  },
): Promise<void> {
  const { point } = p.item;
  try {
    const kind = artifactKind(point.kind);
    const { fromRegion } = plan.request;
    const deps = fromRegion === undefined ? kindDeps(kind, ctx) : regionDeps(kind, ctx, fromRegion);
    const progress = await kind.restore(point, plan.target, deps);
    p.errors = 0;
    if (progress.status === 'usable') return await out.finish(p, 'usable', progress.detail, progress.restoredId);
    report(p, progress.detail, out.say);
  } catch (error) {
    if (error instanceof CopyQuotaFull) return report(p, `waiting for a copy slot (${error.message})`, out.say);
    if (error instanceof PermanentFailure || isDeterministicAwsError(error) || ++p.errors >= MAX_TRANSIENT_ERRORS)
      return await out.finish(p, 'failed', describeError(error));
    out.say(`${itemLabel(point)}: will retry: ${describeError(error)}`);
  }
}

/** Logs progress only when it changes, so a long copy is one line, not one per round. */
function report(p: Pending, detail: string, say: (line: string) => void): void {
  if (detail === p.last) return;
  p.last = detail;
  say(`${itemLabel(p.item.point)}: ${detail}`);
}

function clock(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
