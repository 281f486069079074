import { DeleteItemCommand, DynamoDBClient, ExecuteStatementCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DisableImageDeregistrationProtectionCommand,
  EC2Client,
  LockSnapshotCommand,
  UnlockSnapshotCommand,
} from '@aws-sdk/client-ec2';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DisableKeyCommand, KMSClient, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type CallRecord, restJsonCall, rootArn, type SimClientConfig, type SimCredentials } from '@backup-hub/aws-sim';
import { kindRoleName, NAMES, roleArn, ssmStoreBucket } from '../accounts/stack/names.js';
import { CHAIN } from '../shared/audit/audit-log.js';
import { verifyChain } from '../shared/audit/verify-chain.js';
import type { RecoveryPoint } from '../shared/catalog/recovery-point.js';
import { placeLegalHold } from '../shared/retention/legal-hold.js';
import { enforceLock } from '../shared/retention/prune.js';
import { VAULT_LOCK_KEY } from '../shared/retention/vault-lock.js';
import type { LocalHub } from './local-hub.js';

/** Who attacks: the vault account's root user, a source account's, or a hub role's credentials stolen. */
export const ATTACKERS = ['vault-admin', 'source-admin', 'pruner', 'copy-handler', 'legal-hold'] as const;
export type Attacker = (typeof ATTACKERS)[number];

/** One destructive attempt and what AWS made of it. */
export interface AttackAttempt {
  as: Attacker;
  /** The IAM action tried (`ec2:DeleteSnapshot`). */
  action: string;
  target: string;
  outcome: 'refused' | 'succeeded';
  /** AWS's answer to a refused attempt (code: message); for one that succeeded, what it changed. */
  error?: string;
}

/** What the vault held, by what an attack would take: compared before and after. */
interface Holdings {
  snapshots: Set<string>;
  images: Set<string>;
  storedVersions: Set<string>;
  recycleBinRules: Set<string>;
  points: Set<string>;
  holds: Set<string>;
  lockDays: number;
  keyEnabled: boolean;
  auditIntact: boolean;
}

/** The game day's attacks: every attempt, and what the vault held before the first and holds now. */
export interface AttackSection {
  attempts: AttackAttempt[];
  /** What the vault held before the first attack that it does not hold now (empty: everything survived). */
  lost: string[];
  survived: { snapshots: number; images: number; storedVersions: number; recycleBinRules: number; points: number };
}

const PARAMETER_PUSHES = 150;

/** The attackers' calls: refused on purpose, they are neither the hub's refused calls nor proof that a statement is needed. */
const ATTACK_CALLS = new WeakSet<CallRecord>();
export const isAttackCall = (call: CallRecord): boolean => ATTACK_CALLS.has(call);

/**
 * The ransomware game day (drill step `attack`): with one principal's credentials, tries a fixed
 * battery of destructive calls on the vault through the real SDK clients and records what AWS
 * answered. The calls it makes are kept out of the report's refusedCalls (they are the point).
 */
export class AttackRun {
  readonly attempts: AttackAttempt[] = [];
  #before: Holdings | undefined;

  constructor(private readonly hub: LocalHub) {}

  async attack(as: Attacker, sourceAccount: string): Promise<AttackAttempt[]> {
    this.#before ??= await this.#prepare();
    const from = this.hub.cloud.calls.length;
    const attempts = await battery(this.hub, as, sourceAccount);
    for (const call of this.hub.cloud.calls.slice(from)) ATTACK_CALLS.add(call);
    this.attempts.push(...attempts);
    return attempts;
  }

  /**
   * The vault lock in force, as the pruner's first run sets it, and a recovery point under legal hold,
   * as litigation would have one, so that shortening the lock and lifting a hold are real attempts;
   * then what the vault holds.
   */
  async #prepare(): Promise<Holdings> {
    await enforceLock(this.hub.prunerContext, this.hub.accounts.vault.lock?.minRetentionDays);
    for (const account of this.hub.accounts.vault.allowedSources)
      for await (const point of this.hub.inspector.catalog.byAccount(account))
        if (point.state === 'available') {
          await placeLegalHold(this.hub.legalHoldContext, point.pk, { reason: 'game day: litigation hold', by: 'drill operator' });
          return holdings(this.hub);
        }
    return holdings(this.hub);
  }

  async section(): Promise<AttackSection | undefined> {
    if (!this.#before) return undefined;
    const now = await holdings(this.hub);
    const gone = (what: string, before: Set<string>, after: Set<string>) =>
      [...before].filter((x) => !after.has(x)).map((x) => `${what} ${x}`);
    const b = this.#before;
    const lost = [
      ...gone('snapshot', b.snapshots, now.snapshots),
      ...gone('image', b.images, now.images),
      ...gone('stored version', b.storedVersions, now.storedVersions),
      ...gone('Recycle Bin rule', b.recycleBinRules, now.recycleBinRules),
      ...gone('recovery point', b.points, now.points),
      ...gone('legal hold on', b.holds, now.holds),
      ...(now.lockDays < b.lockDays ? [`vault lock ${b.lockDays} days (now ${now.lockDays})`] : []),
      ...(b.keyEnabled && !now.keyEnabled ? ['the vault key (disabled or pending deletion)'] : []),
      ...(b.auditIntact && !now.auditIntact ? ['the audit log hash chain (an entry was rewritten)'] : []),
    ];
    return {
      attempts: this.attempts,
      lost,
      survived: {
        snapshots: now.snapshots.size,
        images: now.images.size,
        storedVersions: now.storedVersions.size,
        recycleBinRules: now.recycleBinRules.size,
        points: now.points.size,
      },
    };
  }
}

async function holdings(hub: LocalHub): Promise<Holdings> {
  const { vaultAccountId: vault } = hub.config;
  const regions = vaultRegions(hub);
  const points: RecoveryPoint[] = [];
  for (const account of hub.accounts.vault.allowedSources) for await (const p of hub.inspector.catalog.byAccount(account)) points.push(p);
  const entries = [];
  for await (const entry of hub.inspector.audit.entries()) entries.push(entry);
  const key = hub.kms.key(hub.config.vaultKeyArn);
  return {
    snapshots: new Set(regions.flatMap((region) => hub.ec2.snapshots({ account: vault, region }).map((s) => `${s.id} (${region})`))),
    images: new Set(hub.ec2.images.store.all().flatMap((i) => (i.owner === vault && i.state !== 'deregistered' ? [i.id] : []))),
    storedVersions: new Set(
      regions.flatMap(
        (region) =>
          hub.s3
            .bucket(ssmStoreBucket(vault, region))
            ?.listVersions()
            .map((v) => `${v.key}@${v.versionId} (${region})`) ?? [],
      ),
    ),
    recycleBinRules: new Set(
      regions.flatMap((region) => hub.cloud.recycleBin.rules(vault, region).map((r) => `${r.id} (${hub.cloud.recycleBin.lockState(r)})`)),
    ),
    points: new Set(points.filter((p) => p.state === 'available').map((p) => p.pk)),
    // What holds a point is its hold records, not the catalog's copy of the newest.
    holds: new Set(await asyncFilter(points, (p) => hub.inspector.holds.held(p.pk)).then((held) => held.map((p) => p.pk))),
    lockDays: (await hub.inspector.lock.inForce())?.minRetentionDays ?? 0,
    keyEnabled: key?.enabled === true,
    auditIntact: (await verifyChain(entries)).ok,
  };
}

/** The vault's regions: its own and its DR region. */
const vaultRegions = (hub: LocalHub) => [hub.config.vaultRegion, ...(hub.accounts.vault.drRegion ? [hub.accounts.vault.drRegion] : [])];

async function asyncFilter<T>(items: T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept: T[] = [];
  for (const item of items) if (await keep(item)) kept.push(item);
  return kept;
}

function credentialsOf(hub: LocalHub, as: Attacker, sourceAccount: string): SimCredentials {
  const vault = hub.config.vaultAccountId;
  switch (as) {
    case 'vault-admin':
      return hub.cloud.adminCredentials(vault);
    case 'source-admin':
      return hub.cloud.adminCredentials(sourceAccount);
    case 'pruner':
      return hub.cloud.roleCredentials(roleArn(vault, NAMES.prunerRole), 'stolen');
    case 'copy-handler':
      return hub.cloud.roleCredentials(roleArn(vault, kindRoleName('ebs-snapshot')), 'stolen');
    case 'legal-hold':
      return hub.cloud.roleCredentials(roleArn(vault, NAMES.legalHoldRole), 'stolen');
  }
}

/** The battery: each attempt one destructive call (or the calls an attacker chains to one end), on what the vault holds now. */
async function battery(hub: LocalHub, as: Attacker, sourceAccount: string): Promise<AttackAttempt[]> {
  const { vaultAccountId: vault, vaultRegion: region, vaultKeyArn } = hub.config;
  const config: SimClientConfig = hub.cloud.clientConfig(credentialsOf(hub, as, sourceAccount), region);
  const ec2 = new EC2Client(config);
  const points: RecoveryPoint[] = [];
  for (const account of hub.accounts.vault.allowedSources) for await (const p of hub.inspector.catalog.byAccount(account)) points.push(p);
  const available = (kind: RecoveryPoint['kind']) => points.find((p) => p.kind === kind && p.state === 'available');
  const ebs = available('ebs-snapshot')?.vaultCopyId;
  const ami = available('ami')?.vaultCopyId;
  const amiSnapshot = ami && hub.ec2.images.store.get(region, ami)?.blockDevices[0]?.snapshotId;
  const rule = hub.cloud.recycleBin.rules(vault, region)[0]?.id;
  const stored = hub.s3.bucket(ssmStoreBucket(vault, region))?.listVersions()[0];
  const point = points.find((p) => p.legalHold) ?? points.find((p) => p.state === 'available');
  const busRule = hub.events.bus(vault, region, NAMES.bus).rules()[0]?.name;
  const attempts: AttackAttempt[] = [];
  const attempt = async (action: string, target: string | undefined, call: () => Promise<string | undefined | unknown>) => {
    if (target === undefined) return;
    try {
      const changed = await call();
      attempts.push({ as, action, target, outcome: 'succeeded', ...(typeof changed === 'string' ? { error: changed } : {}) });
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      attempts.push({ as, action, target, outcome: 'refused', error: `${e.code ?? e.name}: ${e.message}`.slice(0, 300) });
    }
  };

  await attempt('ec2:DeleteSnapshot', ebs, () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: ebs })));
  await attempt('ec2:DeleteSnapshot', amiSnapshot, () => ec2.send(new DeleteSnapshotCommand({ SnapshotId: amiSnapshot })));
  await attempt('ec2:DeregisterImage', ami, async () => {
    // What an attacker does first; whether the image goes is what counts.
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: ami })).catch(() => undefined);
    await ec2.send(new DeregisterImageCommand({ ImageId: ami }));
  });
  await attempt('ec2:UnlockSnapshot', ebs, () => ec2.send(new UnlockSnapshotCommand({ SnapshotId: ebs })));
  await attempt('ec2:LockSnapshot', ebs, () =>
    ec2
      .send(new LockSnapshotCommand({ SnapshotId: ebs, LockMode: 'governance', LockDuration: 1 }))
      .then(() => 'the lock was replaced by a one-day governance lock'),
  );
  const dr = hub.accounts.vault.drRegion;
  if (dr) {
    // The DR copies, which a region's outage leaves to restore from, carry the same locks.
    const drEc2 = new EC2Client({ ...config, region: dr });
    const inDr = (kind: RecoveryPoint['kind']) =>
      available(kind)?.copies?.find((c) => c.region === dr && c.state === 'available')?.vaultCopyId;
    const [drEbs, drAmi] = [inDr('ebs-snapshot'), inDr('ami')];
    const drAmiSnapshot = drAmi && hub.ec2.images.store.get(dr, drAmi)?.blockDevices[0]?.snapshotId;
    await attempt('ec2:DeleteSnapshot', drEbs && `${drEbs} (${dr})`, () => drEc2.send(new DeleteSnapshotCommand({ SnapshotId: drEbs })));
    await attempt('ec2:DeleteSnapshot', drAmiSnapshot && `${drAmiSnapshot} (${dr})`, () =>
      drEc2.send(new DeleteSnapshotCommand({ SnapshotId: drAmiSnapshot })),
    );
    await attempt('ec2:DeregisterImage', drAmi && `${drAmi} (${dr})`, async () => {
      await drEc2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: drAmi })).catch(() => undefined);
      await drEc2.send(new DeregisterImageCommand({ ImageId: drAmi }));
    });
    await attempt('ec2:UnlockSnapshot', drEbs && `${drEbs} (${dr})`, () => drEc2.send(new UnlockSnapshotCommand({ SnapshotId: drEbs })));
    const drBucket = ssmStoreBucket(vault, dr);
    const drStored = hub.s3.bucket(drBucket)?.listVersions()[0];
    await attempt('s3:DeleteObjectVersion', drStored && `${drStored.key}@${drStored.versionId} (${dr})`, () =>
      new S3Client({ ...config, region: dr, forcePathStyle: true }).send(
        new DeleteObjectCommand({ Bucket: drBucket, Key: drStored!.key, VersionId: drStored!.versionId }),
      ),
    );
  }
  const rbin = (method: string, path: string) => restJsonCall(config, 'rbin', { method, path });
  await attempt('rbin:DeleteRule', rule, () => rbin('DELETE', `/rules/${rule}`));
  await attempt('rbin:UnlockRule', rule, () => rbin('PATCH', `/rules/${rule}/unlock`).then(() => 'the rule is pending unlock'));

  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const bucket = ssmStoreBucket(vault, region);
  await attempt('s3:DeleteObjectVersion', stored && `${stored.key}@${stored.versionId}`, () =>
    s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: stored!.key, VersionId: stored!.versionId })),
  );
  await attempt('s3:PutObject', stored?.key, () =>
    s3
      .send(new PutObjectCommand({ Bucket: bucket, Key: stored!.key, Body: 'ransom' }))
      .then(() => 'a new current version over the stored one'),
  );

  const dynamo = new DynamoDBClient(config);
  const audit = NAMES.auditTable;
  /** A PartiQL INSERT: the one write the hub's roles have on the audit table, which never overwrites. */
  const insert = (item: Record<string, { S: string } | { N: string }>) =>
    dynamo.send(
      new ExecuteStatementCommand({
        Statement: `INSERT INTO "${audit}" VALUE {${Object.keys(item)
          .map((name) => `'${name}': ?`)
          .join(', ')}}`,
        Parameters: Object.values(item),
      }),
    );
  const lockDays = (await hub.inspector.lock.inForce())?.minRetentionDays;
  const lockKey = { chain: { S: VAULT_LOCK_KEY }, seq: { N: String(lockDays) } };
  const lockTarget = lockDays === undefined ? undefined : `${audit} ${VAULT_LOCK_KEY} ${lockDays} days`;
  await attempt('dynamodb:DeleteItem', lockTarget, () => dynamo.send(new DeleteItemCommand({ TableName: audit, Key: lockKey })));
  await attempt('dynamodb:PartiQLInsert', lockTarget, () =>
    insert({ ...lockKey, since: { S: '1970-01-01T00:00:00.000Z' } }).then(() => 'the lock record was rewritten'),
  );
  // The only other way down: a record for one day. It may be written (by the pruner) but cannot lower the longest.
  await attempt(
    'dynamodb:PartiQLInsert',
    lockDays === undefined ? undefined : `${audit} ${VAULT_LOCK_KEY} 1 day (a shorter record)`,
    async () => {
      await insert({ chain: { S: VAULT_LOCK_KEY }, seq: { N: '1' }, since: { S: hub.cloud.clock.now().toISOString() } });
      const after = (await hub.inspector.lock.inForce())?.minRetentionDays;
      if (after === lockDays)
        throw Object.assign(new Error(`the shorter record was written, and the lock in force is still the longest, ${after} days`), {
          name: 'NoEffect',
        });
      return `the vault lock is now ${after} days`;
    },
  );
  const entryOne = { chain: { S: CHAIN }, seq: { N: '1' } };
  const forged = { ...entryOne, decision: { S: 'skipped' }, reason: { S: 'nothing happened' } };
  await attempt('dynamodb:PutItem', `${audit} entry 1`, () =>
    dynamo
      .send(new PutItemCommand({ TableName: audit, Item: forged }))
      .then(() => 'audit entry 1 overwritten (the hash chain no longer verifies)'),
  );
  await attempt('dynamodb:PartiQLInsert', `${audit} entry 1`, () =>
    insert(forged).then(() => 'audit entry 1 overwritten (the hash chain no longer verifies)'),
  );
  await attempt('dynamodb:UpdateItem', `${audit} entry 1`, () =>
    dynamo.send(
      new UpdateItemCommand({
        TableName: audit,
        Key: entryOne,
        UpdateExpression: 'SET reason = :r',
        ExpressionAttributeValues: { ':r': { S: 'nothing happened' } },
      }),
    ),
  );
  // Lifting a hold: through the catalog's copy of it, by a record of its own, or by erasing the record that set it.
  const hold = point && (await hub.inspector.holds.newest(point.pk));
  if (as !== 'legal-hold') {
    // The legal hold role's job is to lift holds, by a record that says so; what it may not do is lift one unseen (below).
    await attempt('dynamodb:UpdateItem', point && `${NAMES.catalogTable} ${point.pk} legalHold`, () =>
      dynamo
        .send(new UpdateItemCommand({ TableName: NAMES.catalogTable, Key: { pk: { S: point!.pk } }, UpdateExpression: 'REMOVE legalHold' }))
        .then(() => (point!.legalHold ? "the catalog's copy of the hold is gone" : 'no hold to lift: the write went through')),
    );
    await attempt('dynamodb:PartiQLInsert', hold && `${audit} ${hold.chain} lift`, () =>
      insert({
        chain: { S: hold!.chain },
        seq: { N: String(hold!.seq + 1) },
        action: { S: 'lift' },
        by: { S: as },
        at: { S: hub.cloud.clock.now().toISOString() },
      }).then(() => 'the hold is lifted'),
    );
  }
  const holdKey = hold && { chain: { S: hold.chain }, seq: { N: String(hold.seq) } };
  await attempt('dynamodb:DeleteItem', hold && `${audit} ${hold.chain} #${hold.seq}`, () =>
    dynamo.send(new DeleteItemCommand({ TableName: audit, Key: holdKey! })).then(() => 'the record of the hold is erased'),
  );
  await attempt('dynamodb:PartiQLInsert', hold && `${audit} ${hold.chain} #${hold.seq}`, () =>
    insert({ ...holdKey!, action: { S: 'lift' }, by: { S: as }, at: { S: hub.cloud.clock.now().toISOString() } }).then(
      () => 'the record of the hold now says lifted',
    ),
  );

  const kms = new KMSClient(config);
  const lockout = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: rootArn(as === 'source-admin' ? sourceAccount : vault) }, Action: 'kms:*', Resource: '*' },
    ],
  });
  await attempt('kms:PutKeyPolicy', vaultKeyArn, () => kms.send(new PutKeyPolicyCommand({ KeyId: vaultKeyArn, Policy: lockout })));
  await attempt('kms:DisableKey', vaultKeyArn, () => kms.send(new DisableKeyCommand({ KeyId: vaultKeyArn })));
  await attempt('kms:ScheduleKeyDeletion', vaultKeyArn, () =>
    kms.send(new ScheduleKeyDeletionCommand({ KeyId: vaultKeyArn, PendingWindowInDays: 7 })),
  );
  await attempt('events:DisableRule', busRule && `${NAMES.bus}/${busRule}`, () =>
    new EventBridgeClient(config).send(new DisableRuleCommand({ Name: busRule, EventBusName: NAMES.bus })),
  );
  if (as === 'source-admin') attempts.push(await pushParameterVersions(hub, config, sourceAccount));
  return attempts;
}

/**
 * A source administrator pushes 150 versions of a protected parameter: Parameter Store keeps 100 and
 * drops the oldest. The calls are the source's own to make; what is judged is whether the vault lost
 * any version it held (it keeps one object per version, under Object Lock).
 */
async function pushParameterVersions(hub: LocalHub, config: SimClientConfig, account: string): Promise<AttackAttempt> {
  const region = hub.accounts.sources.find((s) => s.id === account)?.regions[0] ?? config.region;
  const name = hub.ssm.parameters(account, region)[0]?.name ?? '/backup-hub/game-day';
  const target = `${account}/${region} ssm ${name}`;
  const store = hub.s3.bucket(ssmStoreBucket(hub.config.vaultAccountId, hub.config.vaultRegion));
  const before = new Set(store?.listVersions(`${account}/${region}${name}/`).map((v) => v.versionId) ?? []);
  const ssm = new SSMClient({ ...config, region });
  try {
    for (let i = 0; i < PARAMETER_PUSHES; i++)
      await ssm.send(new PutParameterCommand({ Name: name, Value: `ransom-${i}`, Type: 'String', Overwrite: true }));
  } catch (error) {
    return { as: 'source-admin', action: 'ssm:PutParameter', target, outcome: 'refused', error: String((error as Error).message) };
  }
  const after = new Set(store?.listVersions(`${account}/${region}${name}/`).map((v) => v.versionId) ?? []);
  const lost = [...before].filter((v) => !after.has(v)).length;
  return {
    as: 'source-admin',
    action: `ssm:PutParameter ×${PARAMETER_PUSHES}`,
    target,
    outcome: lost === 0 ? 'refused' : 'succeeded',
    error:
      lost === 0
        ? `the source dropped its oldest versions (Parameter Store keeps 100); the vault lost none of the ${before.size} it held`
        : `the vault lost ${lost} of the ${before.size} versions it held`,
  };
}
