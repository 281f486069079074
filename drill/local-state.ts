import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkNotInUse } from '@backup-hub/aws-sim';

const STATE_FILE = 'backup-hub.json';
const DYNAMO_DIR = 'dynamo';
const FORMAT = 'backup-hub-local-state/1';

/** What a data folder says about the drill whose catalog and audit log it keeps. */
export interface LocalState {
  format: typeof FORMAT;
  drill: string;
  vault: { account: string; region: string };
  sources: { account: string; regions: string[] }[];
  /** Set when the drill finished: its tables and simulated start and end. */
  finished?: { tables: { catalog: string; audit: string }; startedAt: string; endedAt: string };
  /** Wall-clock time the file was written. */
  writtenAt: string;
}

/** A data folder that cannot be used, with what to do about it. */
export class LocalStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStateError';
  }
}

/**
 * A folder holding one drill's catalog and audit log (dynalite's LevelDB in `dynamo/`) and a
 * `backup-hub.json` that describes it. A new drill replaces what an earlier drill left; a
 * folder holding anything else is refused rather than cleared.
 *
 * @example
 * const folder = await LocalStateFolder.prepare('.backup-hub', { drill, vault, sources });
 * const hub = await deployLocalHub({ ...spec, dataPath: folder.dynamoPath });
 * await folder.finish({ tables, startedAt, endedAt });
 */
export class LocalStateFolder {
  private constructor(
    readonly dir: string,
    private state: LocalState,
  ) {}

  get dynamoPath(): string {
    return join(this.dir, DYNAMO_DIR);
  }

  static async prepare(dir: string, about: Pick<LocalState, 'drill' | 'vault' | 'sources'>): Promise<LocalStateFolder> {
    const entries = await listFolder(dir);
    if (entries === undefined) await mkdir(dir, { recursive: true });
    else if (entries.length > 0 && !entries.includes(STATE_FILE)) {
      throw new LocalStateError(
        `${dir} is not empty and holds no backup-hub drill state (no ${STATE_FILE}); choose another --data folder, or empty this one`,
      );
    } else {
      if (entries.includes(DYNAMO_DIR)) await checkNotInUse(join(dir, DYNAMO_DIR));
      await rm(join(dir, DYNAMO_DIR), { recursive: true, force: true });
    }
    const folder = new LocalStateFolder(dir, { format: FORMAT, ...about, writtenAt: new Date().toISOString() });
    // Written first, so that a drill that stops half-way leaves a folder the next drill may clear and the audit names as unfinished.
    await folder.#write();
    return folder;
  }

  /** Records that the drill finished: its tables, and its simulated start and end. */
  async finish(run: { tables: { catalog: string; audit: string }; startedAt: Date; endedAt: Date }): Promise<void> {
    const finished = { tables: run.tables, startedAt: run.startedAt.toISOString(), endedAt: run.endedAt.toISOString() };
    this.state = { ...this.state, finished, writtenAt: new Date().toISOString() };
    await this.#write();
  }

  async #write(): Promise<void> {
    await writeFile(join(this.dir, STATE_FILE), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

/**
 * Reads a data folder for the audit.
 *
 * @example
 * const { state, dynamoPath } = await readLocalState('.backup-hub');
 * @throws LocalStateError when the folder is missing or holds no drill state
 */
export async function readLocalState(
  dir: string,
): Promise<{ state: LocalState & { finished: NonNullable<LocalState['finished']> }; dynamoPath: string }> {
  const entries = await listFolder(dir);
  const runFirst = `run a drill that keeps its state there first (npm start -- --data ${dir})`;
  if (entries === undefined) throw new LocalStateError(`${dir} does not exist: ${runFirst}, or name the folder a drill used`);
  if (!entries.includes(STATE_FILE)) throw new LocalStateError(`${dir} holds no backup-hub drill state (no ${STATE_FILE}): ${runFirst}`);
  let state: LocalState;
  try {
    state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as LocalState;
  } catch (error) {
    throw new LocalStateError(`${join(dir, STATE_FILE)} cannot be read (${(error as Error).message}): ${runFirst}`);
  }
  if (state?.format !== FORMAT)
    throw new LocalStateError(`${join(dir, STATE_FILE)} is not in the format this version reads (${FORMAT}): ${runFirst}`);
  if (!state.finished)
    throw new LocalStateError(
      `the drill in ${dir} (${state.drill}) did not finish: it stopped half-way, or is still running; run it again`,
    );
  if (!entries.includes(DYNAMO_DIR)) throw new LocalStateError(`${dir} has no catalog (${DYNAMO_DIR}/ is missing): ${runFirst}`);
  return { state: { ...state, finished: state.finished }, dynamoPath: join(dir, DYNAMO_DIR) };
}

/** The folder's entries, or undefined when it does not exist. */
async function listFolder(dir: string): Promise<string[] | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new LocalStateError(`${dir} is a file, not a folder`);
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
