import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/bench.js';
import { TARGETS } from '../../bench/targets.js';
import { ARTIFACT_KINDS } from '../../shared/kinds/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The bench in CI: `npm run bench -- --json --short` (sizes, and a tiny pipeline run). What is
 * asserted is deterministic and structural: what a bundle holds, how a ratio is computed, the calls
 * per event. Whether a target holds is the bench's verdict (its JSON and exit status), not a test's.
 */
describe('performance budget (short bench)', () => {
  it('measures every packaged handler against the SDK clients it uses, a kind handler bundles no other kind client, a new snapshot costs 3 AWS + 3 DynamoDB calls', {
    timeout: 90_000,
  }, async () => {
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--json', '--short'], {
        cwd: ROOT,
        maxBuffer: 16 * 1024 * 1024,
      }));
    } catch (error) {
      // Exit status 1 means a target was missed; the report is still on stdout.
      stdout = (error as { stdout?: string }).stdout ?? '';
      if (!stdout.trim().startsWith('{')) throw error;
    }
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.mode).toBe('short');
    // The contract: each figure measured against its target, the exit status their conjunction, the load beside them.
    for (const name of ['sizeRatio', 'cpuToSdkFloorRatio', 'iamPolicyQuotaUse'] as const) {
      const t = report.targets[name]!;
      expect(t, name).toEqual({ target: TARGETS[name], value: expect.any(Number), holds: t.value <= TARGETS[name] });
    }
    expect(report.targets.sizeRatio!.value).toBe(Math.max(...Object.values(report.handlers).map((h) => h.sizeRatio)));
    expect(report.allTargetsHold).toBe(Object.values(report.targets).every((t) => t.holds));
    expect(report.load.start).toHaveLength(3);
    expect(Object.keys(report.handlers)).toEqual(expect.arrayContaining(['ebs-snapshot', 'reconciler']));
    const ratios = Object.fromEntries(Object.entries(report.handlers).map(([name, h]) => [name, h.sizeRatio]));
    for (const [name, h] of Object.entries(report.handlers)) {
      expect(h.bytes, name).toBeGreaterThan(0);
      expect(h.floor.bytes, name).toBeGreaterThan(0);
      expect(h.sdkPackages.length, name).toBeGreaterThan(0);
      // The account files are read at deploy time: no function carries their YAML parser (nor, with it, zod's full build).
      expect(h.packages, name).not.toContain('js-yaml');
    }
    // A kind's handler bundles its own service's client and none of another kind's (a kind receives only
    // its own); every copy handler uses DynamoDB, KMS and STS (its reader role), SQS and SSM (the source records).
    const common = ['dynamodb', 'kms', 'sts', 'sqs', 'ssm'].map((s) => `@aws-sdk/client-${s}`).concat('@aws-sdk/lib-dynamodb');
    // SSM's own service is among those; its own besides them is S3, where the vault keeps the versions.
    const ownClients: Record<string, string[]> = { 'ssm-parameter': ['@aws-sdk/client-s3'] };
    for (const kind of ARTIFACT_KINDS) {
      const own = report.handlers[kind]!.sdkPackages.filter((pkg) => !common.includes(pkg));
      const expected = ownClients[kind];
      if (expected) expect(own.sort(), kind).toEqual(expected);
      else expect(own, `${kind}: the SDK clients besides those every copy queue handler uses`).toHaveLength(1);
    }
    for (const [name, h] of Object.entries(report.handlers)) expect(ratios[name], name).toBeCloseTo(h.bytes / h.floor.bytes, 2);
    // The floor sends what the handler sends: the commands' serializers are SDK code, not the hub's.
    expect(report.handlers['ebs-snapshot']!.floor.source).toMatch(/\bCopySnapshotCommand\b/);
    // Calls per event are deterministic too, and what the handler's CPU mostly goes to (README, Benchmarks).
    const ebs = report.handlers['ebs-snapshot']!.pipeline;
    if (!('kind' in ebs) || ebs.kind !== 'copy-queue') throw new Error(`no EBS pipeline figures: ${JSON.stringify(ebs)}`);
    expect(
      { aws: ebs.overhead.awsCallsPerEvent, dynamo: ebs.overhead.dynamoCallsPerEvent },
      'SDK calls per new unencrypted snapshot',
    ).toEqual({ aws: 3, dynamo: 3 });
    // The quota headroom of issue 24: the example accounts and, in short mode, 3 sources × 6 regions.
    const quotas = report.quotas;
    expect(quotas.scales.map((s) => s.name)).toEqual(['example', '3 × 6']);
    expect(quotas.iamPolicyQuotaUse).toMatchObject({
      target: TARGETS.iamPolicyQuotaUse,
      holds: quotas.iamPolicyQuotaUse.value <= TARGETS.iamPolicyQuotaUse,
    });
    expect(quotas.scales[0]!.rolePolicySize['backup-hub-reconciler']).toBeGreaterThan(0);
    // The claim is an UpdateItem that creates the point (no handler may put a whole item), the audit entry a PartiQL INSERT (which never overwrites).
    expect(ebs.sdkCallFloor.calls.map((c) => c.command)).toEqual([
      'DescribeSnapshotsCommand',
      'UpdateCommand',
      'ModifySnapshotAttributeCommand',
      'CopySnapshotCommand',
      'UpdateCommand',
      'ExecuteStatementCommand',
    ]);
  });
});
