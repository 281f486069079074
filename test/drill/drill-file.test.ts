import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DrillFileError, parseDrill, readDrillFile, recoveryAccountsOf } from '../../drill/drill-file.js';
import { tempDirs } from '../temp-dirs.js';

const temp = tempDirs();
afterAll(temp.remove);

const base = { vault: { account: '999999999999', region: 'eu-west-1' }, sources: [{ account: '111111111111', regions: ['eu-west-1'] }] };

function problems(json: unknown): string[] {
  try {
    parseDrill(json);
  } catch (error) {
    if (error instanceof DrillFileError) return error.problems;
    throw error;
  }
  return [];
}

describe('drill files', () => {
  it('accepts the contract of DESIGN.md for the steps this build runs, with defaults', () => {
    const drill = parseDrill({
      ...base,
      steps: [
        {
          account: '111111111111',
          action: 'createSnapshot',
          volume: 'vol-a',
          encryption: 'aws-managed',
          id: 'snap-0123456789abcdef0',
          emit: false,
        },
        { action: 'event', event: { id: 'x' } },
        { action: 'fault', service: 'ec2', operation: 'CopySnapshot', error: 'RequestLimitExceeded', times: 3 },
        { action: 'advance', minutes: 60 },
      ],
    });
    expect(drill.steps.map((s) => s.action)).toEqual(['createSnapshot', 'event', 'fault', 'advance']);
    expect(parseDrill({ ...base, steps: [{ account: '111111111111', action: 'createSnapshot', volume: 'v' }] }).steps[0]).toMatchObject({
      encryption: 'none',
      emit: true,
    });
  });

  it('names every bad step by its place: unknown actions, bad fields, foreign accounts', () => {
    expect(
      problems({
        ...base,
        steps: [
          { action: 'explode' },
          { account: '111111111111', action: 'createDBClusterSnapshot', cluster: 'ledger', type: 'hourly' },
          { action: 'advance', minutes: -1 },
          { account: '222222222222', action: 'createSnapshot', volume: 'v' },
          { account: '111111111111', action: 'createSnapshot', volume: 'v', encryption: 'rot13' },
        ],
      }),
    ).toEqual([
      expect.stringMatching(
        /^steps\[0\]: unknown action "explode"; known actions: buildSystems, createVolume, runInstance, .*createSnapshot, createImage, .*event, fault, advance, skip, hold, loseVaultCopy, retry, stopSource, disaster, regionOutage, restore, doctor, anchorAudit, attack$/,
      ),
      expect.stringMatching(/^steps\[1\]\.type: /),
      expect.stringMatching(/^steps\[2\]\.minutes: /),
      "steps[3].account: 222222222222 is not one of the drill's sources",
      expect.stringMatching(/^steps\[4\]\.encryption: /),
    ]);
  });

  it('takes a configuration change naming at least one change, each in the form AWS takes it', () => {
    const step = { account: '111111111111', action: 'changeConfig' };
    expect(parseDrill({ ...base, steps: [{ ...step, instanceTypes: { 'app-web-1': 'm6g.xlarge' } }] }).steps[0]).toMatchObject({
      instanceTypes: { 'app-web-1': 'm6g.xlarge' },
    });
    expect(
      problems({
        ...base,
        steps: [
          step,
          { ...step, dbInstanceClasses: { orders: 'large' } },
          { ...step, ingress: [{ group: 'web', protocol: 'tcp', port: 443, cidr: 'anywhere' }] },
        ],
      }),
    ).toEqual([
      'steps[0]: name at least one change: instanceTypes, ingress or dbInstanceClasses',
      expect.stringMatching(/^steps\[1\]\.dbInstanceClasses\.orders: must be a DB instance class/),
      expect.stringMatching(/^steps\[2\]\.ingress\.0\.cidr: must be an IPv4 CIDR block/),
    ]);
  });

  it('takes one parameter value or several written within one second, never both or neither', () => {
    const step = { account: '111111111111', action: 'putParameter', name: '/app/token', type: 'SecureString' };
    expect(parseDrill({ ...base, steps: [{ ...step, values: ['a', 'b', 'c'] }] }).steps[0]).toMatchObject({ values: ['a', 'b', 'c'] });
    expect(problems({ ...base, steps: [{ ...step, value: 'a', values: ['b'] }, step, { ...step, values: [] }] })).toEqual([
      'steps[0]: give either value or values (a list of up to 10)',
      'steps[1]: give either value or values (a list of up to 10)',
      expect.stringMatching(/^steps\[2\]\.values: /),
    ]);
  });

  it('names missing or malformed top-level fields', () => {
    expect(problems({ sources: [], steps: [] })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^vault: /), expect.stringMatching(/^sources: /)]),
    );
    expect(problems({ ...base, vault: { account: '42', region: 'eu-west-1' }, steps: [] })).toEqual([
      'vault.account: must be a 12-digit account id',
    ]);
  });

  it('says which file is not JSON or cannot be read', async () => {
    const dir = await temp.make('drill-');
    await writeFile(join(dir, 'bad.json'), '{ "vault": ');
    await expect(readDrillFile(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: not valid JSON/);
    await expect(readDrillFile(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read the drill file \(ENOENT\)/);
  });

  it('takes disaster and restore steps: a source is lost, then restored into a fresh account', () => {
    const drill = parseDrill({
      ...base,
      steps: [
        { action: 'disaster', account: '111111111111' },
        { action: 'restore', account: '111111111111', into: '444444444444' },
        { action: 'restore', account: '111111111111', into: '555555555555', asOf: '2026-01-01T00:30:00Z' },
      ],
    });
    expect(drill.steps.map((s) => s.action)).toEqual(['disaster', 'restore', 'restore']);
    expect(recoveryAccountsOf(drill)).toEqual(['444444444444', '555555555555']);
    expect(
      problems({
        ...base,
        steps: [
          { action: 'disaster', account: '222222222222' },
          { action: 'restore', account: '111111111111', into: '111111111111' },
          { action: 'restore', account: '111111111111', into: '999999999999' },
          { action: 'restore', account: '111111111111', into: '444444444444', asOf: 'after lunch' },
          { action: 'restore', account: '111111111111' },
        ],
      }),
    ).toEqual([
      "steps[0].account: 222222222222 is not one of the drill's sources",
      'steps[1].into: 111111111111 must be a fresh account, not the vault or a source',
      'steps[2].into: 999999999999 must be a fresh account, not the vault or a source',
      expect.stringMatching(/^steps\[3\]\.asOf: /),
      expect.stringMatching(/^steps\[4\]\.into: /),
    ]);
  });

  it('restores one recovery point as `restore --point` does, and takes either a source or a point, not both', () => {
    const point = 'rds-cluster-snapshot/111111111111/eu-west-1/ledger-2026-02-10';
    const drill = parseDrill({ ...base, steps: [{ action: 'restore', point, into: '444444444444' }] });
    expect(drill.steps).toEqual([{ action: 'restore', point, into: '444444444444' }]);
    expect(
      problems({
        ...base,
        steps: [
          { action: 'restore', into: '444444444444' },
          { action: 'restore', account: '111111111111', point, into: '444444444444' },
          { action: 'restore', point, into: '444444444444', asOf: '2026-01-01T00:30:00Z' },
        ],
      }),
    ).toEqual([
      'steps[0]: name what to restore: either account (a whole source) or point (one recovery point)',
      'steps[1]: name what to restore: either account (a whole source) or point (one recovery point)',
      'steps[2].asOf: asOf goes with account, not with point',
    ]);
  });

  it('lands a restore in another vault region with toRegion, as `restore --to-region` does, and never rebuilds one', () => {
    const step = { action: 'restore', account: '111111111111', into: '444444444444', fromRegion: 'eu-central-1', toRegion: 'eu-west-1' };
    expect(parseDrill({ ...base, steps: [step] }).steps).toEqual([step]);
    expect(problems({ ...base, steps: [{ ...step, rebuild: true }] })).toEqual([
      'steps[0].rebuild: rebuild rebuilds in the source regions from a restore that lands there: leave out toRegion (or rebuild)',
    ]);
  });

  it('puts a SecureString under a customer key by its alias, with tags on creation', () => {
    const step = { action: 'putParameter', account: '111111111111', name: '/app/key', value: 'x', keyAlias: 'alias/app-data' };
    const drill = parseDrill({ ...base, steps: [{ ...step, type: 'SecureString', tags: { 'backup-hub:protect': 'true' } }] });
    expect(drill.steps[0]).toMatchObject({ keyAlias: 'alias/app-data', tags: { 'backup-hub:protect': 'true' } });
    expect(problems({ ...base, steps: [{ ...step, type: 'String' }] })).toEqual([
      'steps[0].keyAlias: keyAlias encrypts a SecureString only',
    ]);
  });
});
