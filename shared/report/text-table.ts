export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'right';
  /** When the table is too wide, this column gives up width, down to this many characters (reasons, long ids). */
  shrinkTo?: number;
}

const GAP = '  ';

/**
 * A plain-text table that fits `width` columns: the shrinkable columns are cut (with `…`) when
 * the table would be wider.
 *
 * @example
 * textTable([{ header: 'account' }, { header: 'points', align: 'right' }], [['111111111111', '12']]);
 */
export function textTable(columns: Column[], rows: string[][], width = 100): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  // Take width from the widest shrinkable column, one character at a time, down to a floor.
  while (total() > width) {
    const candidates = columns
      .map((c, i) => (c.shrinkTo !== undefined && widths[i]! > Math.max(c.shrinkTo, c.header.length) ? i : -1))
      .filter((i) => i >= 0);
    if (candidates.length === 0) break;
    const widest = candidates.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
    widths[widest]! -= 1;
  }
  const cell = (text: string, i: number) => {
    const w = widths[i]!;
    const fitted = text.length > w ? `${text.slice(0, w - 1)}…` : text;
    return columns[i]!.align === 'right' ? fitted.padStart(w) : fitted.padEnd(w);
  };
  const line = (cells: string[]) => cells.map(cell).join(GAP).trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Breaks a line at spaces so that it fits `width`; the continuation lines are indented. A single
 * word longer than the width (a long path) stays whole.
 *
 * @example
 * wrap('source: local drill state /a/very/long/path …', 40);
 */
export function wrap(line: string, width = 100, indent = '    '): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (candidate.length > width && current !== '' && current.trim() !== '') {
      out.push(current);
      current = `${indent}${word}`;
    } else current = candidate;
  }
  out.push(current);
  return out;
}

/** A table whose columns are known by their headers alone. */
export const headedTable = (header: string[], rows: string[][]): string =>
  textTable(
    header.map((h) => ({ header: h })),
    rows,
  );
