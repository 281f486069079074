import { compilePattern } from '@backup-hub/aws-sim';
import { describe, expect, it } from 'vitest';
import { sampleEvents } from './common/sample-events.js';
import { ARTIFACT_KINDS, KINDS } from './index.js';

/**
 * Every kind's rule pattern against AWS's documented sample events (its `events/`), with the
 * simulated cloud's matcher (the one its EventBridge rules use). The stack tests check that the
 * rules carry exactly these patterns.
 */
describe('the kinds', () => {
  for (const { module, manifest } of KINDS) {
    describe(module.name, () => {
      const samples = sampleEvents(module.name);

      it('has documented sample events, routed and not, each naming its page', () => {
        expect(samples.filter((s) => s.matches).length).toBeGreaterThan(0);
        expect(samples.filter((s) => !s.matches).length).toBeGreaterThan(0);
        for (const sample of samples) expect(sample.documentation, sample.description).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      });

      it('has a pattern EventBridge accepts, and the module takes the detail-types the rule routes', () => {
        expect(() => compilePattern(manifest.pattern)).not.toThrow();
        expect(module.detailTypes).toEqual(manifest.pattern['detail-type']);
      });

      for (const sample of samples) {
        it(`${sample.matches ? 'routes' : 'does not route'} the documented sample: ${sample.description}`, () => {
          expect(compilePattern(manifest.pattern).matches(sample.event)).toBe(sample.matches);
        });
      }

      it("routes no other kind's samples (an event reaches one queue)", () => {
        const matcher = compilePattern(manifest.pattern);
        const others = ARTIFACT_KINDS.filter((k) => k !== module.name).flatMap((k) =>
          sampleEvents(k)
            .filter((s) => s.matches)
            .map((s) => ({ ...s, kind: k })),
        );
        expect(others.length).toBeGreaterThan(0);
        expect(others.filter((s) => matcher.matches(s.event)).map((s) => `${s.kind}: ${s.description}`)).toEqual([]);
      });

      it('reads its queue within the copy quota, in the batches Lambda allows', () => {
        const { batchSize, maximumConcurrency, copyQuota, timeout } = manifest.queue;
        expect(maximumConcurrency).toBeGreaterThanOrEqual(2); // the smallest value Lambda accepts
        expect(batchSize * maximumConcurrency).toBeLessThanOrEqual(copyQuota);
        expect(timeout).toBeLessThanOrEqual(900);
      });
    });
  }
});
