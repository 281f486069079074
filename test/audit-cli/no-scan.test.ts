import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalDynamo, startLocalDynamo } from '@backup-hub/aws-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAwsSource, openLocalSource } from '../../cli/audit/connect.js';
import { run } from '../../cli/audit.js';
import { createTables } from '../../drill/hub-tables.js';
import { SINCE, seedFixture, UNTIL, writeFixtureAccounts } from '../report/fixture.js';
import { tempDirs } from '../temp-dirs.js';

const temp = tempDirs();
afterAll(temp.remove);

/**
 * The design's rule: every access pattern is a Query on the table or a GSI, never a Scan. Checked
 * twice: in the source (no code can issue one) and on the wire (a full audit run, every format
 * and filter, sends dynalite nothing but Queries).
 */
const CODE_DIRS = ['shared', 'cli', 'handlers', 'drill'];
/** Ways to read a whole table: Scan in either client, its paginator, and PartiQL (a SELECT without a key condition is a scan). */
const SCAN_WAYS = [
  /\bScanCommand\b/,
  /\bpaginateScan\b/,
  /\.scan\s*\(/,
  /\b(Batch)?ExecuteStatementCommand\b/,
  /\bExecuteTransactionCommand\b/,
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.(ts|mjs|cjs|js)$/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

describe('no code path issues a DynamoDB Scan', () => {
  it('has no Scan (nor PartiQL) call in shared/, cli/, handlers/ or drill/', async () => {
    const files = (await Promise.all(CODE_DIRS.map(sourceFiles))).flat();
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const way of SCAN_WAYS) if (way.test(text)) offenders.push(`${file}: ${way}`);
    }
    expect(offenders).toEqual([]);
  });

  describe('at run time, against the real-AWS code path', () => {
    let dynamo: LocalDynamo;
    const operations: string[] = [];
    let accountsDir: string;
    const saved = { ...process.env };

    beforeAll(async () => {
      dynamo = await startLocalDynamo({ onOperation: (op) => operations.push(op) });
      await createTables(dynamo.clientConfig, { catalog: 'backup-hub-catalog', audit: 'backup-hub-audit' });
      await seedFixture(dynamo, { catalog: 'backup-hub-catalog', audit: 'backup-hub-audit' });
      accountsDir = await writeFixtureAccounts(await temp.make('audit-accounts-'));
      // The standard chain, pointed at dynalite the way any AWS SDK is (service-specific endpoint variable).
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      delete process.env.AWS_PROFILE;
    });
    afterAll(async () => {
      process.env = saved;
      await dynamo.close();
    });

    // The signed anchors and the configuration captures live in S3 and KMS, which this DynamoDB check does not run
    // (test/audit-cli/signed-anchor.test.ts and test/drill/config-change-drill.test.ts do).
    const dynamoOnly = {
      aws: (...args: Parameters<typeof openAwsSource>) => ({ ...openAwsSource(...args), anchors: undefined, captures: undefined }),
      local: openLocalSource,
    };

    it('sends only Queries for every format, table, filter and verify', async () => {
      const common = ['--accounts', accountsDir, '--since', SINCE, '--until', UNTIL, '--quiet'];
      const runs = [
        [],
        ['--format', 'json'],
        ['--format', 'html'],
        ...['resources', 'coverage', 'rpo', 'pending', 'failures', 'rejections', 'retention'].map((table) => [
          '--format',
          'csv',
          '--table',
          table,
        ]),
        ['--account', 'source-a', '--kind', 'ebs-snapshot,ami'],
        ['verify'],
      ];
      const outputs: string[] = [];
      for (const args of runs) {
        operations.length = 0;
        const code = await run([...args, ...common], { out: (t) => outputs.push(t), err: (t) => outputs.push(t) }, dynamoOnly);
        expect(code, `${args.join(' ')}: ${outputs.at(-1)}`).toBe(0);
        // Queries, and the one GetItem of the vault lock's item in the report.
        expect(operations, args.join(' ')).toContain('Query');
        expect(
          [...new Set(operations)].filter((op) => op !== 'Query' && op !== 'GetItem'),
          args.join(' '),
        ).toEqual([]);
      }
      // It did read the tables: the fixture's figures are in the output.
      expect(outputs[0]).toContain('source: AWS, vault 999999999999: tables backup-hub-catalog and backup-hub-audit in eu-west-1');
      expect(outputs[0]).toMatch(/resources\s+7: 5 protected, 1 never copied/);
    });
  });
});
