import { afterEach, describe, expect, it } from 'vitest';
import { formatCsv } from '../../cli/audit/format-csv.js';
import { formatHtml } from '../../cli/audit/format-html.js';
import { formatTable } from '../../cli/audit/format-table.js';
import { auditSources, collectReport } from '../../drill/drill-report.js';
import type { LocalHub } from '../../drill/local-hub.js';
import { buildAuditReport } from '../../shared/report/audit-report.js';
import { deployTestHub, REGION, run, SOURCE_A } from '../e2e/hub-harness.js';

let hub: LocalHub;
afterEach(() => hub?.close());

const auditOf = (hub: LocalHub) =>
  buildAuditReport(
    {
      accounts: [SOURCE_A],
      onlyTheseAccounts: true,
      since: new Date(hub.startedAt).toISOString(),
      until: hub.cloud.clock.now().toISOString(),
    },
    auditSources(hub),
  );

describe('unknowns made visible: what the sources hold and nothing protects', () => {
  it('lists a volume and a DB instance that never got a snapshot, with their tags, until they are protected', async () => {
    hub = await deployTestHub({ rds: { snapshotDurationMs: 0, copyDurationMs: 20 * 60_000 } });
    const volume = hub.ec2.createVolume(SOURCE_A, REGION, { id: 'vol-0000000000000d1a', encryption: 'none', tags: { team: 'payments' } });
    hub.rds.createDBInstance(SOURCE_A, REGION, { id: 'billing', tags: { team: 'payments' } });
    await run(hub, 70);

    const report = await auditOf(hub);
    expect(report.unprotected).toEqual([
      {
        account: SOURCE_A,
        region: REGION,
        kind: 'ebs-snapshot',
        resourceId: volume.id,
        tags: { team: 'payments' },
        why: 'never protected',
      },
      {
        account: SOURCE_A,
        region: REGION,
        kind: 'rds-snapshot',
        resourceId: 'billing',
        tags: { team: 'payments' },
        why: 'never protected',
      },
    ]);
    expect(report.totals.unprotected).toBe(2);
    expect(formatTable(report, { source: 'test', generatedAt: '', limit: 20 })).toMatch(
      /-- unprotected resources .*\(2\)[\s\S]*vol-0000000000000d1a[\s\S]*billing/,
    );
    expect(formatCsv(report, 'unprotected')).toContain(
      `${SOURCE_A},${REGION},rds-snapshot,billing,"{""team"":""payments""}",,,never protected`,
    );
    expect(formatHtml(report, { source: 'test', generatedAt: '', limit: 20 })).toMatch(
      /Unprotected resources[\s\S]*vol-0000000000000d1a[\s\S]*billing[\s\S]*never protected/,
    );
    expect((await collectReport(hub, { name: 'unprotected', refusedAtBus: [] })).unprotected).toEqual(report.unprotected);

    // Both get their first snapshot (announced): once copied, they leave the list.
    hub.ec2.createSnapshot(SOURCE_A, REGION, { volumeId: volume.id });
    hub.rds.createDBSnapshot(SOURCE_A, REGION, { db: 'billing', type: 'automated' });
    await run(hub, 90);
    expect((await auditOf(hub)).unprotected).toEqual([]);
  }, 120_000);
});
