import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADJUSTABLE_QUOTAS, QUOTAS, type QuotaDefinition } from '@backup-hub/aws-sim';
import { describe, expect, it } from 'vitest';
import {
  type AccountProblem,
  AccountsConfigError,
  effectiveTargets,
  loadAccounts,
  parseAccounts,
  RAISABLE_QUOTAS,
} from '../../shared/config/accounts.js';

const vault = (extra = '') => `
id: "999999999999"
role: vault
regions: [eu-west-1]
externalId: ext-id-for-tests
allowedSources: ["111111111111"]
operators: { restore: ["arn:aws:iam::999999999999:role/restorer"], legalHold: ["arn:aws:iam::999999999999:role/lawyer-*"] }
${extra}`;

const source = (extra = '', id = '111111111111') => `
id: "${id}"
role: source
regions: [eu-west-1]
vault: "999999999999"
${extra}`;

/** The problems parseAccounts reports for these files (it must throw). */
function problemsOf(files: Record<string, string>): AccountProblem[] {
  try {
    parseAccounts(Object.entries(files).map(([file, text]) => ({ file, text })));
  } catch (error) {
    expect(error).toBeInstanceOf(AccountsConfigError);
    return (error as AccountsConfigError).problems;
  }
  throw new Error('expected the account files to be rejected');
}

describe('the example accounts/ folder', () => {
  it('loads: one vault, its three sources (those of the default drill), and the regions the vault accepts', () => {
    const accounts = loadAccounts();
    expect(accounts.vault).toMatchObject({ name: 'vault', id: '999999999999', regions: ['eu-west-1'] });
    expect(accounts.sources.map((s) => s.name)).toEqual(['source-a', 'source-b', 'source-c']);
    expect(Object.fromEntries(accounts.sources.map((s) => [s.id, s.regions]))).toEqual({
      '111111111111': ['eu-west-1'],
      '222222222222': ['eu-west-1', 'eu-central-1'],
      '333333333333': ['eu-west-1'],
    });
    expect(accounts.vault.allowedSources).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(accounts.account('source-b').regions).toEqual(['eu-west-1', 'eu-central-1']);
  });

  it('gives each source the vault targets, overridden by its own file', () => {
    const accounts = loadAccounts();
    const targets = effectiveTargets(accounts, accounts.account('source-a'));
    expect(targets['ebs-snapshot']).toEqual({ retentionDays: 14, rpoHours: 12 });
    expect(targets.ami).toEqual(accounts.vault.targets.ami);
  });

  it('has a file for every account of the default drill, with its regions, so the drill can run on the packaged stacks', () => {
    const drill = JSON.parse(readFileSync(new URL('../../drill/default-drill.json', import.meta.url), 'utf8')) as {
      vault: { account: string; region: string };
      sources: { account: string; regions: string[] }[];
      steps: { into?: string }[];
    };
    const files = new Map(loadAccounts().all.map((a) => [a.id, a]));
    const used = [
      { account: drill.vault.account, regions: [drill.vault.region] },
      ...drill.sources,
      ...drill.steps.flatMap((s) => (s.into ? [{ account: s.into, regions: [] }] : [])),
    ];
    for (const { account, regions } of used) expect(files.get(account)?.regions, account).toEqual(expect.arrayContaining(regions));
  });

  it('has a recovery account the vault may restore into', () => {
    expect(loadAccounts().recovery).toEqual([
      expect.objectContaining({ name: 'recovery', id: '444444444444', vault: '999999999999', regions: ['eu-west-1'] }),
    ]);
  });

  it('names the known accounts when asked for one that has no file', () => {
    expect(() => loadAccounts().account('source-z')).toThrow(/no account file source-z\.yml.*vault, source-a, source-b/);
  });
});

describe('account file validation names the file and the field', () => {
  it('accepts a minimal vault and source', () => {
    const config = parseAccounts([
      { file: 'vault.yml', text: vault() },
      { file: 'app.yml', text: source() },
    ]);
    expect(config.sources[0]).toMatchObject({
      name: 'app',
      vault: '999999999999',
      customerKeyAliases: [],
      ssmParameters: { paths: [], tagged: false },
    });
    expect(config.vault.operators).toEqual({
      restore: ['arn:aws:iam::999999999999:role/restorer'],
      legalHold: ['arn:aws:iam::999999999999:role/lawyer-*'],
      // Those who restore may retry, unless the vault file names others.
      retry: ['arn:aws:iam::999999999999:role/restorer'],
      // Those who may retry may sweep on demand, unless the vault file names others.
      sweep: ['arn:aws:iam::999999999999:role/restorer'],
      mfa: false,
    });
  });

  it('takes a DR region other than the vault region, and a DR RPO target per kind', () => {
    const config = parseAccounts([
      {
        file: 'vault.yml',
        text: vault('drRegion: eu-central-1\ntargets: { ebs-snapshot: { retentionDays: 7, rpoHours: 24, drRpoHours: 36 } }'),
      },
      { file: 'app.yml', text: source() },
    ]);
    expect(config.vault.drRegion).toBe('eu-central-1');
    expect(config.vault.targets['ebs-snapshot']).toEqual({ retentionDays: 7, rpoHours: 24, drRpoHours: 36 });
    expect(problemsOf({ 'vault.yml': vault('drRegion: eu-west-1'), 'app.yml': source() })).toEqual([
      {
        file: 'vault.yml',
        field: 'drRegion',
        message: "eu-west-1 is the vault's own region; the DR region must be another one (or leave drRegion out)",
      },
    ]);
  });

  it('requires the operators the restore and legal hold roles trust, principals of the vault account only', () => {
    expect(problemsOf({ 'vault.yml': vault().replace(/^operators:.*$/m, ''), 'app.yml': source() })).toContainEqual(
      expect.objectContaining({ file: 'vault.yml', field: 'operators', message: expect.stringMatching(/must name the principals/) }),
    );
    const elsewhere = vault().replace('role/lawyer-*', 'role/lawyer').replace(':999999999999:role/lawyer', ':111111111111:role/lawyer');
    expect(problemsOf({ 'vault.yml': elsewhere, 'app.yml': source() })).toEqual([
      {
        file: 'vault.yml',
        field: 'operators.legalHold[0]',
        message:
          "arn:aws:iam::111111111111:role/lawyer is not a principal of the vault account 999999999999: the operator roles trust the vault's own principals only",
      },
    ]);
    const retryElsewhere = vault().replace('legalHold:', 'retry: ["arn:aws:iam::111111111111:role/oncall"], legalHold:');
    expect(problemsOf({ 'vault.yml': retryElsewhere, 'app.yml': source() })).toEqual([
      expect.objectContaining({
        field: 'operators.retry[0]',
        message: expect.stringMatching(/^arn:aws:iam::111111111111:role\/oncall is not a principal/),
      }),
    ]);
  });

  it('reads the SSM parameters a source opts in, and refuses a path that is not one', () => {
    const config = parseAccounts([
      { file: 'vault.yml', text: vault() },
      { file: 'app.yml', text: source('ssmParameters: { paths: [/app/], tagged: true }') },
    ]);
    expect(config.sources[0]!.ssmParameters).toEqual({ paths: ['/app/'], tagged: true });
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source('ssmParameters: { paths: [app] }') })).toContainEqual(
      expect.objectContaining({ file: 'app.yml', field: 'ssmParameters.paths[0]' }),
    );
  });

  it('reads a source’s pendingCap (its fair share of the copy slots), absent by default, and refuses one that is not a whole number of points', () => {
    const config = parseAccounts([
      { file: 'vault.yml', text: vault() },
      { file: 'app.yml', text: source('pendingCap: 50') },
    ]);
    expect(config.sources[0]!.pendingCap).toBe(50);
    expect(
      parseAccounts([
        { file: 'vault.yml', text: vault() },
        { file: 'app.yml', text: source() },
      ]).sources[0]!.pendingCap,
    ).toBeUndefined();
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source('pendingCap: 0.5') })).toContainEqual(
      expect.objectContaining({ file: 'app.yml', field: 'pendingCap', message: expect.stringMatching(/whole number/) }),
    );
  });

  it('keeps the audit anchors in the vault by default, or in the log-archive account file the vault names', () => {
    const archive = `id: "555555555555"\nrole: log-archive\nregions: [eu-west-1]\nvault: "999999999999"\n`;
    const alone = parseAccounts([
      { file: 'vault.yml', text: vault() },
      { file: 'app.yml', text: source() },
    ]);
    expect(alone.vault.auditAnchors).toEqual({ account: '999999999999', retentionDays: 2555 });
    const named = vault('auditAnchors: { account: "555555555555", retentionDays: 3650 }');
    const config = parseAccounts([
      { file: 'vault.yml', text: named },
      { file: 'app.yml', text: source() },
      { file: 'log-archive.yml', text: archive },
    ]);
    expect(config.vault.auditAnchors).toEqual({ account: '555555555555', retentionDays: 3650 });
    expect(config.all.map((a) => a.role)).toEqual(['vault', 'source', 'log-archive']);
    expect(problemsOf({ 'vault.yml': named, 'app.yml': source() })).toContainEqual(
      expect.objectContaining({
        file: 'vault.yml',
        field: 'auditAnchors.account',
        message: expect.stringMatching(/no account file with role: log-archive/),
      }),
    );
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source(), 'log-archive.yml': archive })).toContainEqual(
      expect.objectContaining({ file: 'log-archive.yml', field: 'role', message: expect.stringMatching(/would keep nothing/) }),
    );
  });

  it('rejects an id that is not 12 digits', () => {
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source('', '11111111111') })).toContainEqual({
      file: 'app.yml',
      field: 'id',
      message: 'must be a 12-digit AWS account id (got "11111111111")',
    });
  });

  it('rejects an unquoted id, which YAML reads as a number', () => {
    const problems = problemsOf({ 'vault.yml': vault(), 'app.yml': source().replace('"111111111111"', '111111111111') });
    expect(problems).toContainEqual(
      expect.objectContaining({ file: 'app.yml', field: 'id', message: expect.stringMatching(/quoted string of 12 digits/) }),
    );
  });

  it('rejects a bad id inside a list, naming the list index', () => {
    const problems = problemsOf({ 'vault.yml': vault().replace('["111111111111"]', '["111111111111", "12-34"]'), 'app.yml': source() });
    expect(problems).toContainEqual({
      file: 'vault.yml',
      field: 'allowedSources[1]',
      message: 'must be a 12-digit AWS account id (got "12-34")',
    });
  });

  it('rejects a source whose vault is an unknown account', () => {
    expect(
      problemsOf({ 'vault.yml': vault(), 'app.yml': source().replace('vault: "999999999999"', 'vault: "888888888888"') }),
    ).toContainEqual({
      file: 'app.yml',
      field: 'vault',
      message: '888888888888 is an unknown account: no account file has that id (vault.yml has id 999999999999)',
    });
  });

  it('rejects a source whose vault is another source', () => {
    const problems = problemsOf({
      'vault.yml': vault().replace('["111111111111"]', '["111111111111", "222222222222"]'),
      'app.yml': source().replace('vault: "999999999999"', 'vault: "222222222222"'),
      'web.yml': source('', '222222222222'),
    });
    expect(problems).toContainEqual({
      file: 'app.yml',
      field: 'vault',
      message: '222222222222 is web.yml, which is not the vault (vault.yml has id 999999999999)',
    });
  });

  it('rejects a folder without a vault', () => {
    expect(problemsOf({ 'app.yml': source() })).toEqual([
      { file: '(all files)', field: 'role', message: 'no account file has role: vault; exactly one must' },
    ]);
  });

  it('rejects a second vault', () => {
    expect(
      problemsOf({ 'vault.yml': vault(), 'vault-2.yml': vault().replace('999999999999', '888888888888'), 'app.yml': source() }),
    ).toContainEqual({
      file: 'vault-2.yml',
      field: 'role',
      message: 'vault.yml is already the vault; exactly one account file may have role: vault',
    });
  });

  it('rejects a source that the vault does not list', () => {
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source(), 'web.yml': source('', '222222222222') })).toEqual([
      { file: 'web.yml', field: 'id', message: '222222222222 is a source listed nowhere: add it to allowedSources in vault.yml' },
    ]);
  });

  it('rejects a vault that lists an account with no file', () => {
    expect(
      problemsOf({ 'vault.yml': vault().replace('["111111111111"]', '["111111111111", "333333333333"]'), 'app.yml': source() }),
    ).toEqual([
      {
        file: 'vault.yml',
        field: 'allowedSources[1]',
        message: '333333333333 has no account file in the folder (unknown account); add <name>.yml with role: source, or remove it',
      },
    ]);
  });

  it('rejects a vault that lists itself as a source', () => {
    expect(
      problemsOf({ 'vault.yml': vault().replace('["111111111111"]', '["111111111111", "999999999999"]'), 'app.yml': source() }),
    ).toContainEqual({
      file: 'vault.yml',
      field: 'allowedSources[1]',
      message: '999999999999 is vault.yml, which is not a source account',
    });
  });

  it('rejects two files with the same id', () => {
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source(), 'copy.yml': source() })).toContainEqual({
      file: 'copy.yml',
      field: 'id',
      message: '111111111111 is also the id of app.yml; each account has one file',
    });
  });

  it('rejects a misspelt field instead of ignoring it', () => {
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source('regoins: [eu-west-2]') })).toEqual([
      { file: 'app.yml', field: 'regoins', message: 'is not a known field (typo?)' },
    ]);
  });

  it('rejects a missing or unknown role', () => {
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source().replace('role: source', 'role: sauce') })).toContainEqual({
      file: 'app.yml',
      field: 'role',
      message: 'must be vault, source, recovery or log-archive (got "sauce")',
    });
  });

  it('rejects a bad region, a missing field and an unknown kind in targets', () => {
    const problems = problemsOf({
      'vault.yml': vault('targets: { ebs-snapshots: { retentionDays: 7, rpoHours: 1 } }'),
      'app.yml': source().replace('regions: [eu-west-1]', 'regions: [eu-west-1, Ireland]').replace('vault: "999999999999"', ''),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { file: 'app.yml', field: 'regions[1]', message: 'must be an AWS region name such as eu-west-1 (got "Ireland")' },
        { file: 'app.yml', field: 'vault', message: 'is required' },
        {
          file: 'vault.yml',
          field: 'targets.ebs-snapshots',
          message: 'is not an artifact kind (one of ebs-snapshot, ami, rds-snapshot, rds-cluster-snapshot, ssm-parameter)',
        },
      ]),
    );
  });

  it('rejects a vault in two regions', () => {
    expect(problemsOf({ 'vault.yml': vault().replace('[eu-west-1]', '[eu-west-1, eu-central-1]'), 'app.yml': source() })).toContainEqual(
      expect.objectContaining({ file: 'vault.yml', field: 'regions', message: expect.stringMatching(/exactly one region/) }),
    );
  });

  it('rejects a source whose externalId or organization differs from the vault', () => {
    const problems = problemsOf({ 'vault.yml': vault(), 'app.yml': source('externalId: other-id\norganizationId: o-zzzzzzzzzz') });
    expect(problems).toContainEqual(expect.objectContaining({ file: 'app.yml', field: 'externalId' }));
    expect(problems).toContainEqual(expect.objectContaining({ file: 'app.yml', field: 'organizationId' }));
  });

  it('rejects YAML that does not parse, naming the file', () => {
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': 'id: "111111111111"\nregions: [eu-west-1' })).toEqual([
      expect.objectContaining({ file: 'app.yml', field: '(yaml)', message: expect.stringMatching(/^is not valid YAML/) }),
    ]);
  });

  it('reports every problem at once, one line per file and field', () => {
    const error = (() => {
      try {
        parseAccounts([{ file: 'app.yml', text: source('', '1') }]);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a rejection');
    })();
    expect(error.message).toContain('  - app.yml: id: must be a 12-digit AWS account id (got "1")');
  });

  it('rejects an empty folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accounts-'));
    try {
      writeFileSync(join(dir, 'notes.txt'), 'not an account');
      expect(() => loadAccounts(dir)).toThrow(/has no account files/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a retention shorter than the vault lock, where that retention is written', () => {
    const problems = problemsOf({
      'vault.yml': vault(
        'lock: { minRetentionDays: 30 }\ntargets: { ebs-snapshot: { retentionDays: 35, rpoHours: 24 }, ami: { retentionDays: 20, rpoHours: 24 } }',
      ),
      'app.yml': source('targets: { ebs-snapshot: { retentionDays: 14, keepLast: 2, rpoHours: 12 } }'),
    });
    expect(problems).toEqual([
      {
        file: 'vault.yml',
        field: 'targets.ami.retentionDays',
        message: expect.stringMatching(/^20 days is shorter than the vault lock \(lock\.minRetentionDays: 30 in vault\.yml\)/),
      },
      {
        file: 'app.yml',
        field: 'targets.ebs-snapshot.retentionDays',
        message: expect.stringMatching(/^14 days is shorter than the vault lock/),
      },
    ]);
  });

  it('rejects a snapshot lock cooling-off period outside the 1 to 72 hours EBS allows', () => {
    const problems = problemsOf({ 'vault.yml': vault('lock: { minRetentionDays: 7, coolOffHours: 96 }') });
    expect(problems).toContainEqual({
      file: 'vault.yml',
      field: 'lock.coolOffHours',
      message: 'must be 1 to 72 hours (EBS snapshot lock cooling-off period) (got 96)',
    });
  });

  it('rejects a lock or keepLast that is not a positive whole number', () => {
    const problems = problemsOf({
      'vault.yml': vault('lock: { minRetentionDays: 0 }'),
      'app.yml': source('targets: { ebs-snapshot: { retentionDays: 14, keepLast: 1.5, rpoHours: 12 } }'),
    });
    expect(problems).toContainEqual({ file: 'vault.yml', field: 'lock.minRetentionDays', message: 'must be positive (got 0)' });
    expect(problems).toContainEqual({
      file: 'app.yml',
      field: 'targets.ebs-snapshot.keepLast',
      message: 'must be a whole number of copies (got 1.5)',
    });
  });

  it("rejects a recovery account of another vault, or outside the vault's region", () => {
    const recovery = 'id: "444444444444"\nrole: recovery\nregions: [eu-central-1]\nvault: "888888888888"\n';
    expect(problemsOf({ 'vault.yml': vault(), 'app.yml': source(), 'dr.yml': recovery })).toEqual([
      { file: 'dr.yml', field: 'vault', message: '888888888888 is not the vault (vault.yml has id 999999999999)' },
      { file: 'dr.yml', field: 'regions', message: "must include eu-west-1: restores land in the vault's region, where its copies are" },
    ]);
  });

  it('takes the quotas Service Quotas raised for an account, and refuses a fixed or unknown quota or a value AWS would not grant', () => {
    const accounts = parseAccounts([
      { file: 'vault.yml', text: vault('quotas: { iam.managedPoliciesPerRole: 20, events.rulesPerBus: 1000 }') },
      { file: 'app.yml', text: source() },
    ]);
    expect(accounts.vault.quotas).toEqual({ 'iam.managedPoliciesPerRole': 20, 'events.rulesPerBus': 1000 });
    expect(accounts.account('app').quotas).toEqual({});
    const problems = problemsOf({
      'vault.yml': vault('quotas: { iam.rolePolicySize: 20480, iam.trustPolicySize: 8192, events.eventPatternSize: 1024, lambda.typo: 1 }'),
      'app.yml': source('quotas: { iam.managedPoliciesPerRole: "20" }'),
    });
    expect(problems).toEqual([
      {
        file: 'vault.yml',
        field: 'quotas.iam.rolePolicySize',
        message: expect.stringMatching(
          /^is not a quota an account can raise \(the raisable ones: iam\.trustPolicySize, .*\); the rest are fixed by AWS \(got 20480\)$/,
        ),
      },
      {
        file: 'vault.yml',
        field: 'quotas.iam.trustPolicySize',
        message:
          "must be the limit Service Quotas granted this account (characters of a role trust policy), a whole number from 2048 (AWS's default) to 4096 (got 8192)",
      },
      {
        file: 'vault.yml',
        field: 'quotas.events.eventPatternSize',
        message: expect.stringMatching(/from 2048 \(AWS's default\) to 4096 \(got 1024\)$/),
      },
      { file: 'vault.yml', field: 'quotas.lambda.typo', message: expect.stringMatching(/^is not a quota an account can raise/) },
      {
        file: 'app.yml',
        field: 'quotas.iam.managedPoliciesPerRole',
        message: expect.stringMatching(/a whole number from 10 \(AWS's default\) to 20 \(got "20"\)$/),
      },
    ]);
  });

  it("names as raisable exactly the simulated cloud's adjustable quotas, with AWS's defaults and maxima", () => {
    expect(
      Object.fromEntries(
        Object.entries(RAISABLE_QUOTAS).map(([name, q]) => [name, { default: q.default, max: 'max' in q ? q.max : undefined }]),
      ),
    ).toEqual(
      Object.fromEntries(
        ADJUSTABLE_QUOTAS.map((name) => {
          const quota: QuotaDefinition = QUOTAS[name];
          return [name, { default: quota.default, max: quota.adjustable?.max }];
        }),
      ),
    );
  });
});
