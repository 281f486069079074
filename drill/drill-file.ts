import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ATTACKERS } from './attack.js';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');
const encryption = z.enum(['none', 'aws-managed', 'cmk']);
/** With `cmk`: the customer managed key by this alias, made on first use (the reader may use only keys whose aliases the account file lists). */
const keyAlias = z
  .string()
  .regex(/^alias\/(?!aws\/)[A-Za-z0-9/_-]{1,250}$/, 'must be a customer alias such as alias/app-data')
  .optional();

const createSnapshotStep = z.strictObject({
  action: z.literal('createSnapshot'),
  account: accountId,
  region: z.string().optional(),
  volume: z.string().min(1),
  encryption: encryption.default('none'),
  keyAlias,
  id: z
    .string()
    .regex(/^snap-[0-9a-f]{8,17}$/, 'must look like snap-0123456789abcdef0')
    .optional(),
  emit: z.boolean().default(true),
});

/** Resource tags, as the sources' own tools put them. */
const tags = z.record(z.string().min(1).max(128), z.string().max(256)).optional();

const createVolumeStep = z.strictObject({
  action: z.literal('createVolume'),
  account: accountId,
  region: z.string().optional(),
  volume: z.string().regex(/^vol-[0-9a-f]{8,17}$/, 'must look like vol-0123456789abcdef0'),
  encryption: encryption.default('none'),
  tags,
});

const runInstanceStep = z.strictObject({
  action: z.literal('runInstance'),
  account: accountId,
  region: z.string().optional(),
  instance: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must look like i-0123456789abcdef0'),
  encryption: encryption.default('none'),
  tags,
});

const createImageStep = z.strictObject({
  action: z.literal('createImage'),
  account: accountId,
  region: z.string().optional(),
  name: z.string().min(3).max(128),
  /** The instance it is made of (a `runInstance` step's); without one, of a volume nothing else holds. */
  instance: z
    .string()
    .regex(/^i-[0-9a-f]{8,17}$/, 'must look like i-0123456789abcdef0')
    .optional(),
  encryption: encryption.default('none'),
  keyAlias,
  id: z
    .string()
    .regex(/^ami-[0-9a-f]{8,17}$/, 'must look like ami-0123456789abcdef0')
    .optional(),
  emit: z.boolean().default(true),
});

/** A parameter name as PutParameter takes it: letters, digits, `_.-/`, up to 2048 characters. */
const parameterName = z.string().regex(/^[A-Za-z0-9_.\-/]{1,2048}$/, 'must be a parameter name such as /app/db/password');

/** One version (`value`), or several written within one second (`values`), as rotation scripts and infrastructure tools do. */
const putParameterStep = z
  .strictObject({
    action: z.literal('putParameter'),
    account: accountId,
    region: z.string().optional(),
    name: parameterName,
    type: z.enum(['String', 'StringList', 'SecureString']),
    value: z.string().min(1).optional(),
    values: z.array(z.string().min(1)).min(1).max(10).optional(),
    description: z.string().optional(),
    tier: z.enum(['Standard', 'Advanced', 'Intelligent-Tiering']).optional(),
    /** A SecureString under the customer managed key by this alias (made on first use) instead of aws/ssm. */
    keyAlias,
    /** Tags on creation (Parameter Store refuses them on an update): `backup-hub:protect` opts a parameter in. */
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
    emit: z.boolean().default(true),
  })
  .refine((step) => (step.value === undefined) !== (step.values === undefined), 'give either value or values (a list of up to 10)')
  .refine((s) => s.keyAlias === undefined || s.type === 'SecureString', {
    message: 'keyAlias encrypts a SecureString only',
    path: ['keyAlias'],
  });

const deleteParameterStep = z.strictObject({
  action: z.literal('deleteParameter'),
  account: accountId,
  region: z.string().optional(),
  name: parameterName,
});

/** An RDS identifier, or AWS's own `rds:` form for an automated snapshot. */
const dbSnapshotId = z
  .string()
  .regex(
    /^(rds:)?[A-Za-z](?:-?[A-Za-z0-9])*$/,
    'must be a snapshot identifier such as orders-2026-01-01 (or rds:orders-2026-01-01-00-00 for an automated one)',
  );
/** A DB instance or cluster identifier: a letter, then letters, digits and single hyphens. */
const dbIdentifier = z.string().regex(/^[A-Za-z](?:-?[A-Za-z0-9])*$/, 'must be an identifier such as orders');

/** What both RDS snapshot steps take besides the DB instance or cluster. */
const rdsSnapshotFields = {
  account: accountId,
  region: z.string().optional(),
  type: z.enum(['manual', 'automated']),
  /** RDS encrypts new databases by default, with aws/rds. */
  encryption: encryption.default('aws-managed'),
  keyAlias,
  id: dbSnapshotId.optional(),
  emit: z.boolean().default(true),
};

const createDBSnapshotStep = z.strictObject({ action: z.literal('createDBSnapshot'), db: dbIdentifier, ...rdsSnapshotFields });
/** A DB instance or cluster with no snapshot yet (a snapshot step makes its database itself). */
const databaseFields = { account: accountId, region: z.string().optional(), encryption: encryption.default('aws-managed'), tags };
const createDBInstanceStep = z.strictObject({ action: z.literal('createDBInstance'), db: dbIdentifier, ...databaseFields });
const createDBClusterStep = z.strictObject({ action: z.literal('createDBCluster'), cluster: dbIdentifier, ...databaseFields });
const createDBClusterSnapshotStep = z.strictObject({
  action: z.literal('createDBClusterSnapshot'),
  cluster: dbIdentifier,
  ...rdsSnapshotFields,
});

const eventStep = z.strictObject({
  action: z.literal('event'),
  /** The account whose rule forwards it to the vault bus; the event's own `account` when absent. */
  via: accountId.optional(),
  event: z.record(z.string(), z.unknown()),
});

const faultStep = z.strictObject({
  action: z.literal('fault'),
  service: z.string().min(1),
  operation: z.string().min(1),
  error: z.string().min(1),
  times: z.number().int().positive(),
  account: accountId.optional(),
});

const advanceStep = z.strictObject({ action: z.literal('advance'), minutes: z.number().positive() });

/** A quiet stretch of days at once: copies settle, but no schedule runs in between (each resumes at its next period). */
const skipStep = z.strictObject({ action: z.literal('skip'), days: z.number().positive() });

/** A recovery point, as `backup-hub hold` and `restore` name it: `<kind>/<account>/<region>/<source id>`. */
const artifact = z.string().regex(/^[a-z-]+\/\d{12}\/[a-z0-9-]+\/\S+$/, 'must name a recovery point as kind/account/region/source-id');

/** An operator sets (or, with `lift`, lifts) a legal hold through the vault's legal-hold role, as `backup-hub hold` does. */
const holdStep = z.strictObject({
  action: z.literal('hold'),
  artifact,
  reason: z.string().min(1).optional(),
  lift: z.boolean().default(false),
});

/** A recovery point's vault copy is deleted behind the hub's back (a hand deletion, a compromised administrator): the integrity sweep must find it lost. */
const loseVaultCopyStep = z.strictObject({ action: z.literal('loseVaultCopy'), artifact });
/** An operator reopens a source account's failed points through the vault's retry role, as `backup-hub retry --account` does. */
const retryStep = z.strictObject({ action: z.literal('retry'), account: accountId });

/** A source stops reaching the vault: its forwarding rules are deleted (what it makes from then on is never announced). */
const stopSourceStep = z.strictObject({ action: z.literal('stopSource'), account: accountId });

/**
 * A source account's systems in one region (drill/estate.ts): a VPC over two zones, security groups,
 * instances with a data volume each, PostgreSQL instances and Aurora clusters; with `backup`, their
 * backups are taken at once (an AMI of each instance named as it, a snapshot of each data volume, a
 * manual snapshot of each database), each announced as AWS does.
 */
const buildSystemsStep = z.strictObject({
  action: z.literal('buildSystems'),
  account: accountId,
  region: z.string().min(1).optional(),
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,20}$/, 'must be a short lower-case name, such as app')
    .optional(),
  instances: z.number().int().min(0).max(5000),
  databases: z.number().int().min(0).max(1000),
  clusters: z.number().int().min(0).max(100),
  backup: z.boolean().optional(),
});

/**
 * A source's administrator changes its configuration through the account's own APIs (drill/config-change.ts):
 * instance types by Name tag (each stopped, changed and started again), ingress rules added to
 * security groups by name, DB instance classes (applied immediately). The report compares the
 * captures before and after it, as `backup-hub config diff` does.
 */
const changeConfigStep = z
  .strictObject({
    action: z.literal('changeConfig'),
    account: accountId,
    region: z.string().min(1).optional(),
    instanceTypes: z
      .record(z.string().min(1), z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'must be an instance type such as m6g.xlarge'))
      .optional(),
    ingress: z
      .array(
        z.strictObject({
          group: z.string().min(1),
          protocol: z.enum(['tcp', 'udp']),
          port: z.number().int().min(0).max(65_535),
          cidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR block such as 10.0.0.0/8'),
        }),
      )
      .optional(),
    dbInstanceClasses: z
      .record(dbIdentifier, z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a DB instance class such as db.r6g.xlarge'))
      .optional(),
  })
  .refine((s) => s.instanceTypes || s.ingress || s.dbInstanceClasses, {
    message: 'name at least one change: instanceTypes, ingress or dbInstanceClasses',
  });

/** A source account is lost: everything it held is gone, the vault's copies are all that is left. */
const disasterStep = z.strictObject({ action: z.literal('disaster'), account: accountId });

/** A region is down: every call made to it fails, and the vault copies there cannot be used. */
const regionOutageStep = z.strictObject({ action: z.literal('regionOutage'), region: z.string().min(1) });

/**
 * Restores into a fresh recovery account a source account, as of a time (its disaster when it had
 * one, else now), or one recovery point, as `backup-hub restore --point` does; with `fromRegion`,
 * from the vault copies in that vault region (the DR region), as `--from-region` does; with
 * `toRegion`, into the other vault region, as `--to-region` does.
 */
const restoreStep = z
  .strictObject({
    action: z.literal('restore'),
    account: accountId.optional(),
    point: artifact.optional(),
    into: accountId,
    asOf: z.iso.datetime({ offset: true }).optional(),
    /** Then rebuild the account's systems there from its captured configuration (`backup-hub restore --rebuild`). */
    rebuild: z.boolean().optional(),
    fromRegion: z.string().min(1).optional(),
    /** Land the restore in this other vault region, each copy copied there first (`--to-region`). */
    toRegion: z.string().min(1).optional(),
  })
  .refine((s) => (s.account === undefined) !== (s.point === undefined), {
    message: 'name what to restore: either account (a whole source) or point (one recovery point)',
  })
  .refine((s) => s.point === undefined || s.asOf === undefined, { message: 'asOf goes with account, not with point', path: ['asOf'] })
  .refine((s) => !s.rebuild || s.point === undefined, { message: 'rebuild goes with account, not with point', path: ['rebuild'] })
  .refine((s) => !s.rebuild || s.toRegion === undefined, {
    message: 'rebuild rebuilds in the source regions from a restore that lands there: leave out toRegion (or rebuild)',
    path: ['rebuild'],
  });

/**
 * The ransomware game day: with one principal's credentials (the vault's root user, a source's, or a
 * hub role's), the fixed battery of destructive calls on the vault; `account` is the source-admin's source.
 */
const attackStep = z.strictObject({
  action: z.literal('attack'),
  as: z.enum(ATTACKERS),
  account: accountId.optional(),
});

/** `backup-hub doctor` on the deployment as it stands: its findings go into the report. */
const doctorStep = z.strictObject({ action: z.literal('doctor') });

/** The audit anchor function's run now (as its hourly schedule runs it): the audit log's head signed into the Object Lock bucket. */
const anchorAuditStep = z.strictObject({ action: z.literal('anchorAudit') });

const stepSchema = z.discriminatedUnion('action', [
  buildSystemsStep,
  changeConfigStep,
  createVolumeStep,
  runInstanceStep,
  createDBInstanceStep,
  createDBClusterStep,
  createSnapshotStep,
  createImageStep,
  createDBSnapshotStep,
  createDBClusterSnapshotStep,
  putParameterStep,
  deleteParameterStep,
  eventStep,
  faultStep,
  advanceStep,
  skipStep,
  holdStep,
  loseVaultCopyStep,
  retryStep,
  stopSourceStep,
  disasterStep,
  regionOutageStep,
  restoreStep,
  doctorStep,
  anchorAuditStep,
  attackStep,
]);
const STEP_ACTIONS = [
  'buildSystems',
  'createVolume',
  'runInstance',
  'createDBInstance',
  'createDBCluster',
  'createSnapshot',
  'createImage',
  'createDBSnapshot',
  'createDBClusterSnapshot',
  'putParameter',
  'deleteParameter',
  'changeConfig',
  'event',
  'fault',
  'advance',
  'skip',
  'hold',
  'loseVaultCopy',
  'retry',
  'stopSource',
  'disaster',
  'regionOutage',
  'restore',
  'doctor',
  'anchorAudit',
  'attack',
];
/** Steps that act in a source account, which must be one of the drill's sources. */
const SOURCE_ACTIONS = new Set([
  'buildSystems',
  'changeConfig',
  'createVolume',
  'runInstance',
  'createDBInstance',
  'createDBCluster',
  'createSnapshot',
  'createImage',
  'createDBSnapshot',
  'createDBClusterSnapshot',
  'putParameter',
  'deleteParameter',
  'retry',
  'stopSource',
  'disaster',
  'restore',
  'attack',
]);

export const drillSchema = z.strictObject({
  vault: z.strictObject({ account: accountId, region: z.string().min(1), drRegion: z.string().min(1).optional() }),
  sources: z.array(z.strictObject({ account: accountId, regions: z.array(z.string().min(1)).min(1), orgId: z.string().optional() })).min(1),
  /** Simulated AWS behaviour; defaults are AWS's documented values where they exist. */
  cloud: z
    .strictObject({
      copyMinutes: z.number().positive().optional(),
      snapshotCopyQuota: z.number().int().positive().optional(),
      /** Concurrent AMI copies into a region (AWS: 100). */
      imageCopyQuota: z.number().int().positive().optional(),
      /** Concurrent DB and DB cluster snapshot copies into a region (AWS: 20). */
      rdsCopyQuota: z.number().int().positive().optional(),
    })
    .default({}),
  steps: z.array(z.unknown()),
});

export type Drill = Omit<z.infer<typeof drillSchema>, 'steps'> & { steps: DrillStep[] };
export type DrillStep = z.infer<typeof stepSchema>;

/** The accounts the drill restores into: each is deployed as a recovery account. */
export function recoveryAccountsOf(drill: Drill): string[] {
  return [...new Set(drill.steps.flatMap((s) => (s.action === 'restore' ? [s.into] : [])))];
}

/** A drill file that cannot be run, with every problem named by its place in the file. */
export class DrillFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`);
    this.name = 'DrillFileError';
  }
}

export async function readDrillFile(file: string): Promise<Drill> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DrillFileError(file, [`cannot read the drill file (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DrillFileError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseDrill(json, file);
}

/** Validates a drill; unknown or planned actions and bad fields are reported by step number. */
export function parseDrill(json: unknown, file = 'drill'): Drill {
  const parsed = drillSchema.safeParse(json);
  if (!parsed.success)
    throw new DrillFileError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
    );
  const problems: string[] = [];
  const steps: DrillStep[] = [];
  const sources = new Set(parsed.data.sources.map((s) => s.account));
  parsed.data.steps.forEach((raw, index) => {
    const where = `steps[${index}]`;
    const action = (raw as { action?: unknown } | null)?.action;
    if (typeof action !== 'string' || !STEP_ACTIONS.includes(action)) {
      problems.push(`${where}: unknown action ${JSON.stringify(action)}; known actions: ${STEP_ACTIONS.join(', ')}`);
      return;
    }
    const step = stepSchema.safeParse(raw);
    if (!step.success)
      problems.push(...step.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`));
    else if (SOURCE_ACTIONS.has(step.data.action) && 'account' in step.data && step.data.account && !sources.has(step.data.account))
      problems.push(`${where}.account: ${step.data.account} is not one of the drill's sources`);
    else if (step.data.action === 'restore' && (sources.has(step.data.into) || step.data.into === parsed.data.vault.account))
      problems.push(`${where}.into: ${step.data.into} must be a fresh account, not the vault or a source`);
    else steps.push(step.data);
  });
  if (problems.length) throw new DrillFileError(file, problems);
  return { ...parsed.data, steps };
}
