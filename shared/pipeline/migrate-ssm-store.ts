import { pointFacts } from '../audit/audit-entry.js';
import { type RecoveryPoint, resourceKey } from '../catalog/recovery-point.js';
import { inVault } from '../kinds/common/artifact-kind.js';
import {
  LEGACY_PAGE,
  legacySource,
  legacyValues,
  legacyVaultParameters,
  legacyVaultVersion,
} from '../kinds/ssm-parameter/legacy-vault-parameters.js';
import { versionsOf } from '../kinds/ssm-parameter/ssm-history.js';
import { ssmParameter } from '../kinds/ssm-parameter/ssm-parameter.js';
import { storedCopyId, storeKey, storeVersion } from '../kinds/ssm-parameter/ssm-store.js';
import type { HubContext } from '../runtime/hub-context.js';
import { kindDeps } from './kind-deps.js';

/** Where the migration stands, a marker in the catalog table: the next page's token, or {@link DONE}. */
export const MIGRATION_CURSOR_KEY = 'MIGRATION#ssm-store';
/** Not a token DescribeParameters gives. */
const DONE = '#done';

export interface MigrationRun {
  /** Points whose version now lives in the store. */
  migrated: number;
  /** Points whose version the legacy vault parameter had already dropped: recorded failed, with the reason. */
  lost: number;
  /** Whether every legacy vault parameter has been seen. */
  done: boolean;
}

/**
 * Moves the SSM parameter versions earlier releases kept as vault parameters into the vault's S3
 * store, once, a page of vault parameters per reconciler run (resuming from a cursor in the catalog
 * table): each recovery point that names a legacy vault version gets its value written to the store
 * (once, under the vault key), its life and its new vault copy id, and an audit entry. A version the
 * legacy parameter had already dropped (it kept 100) is recorded failed with the reason and logged at
 * error level, never left `available`. Idempotent: a run cut short is finished by the next. The
 * legacy parameters are left as they are; an operator may delete them once the migration is done.
 * @returns undefined once the migration has finished on an earlier run
 */
export async function migrateSsmStore(ctx: HubContext): Promise<MigrationRun | undefined> {
  const cursor = await ctx.catalog.marker(MIGRATION_CURSOR_KEY);
  if (cursor === DONE) return undefined;
  const page = await legacyVaultParameters(inVault(kindDeps(ssmParameter, ctx)).ssm, cursor);
  const run: MigrationRun = { migrated: 0, lost: 0, done: page.nextToken === undefined };
  for (const name of page.names) await migrateParameter(name, ctx, run);
  await ctx.catalog.setMarker(MIGRATION_CURSOR_KEY, page.nextToken ?? DONE);
  if (run.migrated || run.lost || run.done)
    ctx.logger.info('ssm store migration', { ...run, parametersSeen: page.names.length, pageSize: LEGACY_PAGE });
  return run;
}

async function migrateParameter(vaultName: string, ctx: HubContext, run: MigrationRun): Promise<void> {
  const source = legacySource(vaultName);
  if (!source) return;
  const deps = kindDeps(ssmParameter, ctx);
  const values = await legacyValues(inVault(deps).ssm, vaultName);
  for (const name of source.names) {
    const points: RecoveryPoint[] = [];
    for await (const point of ctx.catalog.byResource(resourceKey('ssm-parameter', source.account, source.region, name)))
      if (legacyVaultVersion(point.vaultCopyId ?? '')?.name === vaultName && point.state !== 'pruned') points.push(point);
    if (points.length === 0) continue;
    // One life for what the legacy parameter held: it could not tell lives apart. Labelled by version 1 when the vault had it, else by its oldest.
    const life = (points.find((p) => p.sourceId === `${name}:1`) ?? points[points.length - 1]!).createdAt;
    for (const point of points) {
      const value = values.get(legacyVaultVersion(point.vaultCopyId!)!.version);
      if (value === undefined) await recordLost(point, life, ctx, run);
      else await moveToStore(point, life, value, ctx, run);
    }
  }
}

async function moveToStore(point: RecoveryPoint, life: string, value: string, ctx: HubContext, run: MigrationRun): Promise<void> {
  const deps = kindDeps(ssmParameter, ctx);
  const version = versionsOf(point.sourceId).from;
  const stored = await storeVersion(inVault(deps).s3, deps.vault, {
    key: storeKey(point, life, version),
    value,
    version,
    sourceModified: point.createdAt,
  });
  const moved = await ctx.catalog.update(point, {
    life,
    vaultCopyId: storedCopyId(stored),
    vaultKeyArn: deps.vault.keyArn,
    updatedAt: ctx.now().toISOString(),
  });
  await ctx.audit.append({
    decision: 'migrated',
    reason: `moved from the vault parameter ${point.vaultCopyId} into the vault store`,
    ...pointFacts(moved),
  });
  run.migrated += 1;
}

async function recordLost(point: RecoveryPoint, life: string, ctx: HubContext, run: MigrationRun): Promise<void> {
  const reason = `lost: the vault parameter ${point.vaultCopyId} no longer held this version when it was moved into the store (Parameter Store keeps the newest 100 versions of a parameter)`;
  const failed = await ctx.catalog.update(point, {
    life,
    state: 'failed',
    stage: 'done',
    failureReason: reason,
    updatedAt: ctx.now().toISOString(),
  });
  await ctx.audit.append({ decision: 'failed', reason, ...pointFacts(failed) });
  ctx.metrics.copyFailed(failed, 'Lost');
  ctx.logger.error('vault copy lost', { kind: point.kind, account: point.account, sourceId: point.sourceId, reason });
  run.lost += 1;
}
