import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);

/** The audit benchmark at a tiny size, so the script keeps working; the figures themselves come from `npm run bench:audit`. */
describe('npm run bench:audit', () => {
  it('seeds with BatchWrite, runs the audit with Queries only and reports its times', async () => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'bench/audit.ts', '--points', '300', '--accounts', '3', '--json'], {
      cwd: process.cwd(),
    });
    const result = JSON.parse(stdout) as {
      catalog: Record<string, number>;
      seconds: Record<string, number>;
      auditOperations: Record<string, number>;
      checks: { totals: Record<string, number>; auditLogIntact: boolean };
      targets: Record<string, { target: number; value: number; holds: boolean }>;
      incrementalVerify: { anchor: number; entriesChecked: number; after: number; intact: boolean };
      load: { start: number; end: number };
    };
    expect(result.catalog).toEqual({ recoveryPoints: 300, resources: 30, accounts: 3, auditEntries: 600 });
    expect(result.checks.totals.recoveryPoints).toBe(300);
    expect(result.checks.auditLogIntact).toBe(true);
    expect(Object.keys(result.auditOperations)).toEqual(['Query']);
    for (const key of ['seedCatalog', 'seedAudit', 'audit', 'auditQueries', 'incrementalVerify', 'verifyAlone'])
      expect(result.seconds[key], key).toBeGreaterThan(0);
    // Rendering 300 points can take less than the millisecond the figures are rounded to.
    expect(result.seconds.auditRender).toBeGreaterThanOrEqual(0);
    expect(result.seconds.audit).toBeGreaterThanOrEqual(result.seconds.auditQueries!);
    // The anchor signs the head one day (1/30 of the log) back: the incremental verify reads its entry and the day after it.
    expect(result.incrementalVerify).toEqual({ anchor: 580, entriesChecked: 21, after: 20, intact: true });
    expect(Object.keys(result.targets)).toEqual(['auditMillionSeconds', 'auditIncrementalSeconds']);
    expect(result.targets.auditMillionSeconds).toMatchObject({ target: 60, value: result.seconds.audit });
    expect(result.targets.auditIncrementalSeconds).toMatchObject({ target: 5, value: result.seconds.incrementalVerify });
    expect(result.load.start).toBeGreaterThanOrEqual(0);
  });
});
