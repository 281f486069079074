import type { Disagreement } from '@backup-hub/aws-sim';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDrillFile } from '../../drill/drill-file.js';
import { type RefusedCall, refusedCalls } from '../../drill/drill-report.js';
import { checkLeastPrivilege, type LeastPrivilegeReport, type PlacedStatement, withoutStatement } from '../../drill/least-privilege.js';
import { DrillStepError, runDrill } from '../../drill/run-drill.js';
import { DEFAULT_ACCOUNTS_DIR, loadAccounts } from '../../shared/config/accounts.js';

/**
 * npm run check:iam in its short mode (the drills once, no removal of every statement), run with the
 * fast path checked against the library on every request shape the drills produce.
 */
let report: LeastPrivilegeReport & { placed: PlacedStatement[] };
const shapes: number[] = [];
const disagreements: Disagreement[] = [];

beforeAll(async () => {
  report = await checkLeastPrivilege({
    authorization: 'differential',
    inspect(hub) {
      shapes.push(hub.cloud.authorizer.shapes.size);
      disagreements.push(...hub.cloud.authorizer.disagreements);
    },
  });
}, 600_000);

describe('least privilege, proven from the drills', () => {
  it('refuses no call of the default drill, and finds most statements needed by some call', () => {
    expect(report.deniedCalls).toBe(0);
    expect(report.statements).toBe(report.placed.length);
    expect(report.needed).toBeGreaterThan(report.statements / 2);
    // A statement no call needs is removed, or kept with a reason naming the real-AWS path that needs it.
    expect(report.unneeded.filter((u) => u.reason === undefined).map((u) => `${u.policy} ${u.sid}`)).toEqual([]);
    for (const u of report.unneeded) expect(u.reason!.length, `${u.policy} ${u.sid}`).toBeGreaterThan(30);
  });

  it('the fast path decides every request shape of the drills as the library does', () => {
    expect(shapes.length).toBe(2);
    for (const count of shapes) expect(count).toBeGreaterThan(100);
    expect(disagreements).toEqual([]);
  });

  it('records refused calls when a statement it calls needed is taken out of the templates', async () => {
    const accounts = loadAccounts(DEFAULT_ACCOUNTS_DIR);
    const needed = (policy: RegExp, sid: string) => {
      const found = report.placed.find((p) => policy.test(p.policy) && p.sid === sid);
      expect(found, `${policy} ${sid}`).toBeDefined();
      expect(report.unneeded.some((u) => u.policy === found!.policy && u.sid === found!.sid)).toBe(false);
      return found!;
    };
    const defaultDrill = await readDrillFile('drill/default-drill.json');
    // The default drill as far as its first copies, an hour for them and a restore (so that the drill names the
    // recovery account of the files): each statement below is needed there.
    const restore = defaultDrill.steps.find((step) => step.action === 'restore')!;
    const drill = {
      ...defaultDrill,
      steps: [
        ...defaultDrill.steps.slice(
          0,
          defaultDrill.steps.findIndex((step) => step.action === 'createImage'),
        ),
        { action: 'advance' as const, minutes: 60 },
        { ...restore, rebuild: false },
      ],
    };
    // One of each policy type: an identity policy, a key policy and the bus policy.
    for (const [statement, refusedBy] of [
      [needed(/^vault\/EbsSnapshotRole /, 'CopySharedSnapshotsIntoTheVault'), 'identity'],
      [needed(/^source-a\/ShareKey key policy$/, 'VaultCopiesSharedSnapshotsThroughEc2'), 'key policy'],
      [needed(/^vault\/EventBusPolicy bus policy$/, '1'), 'bus policy'],
    ] as const) {
      let refused: RefusedCall[] = [];
      // Without the bus policy nothing reaches the vault: the drill's calls are looked at all the same.
      await runDrill(drill, {
        name: 'without a statement',
        template: withoutStatement(accounts, statement),
        inspect: (hub) => {
          refused = refusedCalls([...hub.cloud.calls, ...hub.cloud.serviceRequests]);
        },
      }).catch((error: unknown) => {
        if (!(error instanceof DrillStepError)) throw error;
      });
      expect(refused.length, `${statement.policy} ${statement.sid}`).toBeGreaterThan(0);
      expect(refused.flatMap((r) => r.refusedBy)).toContain(refusedBy);
    }
  }, 600_000);
});
