import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit account id');
const encryption = z.enum(['none', 'aws-managed', 'cmk']);

const createSnapshotStep = z.strictObject({
  action: z.literal('createSnapshot'),
  account: accountId,
  region: z.string().optional(),
  volume: z.string().min(1),
  encryption: encryption.default('none'),
  id: z.string().regex(/^snap-[0-9a-f]{8,17}$/, 'must look like snap-0123456789abcdef0').optional(),
  emit: z.boolean().default(true),
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

/** Steps DESIGN.md names for kinds this build does not have yet: refused with a clear message. */
export const PLANNED_ACTIONS = ['createImage', 'createDBSnapshot', 'createDBClusterSnapshot', 'putParameter', 'deleteParameter'] as const;

const stepSchema = z.discriminatedUnion('action', [createSnapshotStep, eventStep, faultStep, advanceStep]);
const STEP_ACTIONS = ['createSnapshot', 'event', 'fault', 'advance'];

export const drillSchema = z.strictObject({
  vault: z.strictObject({ account: accountId, region: z.string().min(1) }),
  sources: z.array(z.strictObject({ account: accountId, regions: z.array(z.string().min(1)).min(1), orgId: z.string().optional() })).min(1),
  /** Simulated AWS behaviour; defaults are AWS's documented values where they exist. */
  cloud: z
    .strictObject({
      copyMinutes: z.number().positive().optional(),
      snapshotCopyQuota: z.number().int().positive().optional(),
    })
    .default({}),
  steps: z.array(z.unknown()),
});

export type Drill = Omit<z.infer<typeof drillSchema>, 'steps'> & { steps: DrillStep[] };
export type DrillStep = z.infer<typeof stepSchema>;

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
  if (!parsed.success) throw new DrillFileError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`));
  const problems: string[] = [];
  const steps: DrillStep[] = [];
  const sources = new Set(parsed.data.sources.map((s) => s.account));
  parsed.data.steps.forEach((raw, index) => {
    const where = `steps[${index}]`;
    const action = (raw as { action?: unknown } | null)?.action;
    if (typeof action === 'string' && (PLANNED_ACTIONS as readonly string[]).includes(action)) {
      problems.push(`${where}: "${action}" is not supported yet: this build protects EBS snapshots only (see README, "Not built yet")`);
      return;
    }
    if (typeof action !== 'string' || !STEP_ACTIONS.includes(action)) {
      problems.push(`${where}: unknown action ${JSON.stringify(action)}; known actions: ${STEP_ACTIONS.join(', ')}`);
      return;
    }
    const step = stepSchema.safeParse(raw);
    if (!step.success) problems.push(...step.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`));
    else if (step.data.action === 'createSnapshot' && !sources.has(step.data.account)) problems.push(`${where}.account: ${step.data.account} is not one of the drill's sources`);
    else steps.push(step.data);
  });
  if (problems.length) throw new DrillFileError(file, problems);
  return { ...parsed.data, steps };
}
