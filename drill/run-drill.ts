import type { AuthorizationMode, EventEnvelope, Template } from '@backup-hub/aws-sim';
import { AnchorRefusedError } from '../shared/audit/anchor-audit.js';
import { scheduledAnchor } from '../shared/audit/scheduled-anchor.js';
import { DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../shared/config/accounts.js';
import { runDoctor } from '../shared/doctor/doctor.js';
import type { Finding } from '../shared/doctor/finding.js';
import { hasOpenWork } from '../shared/pipeline/open-work.js';
import { failedPointsOf, reopenPoint } from '../shared/pipeline/reopen.js';
import { pointKeyOf } from '../shared/restore/restore-request.js';
import { liftLegalHold, placeLegalHold } from '../shared/retention/legal-hold.js';
import { AttackRun } from './attack.js';
import { changeConfig, diffConfigChanges, type ReportedConfigChange } from './config-change.js';
import { simDoctorAccess } from './doctor-access.js';
import type { Drill, DrillStep } from './drill-file.js';
import { collectReport, type DrillReport } from './drill-report.js';
import { drillAccounts, packagedTemplates } from './drill-stacks.js';
import { backUpEstate, buildEstate } from './estate.js';
import { GameDay } from './game-day.js';
import { applyGuardrails } from './guardrails.js';
import { deployLocalHub, LOCAL_STAGE, type LocalHub, type StackRef } from './local-hub.js';
import { LocalStateFolder } from './local-state.js';

const STEP_MS = 60_000;
/** The `values` of a putParameter step are written this far apart: all within one second (at most 10). */
const PARAMETER_BURST_GAP_MS = 100;
const SETTLE_TICK_MS = 5 * 60_000;
/** The drill waits this long (simulated) at the end for copies to finish before reporting. */
const SETTLE_LIMIT_MS = 24 * 3_600_000;

export interface DrillOptions {
  /** Shown in the report. */
  name: string;
  /** Receives one line per step and phase. */
  progress?: (line: string) => void;
  /** Keep the catalog and audit log in this folder, for `backup-hub audit --local`. */
  dataDir?: string;
  /** The account files (default: accounts/ of this repository); the drill deploys from them when it names exactly their accounts. */
  accountsDir?: string;
  /** Deploy the templates `npm run package:all` packaged into this folder instead of rendering them. */
  stacksDir?: string;
  /** How the simulated cloud decides IAM (every distinct request through the library by default). */
  authorization?: AuthorizationMode;
  /** Each stack's template instead of the rendered or packaged one (the least-privilege check takes statements out). */
  template?: (stack: StackRef) => Template;
  /** Looks at the simulated cloud once the drill has settled or stopped, before it is closed (the least-privilege check reads its calls). */
  inspect?: (hub: LocalHub) => void | Promise<void>;
}

/** A step the simulated cloud refused (an id already taken, say), named by its place in the drill. */
export class DrillStepError extends Error {
  constructor(index: number, step: DrillStep, cause: unknown) {
    super(`steps[${index}] (${step.action}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DrillStepError';
  }
}

/**
 * Runs a drill: deploys the hub on a fresh simulated cloud, plays each step (one simulated
 * minute apart, letting events flow), then lets simulated time run until every copy has
 * settled, and reports what became of every event and artifact.
 */
export async function runDrill(drill: Drill, options: DrillOptions): Promise<DrillReport> {
  const say = options.progress ?? (() => {});
  const folder =
    options.dataDir === undefined
      ? undefined
      : await LocalStateFolder.prepare(options.dataDir, { drill: options.name, vault: drill.vault, sources: drill.sources });
  const { accounts, fromFolder } = drillAccounts(drill, loadAccounts(options.accountsDir ?? DEFAULT_ACCOUNTS_DIR), {
    required: options.stacksDir !== undefined,
  });
  const hub = await deployLocalHub({
    vault: drill.vault,
    sources: drill.sources,
    accounts,
    ...(options.stacksDir === undefined ? {} : { template: packagedTemplates(options.stacksDir) }),
    ...(options.template ? { template: options.template } : {}),
    dataPath: folder?.dynamoPath,
    authorization: options.authorization,
    ec2: {
      snapshotDurationMs: 0,
      ...(drill.cloud.copyMinutes === undefined ? {} : { copyDurationMs: () => drill.cloud.copyMinutes! * 60_000 }),
      ...(drill.cloud.snapshotCopyQuota === undefined ? {} : { copyQuota: drill.cloud.snapshotCopyQuota }),
      ...(drill.cloud.imageCopyQuota === undefined ? {} : { imageCopyQuota: drill.cloud.imageCopyQuota }),
    },
    rds: drill.cloud.rdsCopyQuota === undefined ? {} : { copyQuota: drill.cloud.rdsCopyQuota },
  });
  try {
    say(applyGuardrails(hub));
    const from = options.stacksDir === undefined ? 'rendered from' : `packaged in ${options.stacksDir} from`;
    say(
      `deployed from CloudFormation ${from} ${fromFolder ? `the account files in ${accounts.dir}` : 'account files made for this drill (its accounts are not those of accounts/)'}`,
    );
    say(
      `vault ${drill.vault.account} (${drill.vault.region}), sources ${drill.sources.map((s) => `${s.account} [${s.regions.join(', ')}]`).join(', ')}`,
    );
    const refusedAtBus: { id: string; account?: string; reason: string }[] = [];
    const gameDay = new GameDay(hub);
    const doctor: Finding[] = [];
    const attacks = new AttackRun(hub);
    const configChanges: ReportedConfigChange[] = [];
    for (const [index, step] of drill.steps.entries()) {
      say(
        `[${index + 1}/${drill.steps.length}] ${await playStep(hub, step, index, { refusedAtBus, gameDay, doctor, attacks, configChanges, say })}`,
      );
      await hub.cloud.advance(STEP_MS, { tickMs: STEP_MS });
    }
    const ended = gameDay.endOutages();
    if (ended) say(ended);
    say(`settling: waiting (simulated) for pending copies…`);
    const waited = await settle(hub);
    say(`settled after ${Math.round(waited / 60_000)} simulated minutes`);
    const report = await collectReport(hub, {
      name: options.name,
      refusedAtBus,
      restore: gameDay.report(),
      doctor,
      attacks: await attacks.section(),
      configChanges: await diffConfigChanges(hub, configChanges),
    });
    await options.inspect?.(hub);
    await folder?.finish({
      tables: { catalog: hub.config.catalogTable, audit: hub.config.auditTable },
      startedAt: new Date(hub.startedAt),
      endedAt: hub.cloud.clock.now(),
    });
    return report;
  } catch (error) {
    // A drill stopped by a refusal (nothing to restore, say) still has its calls to look at.
    await options.inspect?.(hub);
    throw error;
  } finally {
    await hub.close();
  }
}

interface PlayContext {
  refusedAtBus: { id: string; account?: string; reason: string }[];
  gameDay: GameDay;
  /** What every doctor step found. */
  doctor: Finding[];
  attacks: AttackRun;
  /** What every changeConfig step changed. */
  configChanges: ReportedConfigChange[];
  say: (line: string) => void;
}

async function playStep(
  hub: LocalHub,
  step: DrillStep,
  index: number,
  { refusedAtBus, gameDay, doctor, attacks, configChanges, say }: PlayContext,
): Promise<string> {
  try {
    switch (step.action) {
      case 'buildSystems': {
        const region = regionOf(hub, step);
        const estate = buildEstate(hub.cloud, step.account, region, step, step.name);
        if (step.backup) backUpEstate(hub.cloud, step.account, region, estate);
        return `buildSystems ${step.account}/${region}: VPC ${estate.vpcId}, ${estate.instanceIds.length} instance(s), ${estate.databases.length} DB instance(s), ${estate.clusters.length} Aurora cluster(s)${step.backup ? ', each backed up' : ''}`;
      }
      case 'changeConfig': {
        const region = regionOf(hub, step);
        const change = await changeConfig(hub, step, region);
        configChanges.push(change);
        return `changeConfig ${step.account}/${region}: ${change.made.map((m) => `${m.list} ${m.resource} ${m.field}`).join(', ')}`;
      }
      case 'createVolume': {
        const region = regionOf(hub, step);
        hub.ec2.createVolume(step.account, region, { id: step.volume, encryption: step.encryption, tags: step.tags });
        return `createVolume ${step.account}/${region} ${step.volume} (${step.encryption})`;
      }
      case 'runInstance': {
        const region = regionOf(hub, step);
        const instance = hub.ec2.runInstance(step.account, region, { id: step.instance, encryption: step.encryption, tags: step.tags });
        return `runInstance ${step.account}/${region} ${instance.id} (root volume ${instance.rootVolumeId}, ${step.encryption})`;
      }
      case 'createDBInstance': {
        const region = regionOf(hub, step);
        hub.rds.createDBInstance(step.account, region, { id: step.db, encryption: step.encryption, tags: step.tags });
        return `createDBInstance ${step.account}/${region} ${step.db} (${step.encryption})`;
      }
      case 'createDBCluster': {
        const region = regionOf(hub, step);
        hub.rds.createDBCluster(step.account, region, { id: step.cluster, encryption: step.encryption, tags: step.tags });
        return `createDBCluster ${step.account}/${region} ${step.cluster} (${step.encryption})`;
      }
      case 'createSnapshot': {
        const region = regionOf(hub, step);
        const volume =
          hub.ec2.volume(step.account, region, step.volume) ??
          hub.ec2.createVolume(step.account, region, {
            id: step.volume,
            encryption: step.encryption,
            kmsKeyArn: aliasedKey(hub, step, region),
          });
        const snapshot = hub.ec2.createSnapshot(step.account, region, { volumeId: volume.id, id: step.id, emit: step.emit });
        return `createSnapshot ${step.account}/${region} ${volume.id} (${step.encryption}) → ${snapshot.id}${step.emit ? '' : ' (silent)'}`;
      }
      case 'createImage': {
        const region = regionOf(hub, step);
        const image = hub.ec2.images.create(step.account, region, {
          name: step.name,
          instanceId: step.instance,
          encryption: step.encryption,
          kmsKeyArn: aliasedKey(hub, step, region),
          id: step.id,
          emit: step.emit,
        });
        const of = step.instance ? `of ${step.instance}` : `(${step.encryption})`;
        return `createImage ${step.account}/${region} ${step.name} ${of} → ${image.id}${step.emit ? '' : ' (silent)'}`;
      }
      case 'createDBSnapshot': {
        const region = regionOf(hub, step);
        const snapshot = hub.rds.createDBSnapshot(step.account, region, { ...step, kmsKeyArn: aliasedKey(hub, step, region) });
        return `createDBSnapshot ${step.account}/${region} ${step.db} (${step.type}, ${step.encryption}) → ${snapshot.id}${step.emit ? '' : ' (silent)'}`;
      }
      case 'createDBClusterSnapshot': {
        const region = regionOf(hub, step);
        const snapshot = hub.rds.createDBClusterSnapshot(step.account, region, { ...step, kmsKeyArn: aliasedKey(hub, step, region) });
        return `createDBClusterSnapshot ${step.account}/${region} ${step.cluster} (${step.type}, ${step.encryption}) → ${snapshot.id}${step.emit ? '' : ' (silent)'}`;
      }
      case 'putParameter': {
        const region = regionOf(hub, step);
        const { emit, account, action: _action, region: _region, keyAlias, tags, value, values, ...request } = step;
        const keyId = aliasedKey(hub, { account, encryption: 'cmk', keyAlias }, region);
        const tagList = tags && Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
        const written = (values ?? [value!]).map((one, i) => {
          if (i > 0) hub.cloud.clock.advance(PARAMETER_BURST_GAP_MS);
          return hub.ssm.putParameter(
            account,
            region,
            { ...request, value: one, ...(keyId ? { keyId } : {}), ...(i === 0 && tagList ? { tags: tagList } : {}), overwrite: true },
            { emit },
          ).version;
        });
        // Never the value: the progress lines end up in terminals and CI logs.
        const versions = written.length === 1 ? `version ${written[0]}` : `versions ${written[0]}–${written.at(-1)} within one second`;
        return `putParameter ${account}/${region} ${step.name} (${step.type}) → ${versions}${emit ? '' : ' (silent)'}`;
      }
      case 'deleteParameter': {
        const region = regionOf(hub, step);
        hub.ssm.deleteParameter(step.account, region, step.name);
        return `deleteParameter ${step.account}/${region} ${step.name}`;
      }
      case 'event': {
        const event = step.event as unknown as EventEnvelope;
        const via = step.via ?? String(event.account);
        const id = typeof event.id === 'string' ? event.id : `steps[${index}]`;
        const { delivered, reason } = hub.forward(event, via);
        if (!delivered)
          refusedAtBus.push({
            id,
            account: via,
            reason: `refused by the vault bus policy (account ${via} is not a listed source): ${reason}`,
          });
        return `event ${id} (${String(event['detail-type'])}) forwarded by ${via}: ${delivered ? 'accepted by the vault bus' : 'refused by the vault bus policy'}`;
      }
      case 'fault':
        hub.cloud.faults.add(step);
        return `fault: the next ${step.times} ${step.service}:${step.operation} call(s)${step.account ? ` in ${step.account}` : ''} fail with ${step.error}`;
      case 'advance':
        await hub.cloud.advance(step.minutes * 60_000, { tickMs: STEP_MS });
        return `advanced ${step.minutes} simulated minutes`;
      case 'skip':
        await hub.cloud.skip(step.days * 86_400_000);
        return `skipped ${step.days} simulated days (no schedule ran in between)`;
      case 'hold': {
        const pk = pointKeyOf(step.artifact);
        const by = 'drill operator';
        if (step.lift) await liftLegalHold(hub.legalHoldContext, pk, by);
        else await placeLegalHold(hub.legalHoldContext, pk, { reason: step.reason ?? 'drill', by });
        return `legal hold ${step.lift ? 'lifted from' : 'set on'} ${step.artifact}`;
      }
      case 'loseVaultCopy': {
        const point = await hub.context.catalog.get(pointKeyOf(step.artifact));
        if (!point?.vaultCopyId)
          throw new Error(`${step.artifact} has no vault copy to lose (${point ? point.state : 'no such recovery point'})`);
        hub.loseVaultCopy(point);
        return `lost the vault copy ${point.vaultCopyId} of ${step.artifact} behind the hub's back`;
      }
      case 'retry': {
        const failed = await failedPointsOf(hub.retryContext, step.account);
        const results = [];
        for (const point of failed) results.push(await reopenPoint(point, { trigger: 'operator', by: 'drill operator' }, hub.retryContext));
        const reopened = results.filter((r) => 'reopened' in r).length;
        return `retry ${step.account}: ${reopened} of ${failed.length} failed point(s) reopened`;
      }
      case 'stopSource':
        return `stopSource ${step.account}: deleted its forwarding rules ${hub.stopSource(step.account).join(', ')}; nothing it makes reaches the vault now`;
      case 'disaster':
        return await gameDay.disaster(step);
      case 'regionOutage':
        return gameDay.regionOutage(step);
      case 'restore':
        return await gameDay.restore(step, say);
      case 'attack': {
        const source = step.account ?? hub.accounts.sources[0]!.id;
        const tried = await attacks.attack(step.as, source);
        const succeeded = tried.filter((a) => a.outcome === 'succeeded');
        return `attack as ${step.as}${step.as === 'source-admin' ? ` of ${source}` : ''}: ${tried.length} destructive attempts, ${tried.length - succeeded.length} refused${succeeded.length ? `, ${succeeded.length} SUCCEEDED: ${succeeded.map((a) => `${a.action} ${a.target}`).join('; ')}` : ''}`;
      }
      case 'anchorAudit': {
        const fn = hub.runtimes['audit-anchor']!;
        try {
          const outcome = await scheduledAnchor(fn.hubContext(), fn.env);
          return outcome.anchored
            ? `anchorAudit: signed the audit log's head #${outcome.seq} (${outcome.checked} entries proven since the previous anchor) into ${outcome.object}`
            : `anchorAudit: nothing signed (${outcome.reason})`;
        } catch (error) {
          if (!(error instanceof AnchorRefusedError)) throw error;
          return `anchorAudit: REFUSED, ${error.message}`;
        }
      }
      case 'doctor': {
        const findings = await runDoctor({ accounts: hub.accounts, stage: LOCAL_STAGE, access: simDoctorAccess(hub.cloud) });
        doctor.push(...findings);
        const failed = findings.filter((f) => !f.ok);
        return `doctor: ${findings.length} checks, ${failed.length === 0 ? 'all ✓' : `${failed.length} ✗ (doctor in the --report JSON): ${failed.map((f) => f.check).join('; ')}`}`;
      }
    }
  } catch (error) {
    throw new DrillStepError(index, step, error);
  }
}

/** The customer managed key a `cmk` step names by alias, made on first use; none when it names no alias. */
function aliasedKey(hub: LocalHub, step: { account: string; encryption: string; keyAlias?: string }, region: string): string | undefined {
  if (step.encryption !== 'cmk' || step.keyAlias === undefined) return undefined;
  const existing = hub.kms.aliases(step.account, region).find((a) => a.name === step.keyAlias);
  return (
    existing?.targetKeyArn ??
    hub.kms.createKey(step.account, region, { alias: step.keyAlias, description: `drill key ${step.keyAlias}` }).arn
  );
}

/** A source step's region: the one it names, or the account's first allowed region. */
function regionOf(hub: LocalHub, step: { account: string; region?: string }): string {
  return step.region ?? hub.accounts.sources.find((s) => s.id === step.account)!.regions[0]!;
}

/** Advances until nothing is pending in the catalog and every queue is empty, or the limit. */
async function settle(hub: LocalHub): Promise<number> {
  let waited = 0;
  while (waited < SETTLE_LIMIT_MS && (await busy(hub))) {
    await hub.cloud.advance(SETTLE_TICK_MS, { tickMs: STEP_MS });
    waited += SETTLE_TICK_MS;
  }
  return waited;
}

async function busy(hub: LocalHub): Promise<boolean> {
  for (const queue of Object.values(hub.queues)) if (hub.sqs.depth(queue.arn) > 0) return true;
  return hasOpenWork(hub.runtimes.reconciler!.hubContext());
}
