import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Folders of one test file in the system temp directory, all removed by `remove`:
 *
 *   const temp = tempDirs();
 *   afterAll(temp.remove);
 *   const dir = await temp.make('drill-');
 */
export function tempDirs() {
  const made: string[] = [];
  return {
    async make(prefix: string): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    remove: async () => {
      await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
