/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * An HTML table; every cell is escaped. `numeric` columns are right-aligned.
 *
 * @example
 * htmlTable(['account', 'points'], [['111111111111', '12']], [1]);
 */
export function htmlTable(headers: string[], rows: (string | number)[][], numeric: number[] = []): string {
  const cell = (tag: 'th' | 'td', value: string | number, i: number) =>
    `<${tag}${numeric.includes(i) ? ' class="num"' : ''}>${escapeHtml(value)}</${tag}>`;
  return `<table><thead><tr>${headers.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('')}</tbody></table>`;
}
