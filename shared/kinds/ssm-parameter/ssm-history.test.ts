import { describe, expect, it } from 'vitest';
import { planVersions, type RecordedVersions, type VersionMetadata, versionsOf } from './ssm-history.js';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
/** Versions `from..to` of a life, written a minute apart from `start` seconds on. */
const history = (from: number, to: number, start = 0): VersionMetadata[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ Version: from + i, LastModifiedDate: at(start + (from + i) * 60), Type: 'String' }));
const recorded = (v: VersionMetadata, life: string, extra: Partial<RecordedVersions> = {}): RecordedVersions => ({
  life,
  from: v.Version,
  to: v.Version,
  createdAt: v.LastModifiedDate.toISOString(),
  failed: false,
  ...extra,
});
const update = (seconds: number) => ({
  at: at(seconds)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z'),
  operation: 'Update',
});

describe('planVersions: every version of a parameter, each in its life', () => {
  it('reads the versions a point names: one, a closed range, an open range', () => {
    expect([versionsOf('/a/b:7'), versionsOf('/a/b:3-30'), versionsOf('x:8-')]).toEqual([
      { from: 7, to: 7 },
      { from: 3, to: 30 },
      { from: 8 },
    ]);
  });

  it('labels a new life by its version 1, and copies every version the vault lacks, oldest first', () => {
    const source = history(1, 3);
    const life = source[0]!.LastModifiedDate.toISOString();
    expect(planVersions('/p', source, { window: [] }, update(200))).toEqual({ life, lacking: source, missed: [] });
    expect(planVersions('/p', source, { window: [recorded(source[1]!, life)] }, update(200))).toEqual({
      life,
      lacking: [source[0], source[2]],
      missed: [],
    });
  });

  it('recognises a life by a version the vault holds with the same number and time, once version 1 is gone from the source', () => {
    const life = history(1, 1)[0]!.LastModifiedDate.toISOString();
    const source = history(31, 130);
    const window = history(31, 100).map((v) => recorded(v, life));
    const previous = recorded(history(30, 30)[0]!, life);
    expect(planVersions('/p', source, { window, previous }, update(99_999))).toMatchObject({
      life,
      lacking: history(101, 130),
      missed: [],
    });
  });

  it('names the versions pushed out of the history above the newest the vault has as missed, in the life numbering goes on from, once', () => {
    const life = at(60).toISOString();
    const previous = recorded(history(10, 10)[0]!, life);
    const plan = planVersions('/p', history(41, 140), { window: [], previous }, update(99_999))!;
    expect(plan.missed).toEqual([
      expect.objectContaining({ life, from: 11, to: 40, why: expect.stringMatching(/^versions 11–40 of \/p/) }),
    ]);
    // Once recorded, the missed range is what the vault has below the history: nothing new.
    const recordedGap = { life, from: 11, to: 40, createdAt: plan.missed[0]!.before, failed: true };
    expect(planVersions('/p', history(41, 140), { window: [], previous: recordedGap }, update(99_999))!.missed).toEqual([]);
  });

  it('labels a life first seen after its first versions were evicted by its oldest version held, and names those versions missed', () => {
    const source = history(31, 130);
    const plan = planVersions('/p', source, { window: [] }, update(99_999))!;
    expect(plan.life).toBe(source[0]!.LastModifiedDate.toISOString());
    expect(plan.missed).toEqual([expect.objectContaining({ life: plan.life, from: 1, to: 30 })]);
  });

  it('passes a version whose copy failed on, so that a later event may reopen it', () => {
    const source = history(1, 2);
    const window = [recorded(source[0]!, 'x', { failed: true }), recorded(source[1]!, 'x')];
    expect(planVersions('/p', source, { window }, update(200))!.lacking).toEqual([source[0]]);
  });

  it('names the versions of an earlier life a deletion took as missed, when an event announces a write older than the current life', () => {
    const earlier = history(1, 4);
    const previous = recorded(earlier[3]!, 'A');
    const current = history(1, 1, 10_000); // deleted and created again long after the announced write
    const plan = planVersions('/p', current, { window: [], previous }, update(4 * 60 + 30))!;
    expect(plan.lacking).toEqual(current);
    expect(plan.missed).toEqual([
      expect.objectContaining({ life: 'A', from: 5, why: expect.stringMatching(/was deleted and created again/) }),
    ]);
    // The vault holding a version written in that second has nothing to record.
    expect(planVersions('/p', current, { window: [], previous }, update(4 * 60))!.missed).toEqual([]);
  });

  it('for a parameter gone from the source: the versions after the vault’s newest are missed; nothing known, nothing planned', () => {
    const previous = recorded(history(2, 2)[0]!, 'A');
    expect(planVersions('/p', undefined, { window: [], previous }, update(10 * 60))).toMatchObject({
      life: 'A',
      lacking: [],
      missed: [expect.objectContaining({ from: 3 })],
    });
    expect(planVersions('/p', undefined, { window: [] }, update(10 * 60))).toBeUndefined();
  });
});
