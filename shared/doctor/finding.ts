/** One check of one account and region: ✓, or ✗ with what to do about it. */
export interface Finding {
  /** The account file's name (`vault`, `source-a`). */
  account: string;
  region: string;
  /** What was checked, and what was found. */
  check: string;
  ok: boolean;
  /** What to do when it is not ok; empty when it is. */
  fix: string;
}

/** Where a finding is. */
export interface Place {
  account: string;
  region: string;
}

export const pass = (at: Place, check: string): Finding => ({ ...at, check, ok: true, fix: '' });
export const fail = (at: Place, check: string, fix: string): Finding => ({ ...at, check, ok: false, fix });
