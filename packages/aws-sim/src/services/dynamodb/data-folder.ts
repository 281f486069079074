import { Level } from 'level';

/** A data folder another process holds open (a drill still running, or an audit reading it). */
export class DataFolderInUseError extends Error {
  constructor(readonly path: string) {
    super(`${path} is in use by another process (a drill still running, or an audit reading it); wait for it to finish`);
    this.name = 'DataFolderInUseError';
  }
}

/**
 * Tries the LevelDB lock of a data folder: dynalite crashes its process when the lock is held, and
 * a folder in use must not be cleared for a new drill.
 *
 * @throws DataFolderInUseError when another process holds it
 */
export async function checkNotInUse(path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') throw new DataFolderInUseError(path);
    throw error;
  }
  await db.close();
}
