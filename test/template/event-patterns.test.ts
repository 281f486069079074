import { describe, expect, it } from 'vitest';
import { compilePattern } from '@backup-hub/aws-sim';
import { ARTIFACT_KINDS, loadKindPatterns } from '../../shared/config/accounts.js';
import { SAMPLE_EVENTS } from './sample-events.js';
import { kinds } from './stack.js';

/**
 * The rule patterns of accounts/resources/kinds.yml against AWS's documented sample events, with
 * the simulated cloud's matcher (the same one its EventBridge rules use). The packaged rules are
 * checked to carry exactly these patterns in vault.test.ts and source.test.ts.
 */
const declared = kinds();

describe('event patterns (accounts/resources/kinds.yml)', () => {
  it('declares a pattern for every artifact kind and nothing else', () => {
    expect(Object.keys(declared).sort()).toEqual([...ARTIFACT_KINDS].sort());
    expect(Object.keys(SAMPLE_EVENTS).sort()).toEqual([...ARTIFACT_KINDS].sort());
  });

  it('gives the same patterns through loadKindPatterns (for the simulated cloud)', () => {
    expect(loadKindPatterns()).toEqual(Object.fromEntries(ARTIFACT_KINDS.map((k) => [k, declared[k]!.pattern])));
  });

  for (const kind of ARTIFACT_KINDS) {
    describe(kind, () => {
      const pattern = () => compilePattern(declared[kind]!.pattern);

      it('is a pattern EventBridge accepts', () => {
        expect(() => pattern()).not.toThrow();
      });

      for (const { name, event } of SAMPLE_EVENTS[kind]!.matches) {
        it(`matches the documented sample: ${name}`, () => {
          expect(pattern().matches(event)).toBe(true);
        });
      }

      for (const { name, event } of SAMPLE_EVENTS[kind]!.doesNotMatch) {
        it(`does not match: ${name}`, () => {
          expect(pattern().matches(event)).toBe(false);
        });
      }

      it("matches no other kind's samples (an event reaches one queue)", () => {
        const others = ARTIFACT_KINDS.filter((k) => k !== kind).flatMap((k) => SAMPLE_EVENTS[k]!.matches.map((s) => `${k}: ${s.name}`));
        const matched = ARTIFACT_KINDS.filter((k) => k !== kind).flatMap((k) => SAMPLE_EVENTS[k]!.matches.filter((s) => pattern().matches(s.event)).map((s) => `${k}: ${s.name}`));
        expect(others.length).toBeGreaterThan(0);
        expect(matched).toEqual([]);
      });
    });
  }
});
