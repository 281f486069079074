import { describe, expect, it } from 'vitest';
import { LINE_KEY, OVER_CAP_KEY, planSlots, SlotBookmarks, type Waiter } from './fair-share.js';

const QUOTA = 'ebs-snapshot:999999999999:eu-west-1';
const RUNAWAY = '111111111111';
const OTHER = '222222222222';
const THIRD = '333333333333';

/** `n` waiters of one source, numbered in the order they were parked. */
const line = (account: string, n: number, quota = QUOTA): Waiter[] =>
  Array.from({ length: n }, (_, i) => ({ pk: `${account}-${i}`, account, quota }));

const first = (generator: Generator<Waiter>, n: number): string[] => {
  const out: string[] = [];
  for (const waiter of generator) {
    if (out.length === n) break;
    out.push(waiter.pk);
  }
  return out;
};

const standing = (waiting: Waiter[], held: Record<string, number> = {}, cap = 100) => ({
  waiting,
  inFlight: new Map([[QUOTA, new Map(Object.entries(held))]]),
  capOf: () => cap,
});

describe('sharing copy slots across sources', () => {
  it('does not let a source that parked thousands first take every free slot: the others come in turn', () => {
    const plan = planSlots(standing([...line(RUNAWAY, 2000), ...line(OTHER, 2), ...line(THIRD, 1)], {}, 5000));
    expect(first(plan.order(QUOTA), 6)).toEqual([`${RUNAWAY}-0`, `${OTHER}-0`, `${THIRD}-0`, `${RUNAWAY}-1`, `${OTHER}-1`, `${RUNAWAY}-2`]);
  });

  it('gives the next slot to the source holding the fewest, however long the other waited', () => {
    const plan = planSlots(standing([...line(RUNAWAY, 50), ...line(OTHER, 3)], { [RUNAWAY]: 20 }, 5000));
    // The runaway holds 20 slots already: the other source's three go first, then they alternate by what each holds.
    expect(first(plan.order(QUOTA), 4)).toEqual([`${OTHER}-0`, `${OTHER}-1`, `${OTHER}-2`, `${RUNAWAY}-0`]);
  });

  it('puts a source’s points over its cap behind every other source’s, and counts them', () => {
    const plan = planSlots(standing([...line(RUNAWAY, 10), ...line(OTHER, 4)], { [RUNAWAY]: 2 }, 5));
    // 2 in flight + 3 waiting reach the runaway's cap of 5: its other 7 wait until the other source has none left.
    expect(first(plan.order(QUOTA), 14)).toEqual([
      `${OTHER}-0`,
      `${OTHER}-1`,
      `${RUNAWAY}-0`,
      `${OTHER}-2`,
      `${RUNAWAY}-1`,
      `${OTHER}-3`,
      `${RUNAWAY}-2`,
      ...line(RUNAWAY, 10)
        .slice(3)
        .map((w) => w.pk),
    ]);
    expect(plan.overCap).toEqual(new Map([[RUNAWAY, 7]]));
    expect(plan.pending).toEqual(
      new Map([
        [RUNAWAY, 12],
        [OTHER, 4],
      ]),
    );
  });

  it('keeps each quota apart: slots of one are never offered to the waiters of another', () => {
    const dr = 'ebs-snapshot:999999999999:eu-north-1';
    const plan = planSlots(standing([...line(RUNAWAY, 2, dr), ...line(OTHER, 2)]));
    expect(plan.quotas).toEqual([dr, QUOTA]);
    expect(first(plan.order(QUOTA), 5)).toEqual([`${OTHER}-0`, `${OTHER}-1`]);
    expect(first(plan.order(dr), 5)).toEqual([`${RUNAWAY}-0`, `${RUNAWAY}-1`]);
  });
});

describe('what the event handlers know of the reconciler’s last run', () => {
  it('tells the sources over their cap and the quotas with a line, reading each bookmark at most once a minute', async () => {
    let at = 0;
    const stored: Record<string, object> = { [OVER_CAP_KEY]: [RUNAWAY], [LINE_KEY]: { [QUOTA]: [`${OTHER}-0`], [`ami:${THIRD}`]: [] } };
    const reads: string[] = [];
    const slots = new SlotBookmarks(
      async (key) => {
        reads.push(key);
        return stored[key];
      },
      () => new Date(at),
    );
    expect(await slots.isOverCap(RUNAWAY)).toBe(true);
    expect(await slots.isOverCap(OTHER)).toBe(false);
    expect(await slots.hasLine(QUOTA)).toBe(true);
    expect(await slots.hasLine(`ami:${THIRD}`)).toBe(false);
    expect(await slots.hasLine('rds-snapshot:999999999999:eu-west-1')).toBe(false);

    stored[LINE_KEY] = {};
    at = 59_000;
    expect(await slots.hasLine(QUOTA)).toBe(true);
    at = 60_000;
    expect(await slots.hasLine(QUOTA)).toBe(false);
    expect(reads).toEqual([OVER_CAP_KEY, LINE_KEY, LINE_KEY]);
  });

  it('reads again after a failed read instead of keeping its error', async () => {
    let fail = true;
    const slots = new SlotBookmarks(
      async () => {
        if (fail) throw new Error('ProvisionedThroughputExceededException');
        return { [QUOTA]: [`${OTHER}-0`] };
      },
      () => new Date(0),
    );
    await expect(slots.hasLine(QUOTA)).rejects.toThrow('ProvisionedThroughputExceededException');
    fail = false;
    expect(await slots.hasLine(QUOTA)).toBe(true);
  });
});
