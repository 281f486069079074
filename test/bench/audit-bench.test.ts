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
    };
    expect(result.catalog).toEqual({ recoveryPoints: 300, resources: 30, accounts: 3, auditEntries: 600 });
    expect(result.checks.totals.recoveryPoints).toBe(300);
    expect(result.checks.auditLogIntact).toBe(true);
    expect(Object.keys(result.auditOperations)).toEqual(['Query']);
    for (const key of ['seedCatalog', 'seedAudit', 'audit', 'auditQueries', 'verifyAlone'])
      expect(result.seconds[key], key).toBeGreaterThan(0);
    // Rendering 300 points can take less than the millisecond the figures are rounded to.
    expect(result.seconds.auditRender).toBeGreaterThanOrEqual(0);
    expect(result.seconds.audit).toBeGreaterThanOrEqual(result.seconds.auditQueries!);
  });
});
