/** Where the reconciler's last run left the sources over their cap (a catalog item): each one's audit entry is written once, when it goes over. */
export const OVER_CAP_KEY = 'FAIR#over-cap';

/** A point (or a point's copy in a further region) waiting for a slot of `quota`, as the reconciler read it. */
export interface Waiter {
  pk: string;
  account: string;
  quota: string;
}

/** What one run found: every waiter, longest waiting first, and the copies in flight per quota and source. */
export interface SlotStanding {
  waiting: readonly Waiter[];
  /** Copies running now, by quota, then by source account. */
  inFlight: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** A source's pending points (in flight and waiting, all quotas together) beyond this wait behind every other source's. */
  capOf: (account: string) => number;
}

/** The order the reconciler offers a quota's free slots in, and how many of each source's points are over its cap. */
export interface FairPlan {
  quotas: string[];
  /** The waiters of one quota, in the order they get its free slots (lazily: a run only takes the first few). */
  order(quota: string): Generator<Waiter>;
  /** Per source with points over its cap: how many. */
  overCap: Map<string, number>;
  /** Per source with anything pending: its points in flight and waiting. */
  pending: Map<string, number>;
}

/**
 * Shares the copy slots that free up among the sources that wait for them. A source's pending points
 * up to its cap come first, its later ones (over its cap) only once no source has any within its
 * cap waiting; within each tier the next slot goes to the source that holds the fewest of that
 * quota's slots (counting those this run gives), the longest waiting point first on a tie. So one
 * source that makes thousands of snapshots never holds back another's: with nothing in flight, the
 * other is next, whatever its place in the line. Nobody's point is dropped; the excess waits.
 */
export function planSlots({ waiting, inFlight, capOf }: SlotStanding): FairPlan {
  const pending = new Map<string, number>();
  for (const byAccount of inFlight.values()) for (const [account, n] of byAccount) pending.set(account, (pending.get(account) ?? 0) + n);
  const tiers = new Map<string, [Waiter[], Waiter[]]>();
  const overCap = new Map<string, number>();
  for (const waiter of waiting) {
    const before = pending.get(waiter.account) ?? 0;
    pending.set(waiter.account, before + 1);
    const over = before >= capOf(waiter.account);
    if (over) overCap.set(waiter.account, (overCap.get(waiter.account) ?? 0) + 1);
    const quota = tiers.get(waiter.quota) ?? [[], []];
    tiers.set(waiter.quota, quota);
    quota[over ? 1 : 0].push(waiter);
  }
  return {
    quotas: [...tiers.keys()],
    overCap,
    pending,
    *order(quota) {
      const held = new Map(inFlight.get(quota) ?? []);
      for (const tier of tiers.get(quota) ?? []) yield* fewestHeldFirst(tier, held);
    },
  };
}

/** Round robin weighted by what each source already holds: the next waiter is the oldest of the source holding the fewest slots. */
function* fewestHeldFirst(tier: Waiter[], held: Map<string, number>): Generator<Waiter> {
  const lines = new Map<string, Waiter[]>();
  for (const waiter of tier) {
    const line = lines.get(waiter.account) ?? [];
    lines.set(waiter.account, line);
    line.push(waiter);
  }
  // Each source's line stays longest waiting first; `heads` remembers where each stands.
  const heads = new Map([...lines.keys()].map((account) => [account, 0]));
  const rank = new Map(tier.map((waiter, i) => [waiter, i]));
  for (;;) {
    let next: Waiter | undefined;
    for (const [account, line] of lines) {
      const head = line[heads.get(account)!];
      if (!head) continue;
      if (!next) next = head;
      else {
        const [mine, theirs] = [held.get(account) ?? 0, held.get(next.account) ?? 0];
        if (mine < theirs || (mine === theirs && rank.get(head)! < rank.get(next)!)) next = head;
      }
    }
    if (!next) return;
    heads.set(next.account, heads.get(next.account)! + 1);
    held.set(next.account, (held.get(next.account) ?? 0) + 1);
    yield next;
  }
}

/** How long a function keeps what the reconciler last recorded (the sources over their cap, the quotas with a line). */
const STANDING_TTL_MS = 60_000;

/**
 * Where the reconciler's last run left the line for each of the vault's copy quotas that has one: the
 * next waiters, in the order they get its slots (a catalog item). A copy that settles on its event hands
 * its slot to the first of them still waiting, and a point that becomes ready while its quota has a
 * line joins it instead of taking a slot that frees.
 */
export const LINE_KEY = 'FAIR#line';

/** Room for every slot a quota of 20 frees between two runs, 15 minutes apart (a copy takes 5 minutes or more). */
export const LINE_LENGTH = 100;

/** The line per quota: the keys of its next waiters, first in line first. */
export type Lines = Record<string, string[]>;

/**
 * What the reconciler last recorded of the slots' standing (its bookmarks), read at most once a
 * minute per function container: the sources over their cap, and the quotas with a line. A new point
 * of a source over its cap, or one ready while its quota has a line, does not take a slot that frees
 * on arrival: it waits in the line, which the reconciler and the copies that settle serve fairly.
 */
export class SlotBookmarks {
  readonly #read = new Map<string, { until: number; value: Promise<unknown> }>();

  constructor(
    private readonly bookmark: (key: string) => Promise<object | undefined>,
    private readonly now: () => Date,
  ) {}

  async isOverCap(account: string): Promise<boolean> {
    return ((await this.#recent(OVER_CAP_KEY)) as string[] | undefined)?.includes(account) ?? false;
  }

  async hasLine(quota: string): Promise<boolean> {
    return (((await this.#recent(LINE_KEY)) as Lines | undefined)?.[quota]?.length ?? 0) > 0;
  }

  #recent(key: string): Promise<unknown> {
    const at = this.now().getTime();
    const read = this.#read.get(key);
    if (read && read.until > at) return read.value;
    const value = this.bookmark(key);
    this.#read.set(key, { until: at + STANDING_TTL_MS, value });
    value.catch(() => this.#read.delete(key));
    return value;
  }
}
